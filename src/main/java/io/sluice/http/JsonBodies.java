package io.sluice.http;

import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The body reader of the routes that take a JSON object (consumer instances, groups, topics, configs, ACLs,
 * reassignments, users, producers, and the extensions' routes: {@link HttpExtension#mount}): the body is read under the body limit ({@link SizedBody}: 413 above it), and
 * one over {@link BodyDecoding#INLINE_MAX_BYTES} is parsed on the HTTP worker pool before the route's handler runs,
 * which then finds it parsed ({@link #parsed}). Parsed on the event loop, a seek of 25,000 partitions (a few MB)
 * held it past the 1 s blocked-thread guard at load 30, stalling every connection on that loop. A route whose
 * handler turns the object into its request (25,000 positions into a map) has that done on the worker too
 * ({@link #reader(Function)}, {@link #decoded}), before its handler runs: done in the handler it would either hold
 * the loop again or, sent to a worker from there, let the instance's next request pass it. A consumer instance's
 * requests still reach their handlers in the order they came ({@link InstanceOrder}).
 */
final class JsonBodies {
  /** The context key of a large body's parse: its {@link JsonObject}, or the RuntimeException it failed with. */
  private static final String PARSED = "sluice.parsedJsonBody";
  /** The context key of a large body's request, as {@link #reader(Function)}'s decoder made it (or its exception). */
  private static final String DECODED = "sluice.decodedJsonBody";
  private final WorkerExecutor workers;
  private final SizedBody reader;

  private final long maxBodyBytes;

  JsonBodies(long maxBodyBytes, WorkerExecutor workers) {
    this.workers = workers;
    this.maxBodyBytes = maxBodyBytes;
    this.reader = new SizedBody(maxBodyBytes, ctx -> parse(ctx, null));
  }

  /** The handler to put first on a JSON route. */
  Handler<RoutingContext> reader() {
    return read(reader);
  }

  /**
   * The handler to put first on a JSON route whose handler reads its request with {@link #decoded}{@code (ctx,
   * decoder)}: for a large body, {@code decoder} runs on the worker after the parse. It must be safe off the event
   * loop (no context, no route state) and answer a malformed request by throwing, as the handler would.
   */
  Handler<RoutingContext> reader(Function<JsonObject, ?> decoder) {
    return read(new SizedBody(maxBodyBytes, ctx -> parse(ctx, decoder)));
  }

  private static Handler<RoutingContext> read(SizedBody body) {
    return ctx -> {
      InstanceOrder.claim(ctx); // the instance's next request waits until this one's body is parsed
      body.handle(ctx);
    };
  }

  private void parse(RoutingContext ctx, Function<JsonObject, ?> decoder) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() <= BodyDecoding.INLINE_MAX_BYTES) {
      dispatch(ctx);
      return;
    }
    workers.executeBlocking(() -> {
      Object parsed = attempt(() -> StrictJson.parseObject(body, "Request body"));
      return new Object[] {parsed, decoder == null || !(parsed instanceof JsonObject o) ? null
          : attempt(() -> decoder.apply(o))};
    }, false).onComplete(ar -> {
      if (ctx.response().closed()) {
        dispatchNothing(ctx);
        return;
      }
      ctx.put(PARSED, ar.succeeded() ? ar.result()[0] : new IllegalStateException(ar.cause()));
      if (ar.succeeded() && ar.result()[1] != null) {
        ctx.put(DECODED, ar.result()[1]);
      }
      dispatch(ctx);
    });
  }

  /** {@code work}'s result, or the RuntimeException it threw: the handler answers it as it would its own. */
  private static Object attempt(Supplier<?> work) {
    try {
      return work.get();
    } catch (RuntimeException e) {
      return e;
    }
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
    return (JsonObject) rethrown(ctx.get(PARSED));
  }

  /**
   * The request {@code decoder} makes of the body: made on the worker with the parse if the body was large (its
   * route's reader was {@link #reader(Function)} with the same decoder), else here from {@link Replies#jsonObjectBody}.
   *
   * @throws RuntimeException the parse's or the decoder's own error (400 naming what was wrong)
   */
  @SuppressWarnings("unchecked")
  static <T> T decoded(RoutingContext ctx, Function<JsonObject, T> decoder) {
    Object decoded = rethrown(ctx.get(DECODED));
    return decoded != null ? (T) decoded : decoder.apply(Replies.jsonObjectBody(ctx));
  }

  private static Object rethrown(Object parsed) {
    if (parsed instanceof RuntimeException e) {
      throw e;
    }
    return parsed;
  }
}
