package io.sluice.http;

import io.sluice.api.BrokerService;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.record.PartitionSections;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads many partitions in one request, as a Kafka consumer's fetch does, so a reader of many partitions pays one
 * HTTP request per broker rather than one per partition.
 *
 * <pre>
 * POST /fetch   Content-Type: application/json
 *   {"partitions": [{"topic", "partition", "offset", "max_bytes"?}], "max_bytes"?, "min_bytes"?, "timeout"?}
 *   200 Content-Type: application/vnd.sluice.partition-batches
 *       one fetch answer section (PartitionSections) per asked partition, in request order: its error code (0 when
 *       read) and message, high watermark, log start offset, next offset and the stored v2 batches as they are
 * </pre>
 *
 * A partition's {@code max_bytes} defaults to {@link HttpApiConfig#defaultFetchMaxBytes()}, the request's to
 * {@link HttpApiConfig#maxFetchBytes()}; both are lowered to the latter. Partitions are filled in request order
 * until the request's {@code max_bytes} is used (the first non-empty one always goes whole), later ones answer no
 * batches and their asked offset as next offset, so a reader should rotate its order. Long poll: if fewer than
 * {@code min_bytes} (default 1) are there, the broker waits up to {@code timeout} ms (default
 * {@link HttpApiConfig#defaultFetchWaitMs()}) and answers as soon as any partition has data. One partition's error
 * (unknown, not the leader, offset out of range) goes in its section; a malformed request is refused with 400.
 *
 * <p>Threads: the file regions are read into the answer on the fetch worker pool; an answer whose batches are all in
 * memory and small (a caught-up reader's tail, which the partition copies in its read) is laid out on the event loop.
 */
final class MultiFetchEndpoint {
  static final String PATH = "/fetch";
  /** In-memory answers up to this size are laid out on the event loop (a copy of at most a few microseconds). */
  static final int INLINE_COPY_MAX_BYTES = 64 * 1024;
  /** The answer's section layout (PartitionSections): 0, or 1 for a read_committed request. */
  static final String SECTION_VERSION = "Sluice-Section-Version";

  private final BrokerService service;
  private final HttpApiConfig cfg;
  private final WorkerExecutor workers;

  MultiFetchEndpoint(BrokerService service, HttpApiConfig cfg, WorkerExecutor workers) {
    this.service = service;
    this.cfg = cfg;
    this.workers = workers;
  }

  void mount(Router router, Handler<RoutingContext> bodyHandler) {
    router.post(PATH).handler(ctx -> {
      MediaTypes.requireJson(ctx);
      ctx.next();
    });
    router.post(PATH).handler(bodyHandler).handler(this::fetch);
  }

  /**
   * The parsed request: per-partition reads with no wait, plus the request's own bounds. {@code readCommitted}
   * (the body's {@code isolation_level}) also selects the answer's section layout: version 1, which carries each
   * partition's last stable offset and aborted transactions; a read_uncommitted request keeps version 0.
   */
  record Request(List<FetchRequest> partitions, int maxBytes, int minBytes, long waitMs, boolean readCommitted) {
    Request(List<FetchRequest> partitions, int maxBytes, int minBytes, long waitMs) {
      this(partitions, maxBytes, minBytes, waitMs, false);
    }
  }

  /** {@code p} as a wait of up to {@code waitMs} for one byte, keeping its isolation level and rack. */
  private static FetchRequest waiting(FetchRequest p, long waitMs) {
    return new FetchRequest(p.tp(), p.offset(), p.maxBytes(), 1, waitMs, p.readCommitted(), p.clientRack());
  }

  private void fetch(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    BodyDecoding.decode(body == null ? 0 : body.length(), workers, () -> parse(body))
        .onSuccess(request -> fetch(ctx, request)).onFailure(ctx::fail);
  }

  private void fetch(RoutingContext ctx, Request request) {
    RequestContext caller = Callers.of(ctx);
    if (request.partitions().size() == 1) {
      // a handler on the read itself, not stages after it: once per woken long poll, on every record's e2e path
      Future<FetchResult> one = onePartition(caller, request);
      one.onComplete(ar -> answer(ctx, request, List.of(one)));
      return;
    }
    manyPartitions(caller, request).onComplete(ar -> {
      if (ar.failed()) {
        failed(ctx, ar.cause());
      } else {
        answer(ctx, request, ar.result());
      }
    });
  }

  /** Lays the results out: here when they are in memory and small, else on a worker (the copies read files). */
  private void answer(RoutingContext ctx, Request request, List<Future<FetchResult>> results) {
    if (!inMemoryAndSmall(results)) {
      workers.executeBlocking(() -> encode(ctx, request, results), false).onComplete(ar -> {
        if (ar.failed()) {
          failed(ctx, ar.cause());
        } else {
          send(ctx, request, ar.result());
        }
      });
      return;
    }
    Buffer body;
    try {
      body = encode(ctx, request, results);
    } catch (RuntimeException e) {
      failed(ctx, e);
      return;
    }
    send(ctx, request, body);
  }

  private static void send(RoutingContext ctx, Request request, Buffer body) {
    if (!ctx.response().closed()) {
      ctx.response().putHeader("Content-Type", MediaTypes.SLUICE_PARTITION_BATCHES)
          .putHeader(SECTION_VERSION, request.readCommitted() ? "1" : "0").end(body);
    }
  }

  private static void failed(RoutingContext ctx, Throwable failure) {
    if (!ctx.response().closed()) {
      ctx.fail(failure);
    }
  }

  /**
   * One partition: the first read and the wait of {@link #longPoll} together are one partition fetch with
   * min(min_bytes, 1) and the request's wait (it answers at once when there is data, else waits for it), so a poll
   * that waits costs one hand-off to the partition's context, not two; the poll is on every record's end-to-end
   * path. A failed wait is answered, as the two steps answered it, with a read that does not wait: after a leader
   * move that read's section (or its error, if it came after the move); any other error is the same twice.
   */
  private Future<FetchResult> onePartition(RequestContext caller, Request request) {
    FetchRequest p = request.partitions().get(0);
    return request.minBytes() == 0 || request.waitMs() == 0 ? service.fetch(caller, p)
        : service.fetch(caller, waiting(p, request.waitMs()))
            .recover(waitFailed -> service.fetch(caller, p));
  }

  /** Reads every partition without waiting (to weigh min_bytes over all of them), then waits if too little came. */
  private Future<List<Future<FetchResult>>> manyPartitions(RequestContext caller, Request request) {
    List<Future<FetchResult>> first = new ArrayList<>();
    request.partitions().forEach(p -> first.add(service.fetch(caller, p)));
    return Future.join(first).transform(ar -> Future.<Void>succeededFuture())
        .compose(v -> bytes(first) >= request.minBytes() || request.waitMs() == 0
            ? Future.succeededFuture(first) : longPoll(caller, request, first));
  }

  /**
   * Waits on every partition that answered without error and answers once any of them has data, or all have
   * waited out the timeout. The waits not yet over end on their own at their timeout or with the next append.
   */
  private Future<List<Future<FetchResult>>> longPoll(RequestContext caller, Request request,
      List<Future<FetchResult>> first) {
    List<Future<FetchResult>> waits = new ArrayList<>(first.size());
    Promise<List<Future<FetchResult>>> answer = Promise.promise();
    for (int i = 0; i < first.size(); i++) {
      if (first.get(i).failed()) {
        waits.add(first.get(i));
        continue;
      }
      FetchRequest p = request.partitions().get(i);
      waits.add(service.fetch(caller, waiting(p, request.waitMs())));
    }
    // Only once every wait is asked: a wait may already be complete (data came since the first read), and its
    // callback then runs at once and picks over all partitions.
    for (Future<FetchResult> wait : waits) {
      wait.onSuccess(r -> {
        if (r.sizeInBytes() > 0) {
          answer.tryComplete(pick(first, waits));
        }
      });
    }
    Future.join(waits).onComplete(ar -> answer.tryComplete(pick(first, waits)));
    return answer.future();
  }

  /** For each partition, its wait's result if that is in and has data, else its first result. */
  private static List<Future<FetchResult>> pick(List<Future<FetchResult>> first, List<Future<FetchResult>> waits) {
    List<Future<FetchResult>> picked = new ArrayList<>(first.size());
    for (int i = 0; i < first.size(); i++) {
      Future<FetchResult> w = waits.get(i);
      picked.add(w.succeeded() && w.result().sizeInBytes() > 0 ? w : first.get(i));
    }
    return picked;
  }

  /**
   * Whether every answer's batches are in memory and few, so that copying them into the answer is cheap enough for
   * the event loop: a caught-up reader's answer then skips the worker's two thread hand-offs.
   */
  static boolean inMemoryAndSmall(List<Future<FetchResult>> results) {
    long bytes = 0;
    for (Future<FetchResult> f : results) {
      if (f.succeeded() && f.result().sizeInBytes() > 0) {
        if (!f.result().batches().inMemory()) {
          return false;
        }
        bytes += f.result().sizeInBytes();
      }
    }
    return bytes <= INLINE_COPY_MAX_BYTES;
  }

  private static long bytes(List<Future<FetchResult>> results) {
    long bytes = 0;
    for (Future<FetchResult> f : results) { // a loop, not a stream: once per woken long poll, on every fetch
      if (f.succeeded()) {
        bytes += f.result().sizeInBytes();
      }
    }
    return bytes;
  }

  /** One partition's part of the answer: its section header, and the batches (if any) to copy after it. */
  private record Part(byte[] header, io.sluice.api.Batches batches) {
  }

  /**
   * Runs on a worker: lays out the sections, then copies each partition's batches once, straight from the segment
   * file (disk I/O) into one buffer of the exact size.
   */
  private static Buffer encode(RoutingContext ctx, Request request, List<Future<FetchResult>> results) {
    List<Part> parts = layout(ctx, request, results);
    int total = 0;
    for (Part p : parts) {
      total += p.header().length + (p.batches() == null ? 0 : p.batches().sizeInBytes());
    }
    // Heap, not pooled: a Vert.x Buffer is not reference counted, so a pooled buffer handed to it could leak.
    io.netty.buffer.ByteBuf out = io.netty.buffer.Unpooled.buffer(total, total);
    for (Part part : parts) {
      out.writeBytes(part.header());
      if (part.batches() != null) {
        copy(part.batches(), out);
      }
    }
    return io.vertx.core.internal.buffer.BufferInternal.buffer(out);
  }

  /**
   * Copies the batches into {@code out}, from the segment file for a file region (blocking: call it on a worker).
   *
   * @throws io.sluice.errors.SluiceException UNKNOWN_SERVER_ERROR if the file cannot be read
   */
  static void copy(io.sluice.api.Batches batches, io.netty.buffer.ByteBuf out) {
    try {
      copyOrThrow(batches, out);
    } catch (IOException | RuntimeException e) {
      throw new io.sluice.errors.SluiceException(ErrorCode.UNKNOWN_SERVER_ERROR, "Reading the fetched batches failed: "
          + e);
    }
  }

  private static void copyOrThrow(io.sluice.api.Batches batches, io.netty.buffer.ByteBuf out) throws IOException {
    if (batches.fileRegion().isPresent()) {
      io.sluice.api.Batches.FileRegion file = batches.fileRegion().get();
      int copied = 0;
      while (copied < file.length()) {
        int n = out.writeBytes(file.channel(), file.position() + copied, file.length() - copied);
        if (n < 0) {
          throw new IOException("Unexpected end of " + file.file() + " at " + (file.position() + copied));
        }
        copied += n;
      }
    } else {
      out.writeBytes(batches.readBytes());
    }
  }

  /** Which partitions' batches go in (in order, within the request's max_bytes), and every section's header. */
  private static List<Part> layout(RoutingContext ctx, Request request, List<Future<FetchResult>> results) {
    List<Part> parts = new ArrayList<>(results.size());
    long budget = request.maxBytes();
    for (int i = 0; i < results.size(); i++) {
      FetchRequest asked = request.partitions().get(i);
      Future<FetchResult> f = results.get(i);
      TopicPartition tp = asked.tp();
      if (f.failed()) {
        ErrorResponses.ApiError error = ErrorResponses.toApiError(f.cause(), ctx);
        parts.add(new Part(header(request, tp, (short) error.code().code(), error.message(), -1, -1,
            asked.offset(), 0, -1, List.of()), null));
        continue;
      }
      FetchResult r = f.result();
      int size = r.sizeInBytes();
      boolean fits = size <= budget || budget == request.maxBytes();
      if (size == 0 || !fits) {
        parts.add(new Part(header(request, tp, (short) 0, null, r.highWatermark(), r.logStartOffset(),
            asked.offset(), 0, r.lastStableOffset(), List.of()), null));
        continue;
      }
      budget -= size;
      parts.add(new Part(header(request, tp, (short) 0, null, r.highWatermark(), r.logStartOffset(),
          r.nextOffset(), size, r.lastStableOffset(), r.abortedTransactions()), r.batches()));
    }
    return parts;
  }

  /** A section header in the request's layout: version 1 (read_committed) adds the LSO and aborted transactions. */
  private static byte[] header(Request request, TopicPartition tp, short errorCode, String message,
      long highWatermark, long logStartOffset, long nextOffset, int size, long lastStableOffset,
      List<io.sluice.record.AbortedTransaction> aborted) {
    return request.readCommitted()
        ? PartitionSections.fetchHeaderV1(tp.topic(), tp.partition(), errorCode, message, highWatermark,
            logStartOffset, nextOffset, lastStableOffset, aborted, size)
        : PartitionSections.fetchHeader(tp.topic(), tp.partition(), errorCode, message, highWatermark,
            logStartOffset, nextOffset, size);
  }

  /**
   * The canonical body's streaming parse; anything unusual, and every refusal with its message, the full one. Both
   * cost about the body's size, so a large body is parsed on the workers ({@link BodyDecoding}): a 16 MB one held
   * the event loop for the whole parse.
   */
  private Request parse(Buffer body) {
    Request request = CanonicalFetchBody.tryParse(body, cfg);
    return request != null ? request : parse(Replies.jsonObjectBody(body));
  }

  Request parse(JsonObject body) {
    int maxBytes = (int) Math.min(bound(body, "max_bytes", cfg.maxFetchBytes(), 1, Integer.MAX_VALUE),
        cfg.maxFetchBytes());
    int minBytes = (int) bound(body, "min_bytes", 1, 0, Integer.MAX_VALUE);
    long waitMs = Math.min(bound(body, "timeout", cfg.defaultFetchWaitMs(), 0, Long.MAX_VALUE),
        cfg.maxFetchWaitMs());
    Object list = body.getValue("partitions");
    if (!(list instanceof JsonArray partitions) || partitions.isEmpty()) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST,
          "'partitions' must be a non-empty array of {\"topic\", \"partition\", \"offset\"}");
    }
    List<FetchRequest> asked = new ArrayList<>(partitions.size());
    Set<TopicPartition> seen = new HashSet<>();
    String rack = clientRack(body);
    Object isolation = body.getValue("isolation_level");
    boolean readCommitted = isolation != null && Params.isolationLevel("isolation_level", isolation.toString());
    for (int i = 0; i < partitions.size(); i++) {
      FetchRequest p = with(partition(partitions.getValue(i), i), readCommitted, rack);
      if (!seen.add(p.tp())) {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "partitions[" + i + "] names " + p.tp()
            + " again: a partition may appear once per request");
      }
      asked.add(p);
    }
    return new Request(asked, maxBytes, minBytes, waitMs, readCommitted);
  }

  /** The consumer's {@code client_rack} (KIP-392, Kafka's FetchRequest rack_id), or null. */
  private static String clientRack(JsonObject body) {
    Object rack = body.getValue("client_rack");
    if (rack != null && !(rack instanceof String)) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "client_rack must be a string");
    }
    return ClientRack.of((String) rack);
  }

  private static FetchRequest with(FetchRequest p, boolean readCommitted, String rack) {
    return rack == null && !readCommitted ? p
        : new FetchRequest(p.tp(), p.offset(), p.maxBytes(), p.minBytes(), p.maxWaitMs(), readCommitted, rack);
  }

  private FetchRequest partition(Object value, int i) {
    if (!(value instanceof JsonObject p)) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "partitions[" + i + "] must be an object");
    }
    Object topic = p.getValue("topic");
    if (!(topic instanceof String name) || name.isEmpty()) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "partitions[" + i + "].topic must be a non-empty"
          + " string");
    }
    int partition = (int) bound(p, "partition", -1, 0, Integer.MAX_VALUE, "partitions[" + i + "].");
    long offset = bound(p, "offset", -1, 0, Long.MAX_VALUE, "partitions[" + i + "].");
    int maxBytes = (int) Math.min(bound(p, "max_bytes", cfg.defaultFetchMaxBytes(), 1, Integer.MAX_VALUE,
        "partitions[" + i + "]."), cfg.maxFetchBytes());
    return new FetchRequest(new TopicPartition(name, partition), offset, maxBytes, 0, 0);
  }

  private static long bound(JsonObject o, String field, long defaultValue, long min, long max) {
    return bound(o, field, defaultValue, min, max, "");
  }

  /** The integer field, its default when absent (a negative default means required), refused outside min..max. */
  private static long bound(JsonObject o, String field, long defaultValue, long min, long max, String prefix) {
    Object v = o.getValue(field);
    if (v == null && defaultValue >= 0) {
      return defaultValue;
    }
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
        || n.longValue() < min || n.longValue() > max) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, prefix + field + " must be an integer from " + min
          + " to " + max + (v == null ? " and is required" : ", got " + v));
    }
    return n.longValue();
  }
}
