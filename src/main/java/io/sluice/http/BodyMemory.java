package io.sluice.http;

import io.sluice.errors.ErrorCode;
import io.sluice.http.ErrorResponses.ApiError;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The heap that request bodies in flight may hold, across every connection of a listener, as Kafka's
 * {@code queued.max.request.bytes}: each body is bounded by {@code http.max.body.bytes}, but without this 60
 * connections sending 15 MB each took a 512 MB broker's heap (OutOfMemoryError, ZooKeeper session lost). A request
 * reserves its Content-Length (a chunked one the largest body allowed) before its body is read and gives it back
 * when its response is done or its connection is gone; a request that does not fit is answered 503
 * BODY_MEMORY_EXHAUSTED (retriable), its body read and dropped, and its connection closed. Thread-safe.
 */
final class BodyMemory {
  private final long capacity;
  private final long maxBodyBytes;
  private final AtomicLong used = new AtomicLong();

  BodyMemory(long capacity, long maxBodyBytes) {
    this.capacity = capacity;
    this.maxBodyBytes = maxBodyBytes;
  }

  /**
   * {@code configured}, or for 0 an eighth of the heap, never below one largest body: a JSON body takes several
   * times its size while it is parsed and encoded into a batch (Jackson's text buffer, the string, the batch).
   */
  static long capacity(long configured, long maxBodyBytes) {
    return configured > 0 ? configured : Math.max(maxBodyBytes, Runtime.getRuntime().maxMemory() / 8);
  }

  /** Runs before every other route. */
  void mount(Router router) {
    router.route().order(-1).handler(this::reserve);
  }

  private void reserve(RoutingContext ctx) {
    long bytes = bodyBytes(ctx.request());
    if (bytes == 0) {
      ctx.next();
      return;
    }
    if (!tryReserve(bytes)) {
      refuse(ctx, bytes);
      return;
    }
    ctx.addEndHandler(ar -> release(bytes)); // on the response's end, a reset or the connection's close alike
    ctx.next();
  }

  /**
   * What a request's body may take: its Content-Length (up to the largest allowed, which the body handler answers
   * 413 above), the largest allowed for a chunked body, 0 without one.
   */
  private long bodyBytes(HttpServerRequest request) {
    String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null) {
      try {
        return Math.min(Math.max(Long.parseLong(length.trim()), 0), maxBodyBytes);
      } catch (NumberFormatException e) {
        return maxBodyBytes; // the HTTP decoder refuses it before this; counted as the worst case if not
      }
    }
    String encoding = request.getHeader(HttpHeaders.TRANSFER_ENCODING);
    return encoding != null && encoding.toLowerCase(java.util.Locale.ROOT).contains("chunked") ? maxBodyBytes : 0;
  }

  boolean tryReserve(long bytes) {
    while (true) {
      long current = used.get();
      if (current + bytes > capacity) {
        return false;
      }
      if (used.compareAndSet(current, current + bytes)) {
        return true;
      }
    }
  }

  void release(long bytes) {
    used.addAndGet(-bytes);
  }

  long used() {
    return used.get();
  }

  /**
   * Answers 503 once the body is read and thrown away: a client that writes its whole body before it reads (most
   * do) would otherwise meet a reset connection instead of the answer. Dropping costs the network, not the heap; a
   * body longer than the largest allowed is cut short by closing.
   */
  private void refuse(RoutingContext ctx, long bytes) {
    ApiError error = new ApiError(ErrorCode.BODY_MEMORY_EXHAUSTED, "The broker holds " + used.get() + " of its "
        + capacity + " bytes for request bodies in flight (http.max.inflight.body.bytes); this request's " + bytes
        + " do not fit now: retry");
    HttpServerRequest request = ctx.request();
    if (request.isEnded()) { // the whole body came with the head: nothing left to drop
      answer(ctx, error);
      return;
    }
    long[] dropped = {0};
    request.handler(chunk -> {
      dropped[0] += chunk.length();
      if (dropped[0] > maxBodyBytes) {
        request.connection().close();
      }
    });
    request.endHandler(v -> answer(ctx, error));
    request.resume();
  }

  private static void answer(RoutingContext ctx, ApiError error) {
    ctx.response().setStatusCode(error.code().httpStatus())
        .putHeader(HttpHeaders.CONTENT_TYPE, MediaTypes.KAFKA_V2_JSON)
        .putHeader(HttpHeaders.CONNECTION, "close")
        .putHeader(HttpHeaders.RETRY_AFTER, "1")
        .end(error.toJson().toBuffer())
        .onComplete(ar -> ctx.request().connection().close()); // Vert.x keeps it open despite the header
  }
}
