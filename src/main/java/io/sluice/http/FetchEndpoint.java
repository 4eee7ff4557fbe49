package io.sluice.http;

import io.sluice.api.RequestContext;

import io.sluice.api.Batches;
import io.sluice.api.BrokerService;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.http.MediaTypes.FetchFormat;
import io.sluice.record.Header;
import io.sluice.record.Record;
import io.netty.buffer.Unpooled;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.sluice.record.AbortedBatches;
import io.sluice.record.AbortedTransaction;
import java.nio.ByteBuffer;

/**
 * Reads one partition from an offset, with long poll.
 *
 * <pre>
 * GET /topics/{topic}/partitions/{partition}/records?offset=N[&max_bytes=B][&timeout=MS][&min_bytes=M]
 *     [&isolation_level=read_uncommitted|read_committed]
 *   Accept: application/vnd.kafka.json.v2+json | application/vnd.kafka.binary.v2+json (default)
 *     200 [{"topic", "key", "value", "partition", "offset", "timestamp", "headers": [{"key", "value"}]}]
 *   Accept: application/vnd.sluice.batch
 *     200 the stored v2 batches as they are (the first may start before N; skip its earlier records)
 *   Headers on both: Sluice-High-Watermark, Sluice-Log-Start-Offset, Sluice-Next-Offset (where to fetch next)
 *   read_committed: reads stop at the last stable offset (Sluice-Last-Stable-Offset); JSON leaves out aborted
 *   transactions' records, batches carry them with Sluice-Aborted-Transactions for the reader to drop
 * </pre>
 *
 * The broker answers once {@code min_bytes} (default 1) are there or after {@code timeout} ms (default
 * {@link HttpApiConfig#defaultFetchWaitMs()}, at most {@link HttpApiConfig#maxFetchWaitMs()}) with what it has,
 * possibly nothing. {@code max_bytes} (default {@link HttpApiConfig#defaultFetchMaxBytes()}) is lowered to
 * {@link HttpApiConfig#maxFetchBytes()}. A client that hangs up during the wait is simply not answered.
 *
 * <p>Threads: raw batches from a local segment go out with {@code sendFile} (zero-copy); for the JSON formats the
 * slice is read (disk I/O), decoded and encoded on the fetch worker pool, then written from the event loop in
 * chunks under back-pressure.
 *
 * <p>Memory: a JSON answer, and raw batches copied for an h2c client, are counted in {@link AnswerMemory} from the
 * moment the fetch has its slice (not while its long poll waits) until the answer is written or its client is gone;
 * an answer that does not fit carries the records that do, and {@code Sluice-Next-Offset} says where to go on.
 */
final class FetchEndpoint {
  static final String HIGH_WATERMARK = "Sluice-High-Watermark";
  static final String LOG_START_OFFSET = "Sluice-Log-Start-Offset";
  static final String NEXT_OFFSET = "Sluice-Next-Offset";
  /** A read_committed fetch's end: Kafka's last stable offset. */
  static final String LAST_STABLE_OFFSET = "Sluice-Last-Stable-Offset";
  /**
   * A read_committed binary fetch's aborted transactions in range (Kafka's FetchResponse.AbortedTransactions):
   * {@code producerId:firstOffset} pairs, comma-separated, empty for none.
   */
  static final String ABORTED_TRANSACTIONS = "Sluice-Aborted-Transactions";
  /** The broker whose in-sync follower answered a {@code client_rack} fetch (KIP-392); absent when the leader did. */
  static final String READ_REPLICA = "Sluice-Read-Replica";

  private final BrokerService service;
  private final HttpApiConfig cfg;
  private final WorkerExecutor workers;
  private final AnswerMemory answers;

  FetchEndpoint(BrokerService service, HttpApiConfig cfg, WorkerExecutor workers, AnswerMemory answers) {
    this.service = service;
    this.cfg = cfg;
    this.workers = workers;
    this.answers = answers;
  }

  void mount(Router router) {
    router.get("/topics/:topic/partitions/:partition/records").handler(this::fetch);
  }

  private void fetch(RoutingContext ctx) {
    FetchFormat format = MediaTypes.fetchFormat(ctx);
    FetchRequest request = parseRequest(ctx);
    service.fetch(Callers.of(ctx), request)
        .compose(result -> answer(ctx, format, request, result))
        .onFailure(failure -> {
          if (!ctx.response().closed()) {
            ctx.fail(failure);
          }
        });
  }

  private FetchRequest parseRequest(RoutingContext ctx) {
    long offset = Params.requiredQueryLong(ctx, "offset", 0, Long.MAX_VALUE);
    long maxBytes = Params.queryLong(ctx, "max_bytes", cfg.defaultFetchMaxBytes(), 1, Integer.MAX_VALUE);
    long minBytes = Params.queryLong(ctx, "min_bytes", 1, 0, Integer.MAX_VALUE);
    long waitMs = Params.queryLong(ctx, "timeout", cfg.defaultFetchWaitMs(), 0, Long.MAX_VALUE);
    return new FetchRequest(Params.topicPartition(ctx), offset, (int) Math.min(maxBytes, cfg.maxFetchBytes()),
        (int) minBytes, Math.min(waitMs, cfg.maxFetchWaitMs()), Params.readCommitted(ctx), ClientRack.query(ctx));
  }

