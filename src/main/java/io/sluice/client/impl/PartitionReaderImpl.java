package io.sluice.client.impl;

import io.smallrye.mutiny.Multi;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.PartitionReader;
import io.sluice.client.ReaderOptions;
import io.sluice.client.StartPosition;
import io.sluice.errors.ErrorCode;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatches;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * {@link PartitionReader} over the binary multi-partition fetch ({@link Fetcher}): the client's readers of
 * partitions led by one broker share its {@code POST /fetch} requests.
 *
 * <p><b>Demand.</b> The stream is a repetition of single fetches, each subscribed only when the subscriber has
 * asked for more than the previous fetch delivered, and flattened one fetch at a time: at most one fetch's records
 * are held. Fetches and decoding run on the client's context.
 */
final class PartitionReaderImpl implements PartitionReader {
  private static final long MAX_BACKOFF_MS = 1_000;

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
      return Multi.createBy().repeating()
          .uni(() -> Unis.onContext(context, () -> fetchOnce(cursor)))
          .indefinitely()
          .onItem().transformToIterable(list -> list)
          .onItem().invoke(r -> position = r.offset() + 1);
    });
  }

  private Future<List<ConsumerRecord>> fetchOnce(Cursor cursor) {
    Future<Long> start = cursor.fetchOffset >= 0 ? Future.succeededFuture(cursor.fetchOffset) : resolveStart();
    // Finding the start offset fails as a fetch does while a new partition has no leader yet: retried alike.
    return start.transform(ar -> ar.succeeded() ? fetchFrom(cursor, ar.result())
        : retryLater(cursor, ar.cause(), null));
  }

  private Future<List<ConsumerRecord>> fetchFrom(Cursor cursor, long start) {
    return Future.succeededFuture(start).compose(offset -> {
      cursor.fetchOffset = offset;
      if (position < 0) {
        position = offset;
      }
      URI url = metadata.leaderUrl(options.topic(), options.partition());
      return fetcher.fetch(url, options.topic(), options.partition(), offset, options.fetchMaxBytes(),
              options.fetchMaxWaitMs())
          .map(f -> {
            List<ConsumerRecord> records = decode(f.batches(), offset);
            cursor.fetchOffset = Math.max(offset, f.nextOffset());
            cursor.failures = 0;
            return records;
          })
          .recover(t -> retryLater(cursor, t, url));
    });
  }

  /**
   * A retriable failure becomes an empty fetch after a backoff; anything else fails the stream. {@code url}: the
   * leader asked, or null when the failure came before a fetch.
   */
  private Future<List<ConsumerRecord>> retryLater(Cursor cursor, Throwable t, URI url) {
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
    Promise<List<ConsumerRecord>> later = Promise.promise();
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
          return found != null ? found : json.getLong("end_offset");
        });
  }

  private String partitionPath() {
    return "/topics/" + MetadataCache.encode(options.topic()) + "/partitions/" + options.partition();
  }

  /** The records at or after {@code from} in whole v2 batches (the first batch may start before it). */
  private List<ConsumerRecord> decode(ByteBuffer bytes, long from) {
    if (!bytes.hasRemaining()) {
      return List.of();
    }
    List<ConsumerRecord> out = new ArrayList<>();
    for (RecordBatch batch : RecordBatches.split(bytes)) {
      if (batch.lastOffset() < from || batch.isControlBatch()) {
        continue;
      }
      for (Iterator<Record> it = batch.iterator(); it.hasNext();) {
        Record r = it.next();
        if (r.offset() >= from) {
          out.add(new ConsumerRecord(options.topic(), options.partition(), r.offset(), r.timestamp(), r.key(),
              r.value(), r.headers()));
        }
      }
    }
    return out;
  }
}
