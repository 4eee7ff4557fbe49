package io.sluice.http;

import io.sluice.api.RequestContext;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;

import io.sluice.api.BrokerService;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchedRecords;
import io.sluice.record.Record;
import io.sluice.api.TopicPartition;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Server-Sent Events for browsers.
 *
 * <pre>
 * GET /topics/{topic}/partitions/{partition}/events[?offset=N][&format=json|binary]   (Last-Event-ID: O)
 *   200 text/event-stream
 *     retry: 2000
 *     id: &lt;offset&gt;
 *     data: {"topic","key","value","partition","offset","timestamp","headers"}
 * </pre>
 *
 * Starts at {@code offset} (default: the end), or right after {@code Last-Event-ID} when the browser reconnects.
 * The default format is json (values that are not JSON come as strings). A comment line is sent when a long
 * poll ends empty, so proxies keep the stream open. Back-pressure: the next fetch starts only once the response's
 * write queue has room; a slow reader costs one fetch's events, no more, and those are held against the answers'
 * heap ({@link AnswerMemory}) until the connection has taken them: the events fetched are encoded one by one as the
 * pool grows, the next fetch starts after the last one encoded, and a fetch whose first event finds no room waits
 * and fetches again (as {@link WsConsumeSession} does).
 *
 * <p>Client quotas ({@link StreamQuota}): each fetch's events (or keepalive) count as a fetch answer of their bytes and
 * one request; over a quota the stream says so in an {@code event: throttle} with {@code {"throttle_time_ms": N}}
 * (a named event: a browser's {@code onmessage} does not see it) and the next fetch waits that long, as Kafka holds a
 * throttled fetch. Nothing is fetched or held meanwhile.
 */
final class SseEndpoint {
  static final long POLL_WAIT_MS = 15_000;
  private static final int FETCH_BYTES = 256 * 1024;
  private final BrokerService service;
  private final WorkerExecutor workers;
  private final AnswerMemory answers;
  /** Null when the broker has no client quotas. */
  private final StreamQuota quota;

  SseEndpoint(BrokerService service, WorkerExecutor workers, AnswerMemory answers, StreamQuota quota) {
    this.answers = answers;
    this.quota = quota;
    this.service = service;
    this.workers = workers;
  }

  void mount(Router router) {
    router.get("/topics/:topic/partitions/:partition/events").handler(this::events);
  }

  private void events(RoutingContext ctx) {
    TopicPartition tp = Params.topicPartition(ctx);
    EmbeddedFormat format = StreamingEndpoint.format(ctx.request().getParam("format"));
    String lastId = ctx.request().getHeader("Last-Event-ID");
    Long resumeAfter = lastId == null || lastId.isBlank() ? null : Params.parseLong("Last-Event-ID", lastId, 0,
        Long.MAX_VALUE - 1);
    long asked = Params.queryLong(ctx, "offset", -1, 0, Long.MAX_VALUE);
    service.offsets(Callers.of(ctx), tp).onSuccess(range -> {
      long start = resumeAfter != null ? resumeAfter + 1 : asked >= 0 ? asked : range.endOffset();
      HttpServerResponse response = ctx.response().setChunked(true)
          .putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-cache")
          .putHeader("X-Accel-Buffering", "no");
      response.write("retry: 2000\n\n");
      java.util.function.BooleanSupplier current = AuthGate.credentialsCurrent(ctx);
      AuthGate.closeAtExpiry(ctx, () -> {
        if (!response.closed() && !response.ended()) {
          revoked(current, response);
        }
      });
      pump(Callers.of(ctx), current, response, tp, format, start);
    }).onFailure(ctx::fail);
  }

  private void pump(RequestContext caller, java.util.function.BooleanSupplier credentialsCurrent,
      HttpServerResponse response, TopicPartition tp, EmbeddedFormat format, long position) {
    if (response.closed() || response.ended()) {
      return;
    }
    if (revoked(credentialsCurrent, response)) {
      return;
    }
    if (response.writeQueueFull()) {
      // once (as ChunkedWriter): left set, it would fire again when a later full queue drained, or after the end
      response.drainHandler(v -> {
        response.drainHandler(null);
        pump(caller, credentialsCurrent, response, tp, format, position);
      });
      return;
    }
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.currentContext().owner();
    AnswerMemory.Grant grant = answers.reserve(0);
    service.fetch(caller, new FetchRequest(tp, position, FETCH_BYTES, 1, POLL_WAIT_MS))
        .compose(r -> workers.executeBlocking(() -> encode(FetchedRecords.decode(r, position), tp, format, grant),
            false))
        .onSuccess(events -> {
          // also after the fetch: it may have waited for records since the credentials changed
          if (response.closed() || response.ended() || revoked(credentialsCurrent, response)) {
            grant.close();
            return;
          }
          if (events.waiting()) { // the heap for answers is full: its events are being written
            grant.close();
            vertx.setTimer(WsConsumeSession.RETRY_MS,
                id -> pump(caller, credentialsCurrent, response, tp, format, position));
            return;
          }
          Buffer out = events.bytes().length() > 0 ? events.bytes() : Buffer.buffer(": keepalive\n\n");
          response.write(out).onComplete(ar -> grant.close());
          long throttle = quota == null ? -1 : quota.consumed(caller, out.length());
          if (throttle <= 0) {
            pump(caller, credentialsCurrent, response, tp, format, events.next());
            return;
          }
          response.write("event: throttle\ndata: {\"" + WsProduceSession.THROTTLE_TIME_MS + "\":" + throttle + "}\n\n");
          vertx.setTimer(throttle, id -> pump(caller, credentialsCurrent, response, tp, format, events.next()));
        })
        .onFailure(t -> {
          grant.close();
          if (!response.closed() && !response.ended()) {
            response.end("event: error\ndata: " + WsFrames.error(t).encode() + "\n\n");
          }
        });
  }

  /** Ends the stream with an error event if the credentials it was opened with no longer hold; true if it did. */
  private static boolean revoked(java.util.function.BooleanSupplier credentialsCurrent, HttpServerResponse response) {
    if (credentialsCurrent.getAsBoolean()) {
      return false;
    }
    response.end("event: error\ndata: " + WsFrames.error(new SluiceException(ErrorCode.SASL_AUTHENTICATION_FAILED,
        AuthGate.revoked(credentialsCurrent))).encode() + "\n\n");
    return true;
  }

  /** The events encoded, where the next fetch starts, and whether none fit the answers' heap (fetch again later). */
  private record Events(Buffer bytes, long next, boolean waiting) {
  }

  /**
   * On a worker: the records' events while {@code grant} can grow to hold them; the first always when nothing else
   * holds the heap (a record larger than the whole bound would otherwise wait forever).
   */
  private Events encode(FetchedRecords.Decoded decoded, TopicPartition tp, EmbeddedFormat format,
      AnswerMemory.Grant grant) {
    Buffer out = Buffer.buffer();
    long next = -1;
    for (Record r : decoded.records()) {
      Buffer event = Buffer.buffer("id: " + r.offset() + "\ndata: ")
          .appendBuffer(FetchEndpoint.recordJson(format, tp.topic(), tp.partition(), r).toBuffer())
          .appendString("\n\n");
      boolean idle = next < 0 && answers.used() == grant.bytes();
      if (!grant.growTo(out.length() + (long) event.length()) && !idle) {
        return next < 0 ? new Events(out, r.offset(), true) : new Events(out, next, false);
      }
      out.appendBuffer(event);
      next = r.offset() + 1;
    }
    return new Events(out, next >= 0 ? next : decoded.nextOffset(), false);
  }

}
