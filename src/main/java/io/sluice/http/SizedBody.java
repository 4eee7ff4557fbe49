package io.sluice.http;

import io.vertx.core.Handler;
import io.vertx.core.VertxException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.impl.RoutingContextInternal;

/**
 * The body reader of the binary produce and fetch routes: Vert.x Web's {@code BodyHandler} for a body that is not a
 * form (the same 413 by Content-Length or part way, 417 and {@code 100-continue}, and the body marked read), except
 * that a body with a Content-Length is read into one buffer of exactly that size. {@code BodyHandler} starts at most
 * 64 KiB and doubles: a 1.5 MB produce request of six 256 KiB batches was copied through 64, 128, ... 2,048 KiB
 * buffers, twice its size in copies on top of Vert.x's own copy of each chunk (issue 16, twenty-second session,
 * h-route: a third of the broker's allocation on the p6 row). Allocating the whole length at once holds no more
 * than {@link BodyMemory} reserved for the request before its body is read, and never above the body limit.
 */
final class SizedBody implements Handler<RoutingContext> {
  /** A chunked body's first buffer, as {@code BodyHandler}'s. */
  private static final int CHUNKED_INITIAL_BYTES = 1024;
  private final long limit;
  /** What runs once the body is read (or there is none): the route's next handler, or a step before it. */
  private final Handler<RoutingContext> whenRead;

  SizedBody(long limit) {
    this(limit, RoutingContext::next);
  }

  SizedBody(long limit, Handler<RoutingContext> whenRead) {
    this.limit = limit;
    this.whenRead = whenRead;
  }

  @Override
  public void handle(RoutingContext ctx) {
    RoutingContextInternal internal = (RoutingContextInternal) ctx;
    if (internal.seenHandler(RoutingContextInternal.BODY_HANDLER)) {
      whenRead.handle(ctx);
      return;
    }
    internal.visitHandler(RoutingContextInternal.BODY_HANDLER);
    HttpServerRequest request = ctx.request();
    long length = contentLength(request);
    boolean streamed = request.version() == HttpVersion.HTTP_2
        || request.headers().contains(HttpHeaders.TRANSFER_ENCODING);
    if (!streamed && length == -1) {
      whenRead.handle(ctx); // no body
      return;
    }
    if (length > limit) {
      ctx.fail(413);
      return;
    }
    String expect = request.getHeader(HttpHeaders.EXPECT);
    if (expect != null) {
      if (!expect.equalsIgnoreCase("100-continue")) {
        ctx.fail(417);
        return;
      }
      if (request.version() != HttpVersion.HTTP_1_0) {
        ctx.response().writeContinue();
      }
    }
    if (request.isEnded()) {
      ctx.fail(new VertxException("The body reader ran after the request ended: it must be its route's first"
          + " handler", true));
      return;
    }
    Reader reader = new Reader(ctx, length >= 0 ? (int) length : CHUNKED_INITIAL_BYTES);
    request.handler(reader).endHandler(reader::end).exceptionHandler(ctx::fail);
    request.resume();
  }

  /** The Content-Length, or -1 without a usable one (absent, empty, negative or not a number), as BodyHandler. */
  private static long contentLength(HttpServerRequest request) {
    String header = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (header == null || header.isEmpty()) {
      return -1;
    }
    try {
      long length = Long.parseLong(header);
      return length < 0 ? -1 : length;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Gathers one request's body; fails it with 413 once the body passes the limit. */
  private final class Reader implements Handler<Buffer> {
    private final RoutingContext ctx;
    private final Buffer body;
    private long received;
    private boolean failed;

    Reader(RoutingContext ctx, int initialBytes) {
      this.ctx = ctx;
      this.body = Buffer.buffer(initialBytes);
    }

    @Override
    public void handle(Buffer chunk) {
      if (failed) {
        return;
      }
      received += chunk.length();
      if (received > limit) {
        failed = true;
        ctx.fail(413);
        return;
      }
      body.appendBuffer(chunk);
    }

    void end(Void ignored) {
      if (failed || ctx.failed()) {
        return;
      }
      ((RoutingContextInternal) ctx).setBody(body);
      whenRead.handle(ctx);
    }
  }
}