  private Future<Void> answer(RoutingContext ctx, FetchFormat format, FetchRequest request, FetchResult result) {
    HttpServerResponse response = ctx.response();
    if (response.closed()) {
      return Future.succeededFuture();
    }
    response.putHeader("Content-Type", format.mediaType)
        .putHeader(HIGH_WATERMARK, Long.toString(result.highWatermark()))
        .putHeader(LOG_START_OFFSET, Long.toString(result.logStartOffset()));
    if (request.readCommitted()) {
      response.putHeader(LAST_STABLE_OFFSET, Long.toString(result.lastStableOffset()));
    }
    if (result.readReplica() >= 0) {
      response.putHeader(READ_REPLICA, Integer.toString(result.readReplica()));
    }
    if (format == FetchFormat.BATCHES) {
      if (request.readCommitted()) {
        response.putHeader(ABORTED_TRANSACTIONS, abortedHeader(result.abortedTransactions()));
      }
      return sendBatches(ctx, result);
    }
    EmbeddedFormat embedded = format == FetchFormat.JSON ? EmbeddedFormat.JSON : EmbeddedFormat.BINARY;
    long wanted = (long) JsonRecordsAnswer.RESERVED_PER_STORED_BYTE * result.batches().sizeInBytes();
    AnswerMemory.Grant grant = answers.reserve(ctx, Math.max(wanted, 1));
    if (grant == null) {
      answers.refuse(ctx, wanted);
      return Future.succeededFuture();
    }
    return workers.executeBlocking(() -> encodeRecords(embedded, request, result, grant), false)
        .compose(encoded -> {
          if (response.closed()) {
            return Future.succeededFuture();
          }
          response.putHeader(NEXT_OFFSET, Long.toString(encoded.nextOffset()));
          return ChunkedWriter.write(response, encoded.chunks(), grant::release);
        });
  }

  private Future<Void> sendBatches(RoutingContext ctx, FetchResult result) {
    HttpServerResponse response = ctx.response();
    Batches batches = result.batches();
    response.putHeader(NEXT_OFFSET, Long.toString(result.nextOffset()));
    if (batches.isEmpty()) {
      return response.end();
    }
    if (batches.inMemory()) {
      return response.end(Buffer.buffer(batches.readBytes().array()));
    }
    Batches.FileRegion file = batches.fileRegion().orElseThrow();
    if (ctx.request().version() == HttpVersion.HTTP_2) {
      return copyBatches(ctx, result);
    }
    return response.sendFile(file.channel(), file.position(), file.length());
  }

  /**
   * Vert.x sends a FileChannel only over HTTP/1.x: an h2c client gets the bytes copied on a worker, as many whole
   * batches as the answers' memory has room for (at least the first), with the next offset after them.
   */
  private Future<Void> copyBatches(RoutingContext ctx, FetchResult result) {
    int size = result.batches().sizeInBytes();
    AnswerMemory.Grant grant = answers.reserve(ctx, size);
    if (grant == null) {
      answers.refuse(ctx, size);
      return Future.succeededFuture();
    }
    return workers.<ByteBuffer>executeBlocking(() -> WholeBatches.read(result.batches(), grant.bytes()), false)
        .compose(bytes -> {
          HttpServerResponse response = ctx.response();
          if (response.closed()) {
            return Future.succeededFuture();
          }
          if (bytes.limit() > grant.bytes()) {
            grant.tryGrow(bytes.limit() - grant.bytes()); // the first batch, read whatever its size
          }
          if (bytes.limit() < size) {
            response.putHeader(NEXT_OFFSET, Long.toString(BatchFrames.nextOffset(bytes.duplicate(),
                result.nextOffset())));
          }
          return response.end(BufferInternal.buffer(Unpooled.wrappedBuffer(bytes)));
        });
  }

  /**
   * Runs on a worker: reads the whole batches of the slice that fit in the grant (disk I/O), encodes their records as
   * JSON within it, and gives back what the answer does not hold (the read bytes are garbage once encoded).
   */
  private static JsonRecordsAnswer.Encoded encodeRecords(EmbeddedFormat format, FetchRequest request,
      FetchResult result, AnswerMemory.Grant grant) {
    ByteBuffer batches = WholeBatches.read(result.batches(),
        grant.bytes() / JsonRecordsAnswer.RESERVED_PER_STORED_BYTE);
    JsonRecordsAnswer.Encoded encoded = JsonRecordsAnswer.encode(format, request.tp(), request.offset(), batches,
        AbortedBatches.of(result.abortedTransactions()), grant);
    grant.shrinkTo(encoded.bytes());
    return encoded;
  }

  static String abortedHeader(java.util.List<AbortedTransaction> aborted) {
    StringBuilder out = new StringBuilder();
    for (AbortedTransaction a : aborted) {
      out.append(out.length() == 0 ? "" : ",").append(a.producerId()).append(':').append(a.firstOffset());
    }
    return out.toString();
  }

  static JsonObject recordJson(EmbeddedFormat format, String topic, int partition, Record r) {
    JsonArray headers = new JsonArray();
    for (Header h : r.headers()) {
      headers.add(new JsonObject().put("key", h.key()).put("value", EmbeddedFormat.BINARY.toJson(h.value())));
    }
    return new JsonObject()
        .put("topic", topic)
        .put("key", format.toJson(r.key()))
        .put("value", format.toJson(r.value()))
        .put("partition", partition)
        .put("offset", r.offset())
        .put("timestamp", r.timestamp())
        .put("headers", headers);
  }
}
