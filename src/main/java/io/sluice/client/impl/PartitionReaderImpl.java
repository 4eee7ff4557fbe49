package io.sluice.client.impl;

import io.smallrye.mutiny.Multi;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.PartitionReader;
import io.sluice.client.ReaderOptions;
import io.sluice.client.StartPosition;
import io.sluice.errors.ErrorCode;
import io.sluice.record.AbortedBatches;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * {@link PartitionReader} over the binary multi-partition fetch ({@link Fetcher}): the client's readers of
 * partitions led by one broker share its {@code POST /fetch} requests.
 *
 * <p><b>Demand.</b> The stream is a repetition of single fetches, each taken only when the subscriber has asked for
 * more than the previous fetch delivered, and flattened one fetch at a time. <b>One fetch ahead:</b> as soon as a
 * fetch brings records, the next one (from its next offset) is asked for. A large answer's records are handed out
 * from the context's next turn, after that request left: the broker reads while this side decodes and hands out (the
 * readers' fetches of one turn share one request, so without it every reader waited for all of them to be decoded).
 * A small answer's (a caught-up reader's few records, at most {@link #HAND_OUT_FIRST_BYTES}) are handed out at once,
 * before the request is built and written on the next turn: their latency is the point, and they decode in
 * microseconds. So at most two fetches are held per reader. A fetch's records are decoded one by one as the subscriber takes them
 * ({@link FetchedRecords}), so only the records in flight are alive, not whole fetches. Fetches and decoding run on
 * the client's context.
 */
final class PartitionReaderImpl implements PartitionReader {
  private static final long MAX_BACKOFF_MS = 1_000;
  /** Answers up to this size are handed out before the next fetch is sent (see the class comment). */
  static final int HAND_OUT_FIRST_BYTES = 8 * 1024;
  /**
   * A reader's first fetch asks at most this much, and each fetch after one that brought records four times the one
   * before, up to {@code fetchMaxBytes}. The first records wait for the whole first answer (the broker reads it, it
   * crosses the socket, it is gathered) before any is decoded: six readers' first 4 MiB fetches are one 16 MiB answer,
   * 90 to 230 ms before the first record of a read that takes 700 ms quiet. A small first answer is decoded while the
   * larger next one comes, so the read is under way at once; the ramp stays ahead of the decode (each answer takes
   * longer to decode than the next, four times larger, takes to arrive).
   */
  static final int FIRST_FETCH_BYTES = 64 * 1024;

  private final Context context;
  private final Vertx vertx;
  private final MetadataCache metadata;
  private final Transport transport;
  private final Fetcher fetcher;
  private final ReaderOptions options;
  private volatile long position = -1;

  /** One subscription's fetch state; touched only on the client's context. */
  private static final class Cursor {
    long fetchOffset = -1;
    int failures;
    /** What the next fetch asks for at most (see {@link #FIRST_FETCH_BYTES}). */
    int maxBytes;
    /** The fetch sent ahead from {@link #fetchOffset}, and the broker it went to; null when none. */
    Future<Fetcher.Fetched> ahead;
    URI aheadUrl;
  }

  PartitionReaderImpl(ClientImpl client, ReaderOptions options) {
    this.context = client.context();
    this.vertx = client.vertx();
    this.metadata = client.metadata();
    this.transport = client.transport();
    this.fetcher = client.fetcher();
    this.options = options;
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public Multi<ConsumerRecord> records() {
    return Multi.createFrom().deferred(() -> {
      Cursor cursor = new Cursor();
      cursor.maxBytes = Math.min(options.fetchMaxBytes(), FIRST_FETCH_BYTES);
      return Multi.createBy().repeating()
          .uni(() -> Unis.onContext(context, () -> fetchOnce(cursor)))
          .indefinitely()
          .onItem().transformToIterable(list -> list)
          .onItem().invoke(r -> position = r.offset() + 1);
    });
  }

  private Future<Iterable<ConsumerRecord>> fetchOnce(Cursor cursor) {
    Future<Long> start = cursor.fetchOffset >= 0 ? Future.succeededFuture(cursor.fetchOffset) : resolveStart();
    // Finding the start offset fails as a fetch does while a new partition has no leader yet: retried alike.
    return start.transform(ar -> ar.succeeded() ? fetchFrom(cursor, ar.result())
        : retryLater(cursor, ar.cause(), null));
  }

  private Future<Iterable<ConsumerRecord>> fetchFrom(Cursor cursor, long offset) {
    cursor.fetchOffset = offset;
    if (position < 0) {
      position = offset;
    }
    URI url = cursor.ahead != null ? cursor.aheadUrl : metadata.readUrl(options.topic(), options.partition());
    Future<Fetcher.Fetched> fetched = cursor.ahead != null ? cursor.ahead : fetch(url, offset, cursor.maxBytes);
    cursor.ahead = null;
    return fetched
        .compose(f -> {
          cursor.fetchOffset = Math.max(offset, f.nextOffset());
          cursor.failures = 0;
          if (!f.batches().hasRemaining()) {
            return Future.succeededFuture(List.<ConsumerRecord>of());
          }
          cursor.maxBytes = (int) Math.min(options.fetchMaxBytes(), 4L * cursor.maxBytes);
          cursor.aheadUrl = metadata.readUrl(options.topic(), options.partition());
          cursor.ahead = fetch(cursor.aheadUrl, cursor.fetchOffset, cursor.maxBytes);
          if (f.batches().remaining() <= HAND_OUT_FIRST_BYTES) {
            return decode(f, offset); // now: Fetcher sends the fetch just asked for on a later turn
          }
          // Handed out from the next turn: the fetch just asked for is flushed first, and the records are decoded as
          // the subscriber takes them.
          Promise<Iterable<ConsumerRecord>> decoded = Promise.promise();
          context.runOnContext(v -> decode(f, offset).onComplete(decoded));
          return decoded.future();
        })
        .recover(t -> retryLater(cursor, t, url));
  }

  private Future<Iterable<ConsumerRecord>> decode(Fetcher.Fetched f, long offset) {
    try {
      return Future.succeededFuture(new FetchedRecords(options.topic(), options.partition(), f.batches(), offset,
          f.read(), options.readCommitted() ? AbortedBatches.of(f.abortedTransactions()) : null));
    } catch (RuntimeException e) {
      return Future.failedFuture(e); // a cut answer fails the stream before any of its records
    }
  }

  private Future<Fetcher.Fetched> fetch(URI url, long offset, int maxBytes) {
    return fetcher.fetch(url, options.topic(), options.partition(), offset, maxBytes, options.fetchMaxWaitMs(),
        options.readCommitted());
  }

  /**
   * A retriable failure becomes an empty fetch after a backoff; anything else fails the stream. {@code url}: the
   * leader asked, or null when the failure came before a fetch.
   */
  private Future<Iterable<ConsumerRecord>> retryLater(Cursor cursor, Throwable t, URI url) {
    if (!ErrorCodes.retriable(t)) {
      return Future.failedFuture(t);
    }
    if (url != null && ErrorCodes.codeOf(t) == ErrorCode.NETWORK_EXCEPTION) {
      metadata.unreachable(url);
    }
    if (ErrorCodes.staleMetadata(t)) {
      metadata.refresh(options.topic());
    }
    cursor.failures++;
    Promise<Iterable<ConsumerRecord>> later = Promise.promise();
    vertx.setTimer(Math.min(MAX_BACKOFF_MS, 50L << Math.min(cursor.failures, 10)), id -> later.complete(List.of()));
    return later.future();
  }

  private Future<Long> resolveStart() {
    StartPosition start = options.start();
    if (start instanceof StartPosition.Offset o) {
      return Future.succeededFuture(o.offset());
    }
    String query = start instanceof StartPosition.Timestamp ts ? "?timestamp=" + ts.timestampMs() : "";
    return metadata.topic(options.topic())
        .compose(d -> metadata.anyBroker(HttpMethod.GET, partitionPath() + "/offsets" + query, null))
        .map(r -> {
          JsonObject json = r.json();
          if (start instanceof StartPosition.Beginning) {
            return json.getLong("beginning_offset");
          }
          Long found = start instanceof StartPosition.Timestamp ? json.getLong("offset") : null;
          // A read_committed reader's end is the last stable offset, as Kafka's consumer's "latest".
          Long stable = options.readCommitted() ? json.getLong("last_stable_offset") : null;
          return found != null ? found : stable != null ? stable : json.getLong("end_offset");
        });
  }

  private String partitionPath() {
    return "/topics/" + MetadataCache.encode(options.topic()) + "/partitions/" + options.partition();
  }
}
