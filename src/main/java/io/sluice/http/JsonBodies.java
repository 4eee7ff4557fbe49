package io.sluice.http;

import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The body reader of the routes that take a JSON object (consumer instances, groups, topics, configs, ACLs,
 * reassignments, users, producers, and the extensions' routes: {@link HttpExtension#mount}): the body is read under the body limit ({@link SizedBody}: 413 above it), and
 * one over {@link BodyDecoding#INLINE_MAX_BYTES} is parsed on the HTTP worker pool before the route's handler runs,
 * which then finds it parsed ({@link #parsed}). Parsed on the event loop, a seek of 25,000 partitions (a few MB)
 * held it past the 1 s blocked-thread guard at load 30, stalling every connection on that loop. A consumer
 * instance's requests still reach their handlers in the order they came ({@link InstanceOrder}).
 */
final class JsonBodies {
  /** The context key of a large body's parse: its {@link JsonObject}, or the RuntimeException it failed with. */
  private static final String PARSED = "sluice.parsedJsonBody";
  private final WorkerExecutor workers;
  private final SizedBody reader;

  JsonBodies(long maxBodyBytes, WorkerExecutor workers) {
    this.workers = workers;
    this.reader = new SizedBody(maxBodyBytes, this::parse);
  }

  /** The handler to put first on a JSON route. */
  Handler<RoutingContext> reader() {
    return ctx -> {
      InstanceOrder.claim(ctx); // the instance's next request waits until this one's body is parsed
      reader.handle(ctx);
    };
  }

  private void parse(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() <= BodyDecoding.INLINE_MAX_BYTES) {
      dispatch(ctx);
      return;
    }
    workers.executeBlocking(() -> {
      try {
        return (Object) StrictJson.parseObject(body, "Request body");
      } catch (RuntimeException e) {
        return e; // the handler answers it, as it would have answered its own parse
      }
    }, false).onComplete(ar -> {
      if (ctx.response().closed()) {
        dispatchNothing(ctx);
        return;
      }
      ctx.put(PARSED, ar.succeeded() ? ar.result() : new IllegalStateException(ar.cause()));
      dispatch(ctx);
    });
  }

  private static void dispatch(RoutingContext ctx) {
    dispatchNothing(ctx);
    ctx.next();
  }

  /** Ends the request's turn in its instance's order: its handler runs now, or never (its client is gone). */
  private static void dispatchNothing(RoutingContext ctx) {
    Promise<Void> turn = InstanceOrder.claimed(ctx);
    if (turn != null) {
      turn.tryComplete();
    }
  }

  /**
   * The body's object if it was parsed before the handler ran; null if it was not (a small one: the caller parses).
   *
   * @throws RuntimeException the parse's own error (400 MALFORMED_REQUEST naming what was wrong)
   */
  static JsonObject parsed(RoutingContext ctx) {
    Object parsed = ctx.get(PARSED);
    if (parsed instanceof RuntimeException e) {
      throw e;
    }
    return (JsonObject) parsed;
  }
}
