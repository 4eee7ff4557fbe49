package io.sluice.http;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hands a consumer instance's requests to their handlers in the order their heads arrived, over every connection
 * and event loop of the listener. A request's turn ends when its handler is called: at once for a request without
 * a body step, after its body is read and parsed for one with ({@link JsonBodies}), or when its response ends if
 * neither happened (a refusal). Without it a small commit sent after a large seek, parsed on a worker, could reach
 * the coordinator first. Only dispatch is ordered: a long poll holds its successor for no longer than its own
 * dispatch. Thread-safe; a finished instance leaves no entry behind.
 */
final class InstanceOrder {
  private static final String TURN = "sluice.instanceTurn";
  private static final String CLAIMED = "sluice.instanceTurnClaimed";
  /** Per instance, the turn of its last request; removed by that turn's end unless a later one replaced it. */
  private final ConcurrentHashMap<String, Future<Void>> last = new ConcurrentHashMap<>();

  /** Mounts the gate ahead of the instance routes of {@code base} (a path with {@code :group} and {@code :instance}). */
  void mount(Router router, String base) {
    router.route(base).handler(this::enter);
    router.route(base + "/*").handler(this::enter);
  }

  private void enter(RoutingContext ctx) {
    if (ctx.get(TURN) != null) { // both gate routes matched (a path the wildcard also takes): in line already
      ctx.next();
      return;
    }
    String key = ctx.pathParam("group") + '\n' + ctx.pathParam("instance");
    Promise<Void> turn = Promise.promise();
    Future<Void> previous = last.put(key, turn.future());
    turn.future().onComplete(ar -> last.remove(key, turn.future()));
    ctx.addEndHandler(ar -> turn.tryComplete());
    ctx.put(TURN, turn);
    if (previous == null || previous.isComplete()) {
      proceed(ctx, turn);
      return;
    }
    ctx.request().pause(); // its body waits for the body step, as behind any asynchronous handler
    Context here = ctx.vertx().getOrCreateContext();
    previous.onComplete(ar -> here.runOnContext(v -> proceed(ctx, turn)));
  }

  /** Runs the route's handlers; a body step among them claims the turn and ends it once the handler runs. */
  private static void proceed(RoutingContext ctx, Promise<Void> turn) {
    if (ctx.response().closed()) {
      turn.tryComplete();
      return;
    }
    ctx.next();
    if (ctx.get(CLAIMED) == null) {
      turn.tryComplete();
      ctx.request().resume(); // a body no step reads is dropped, as it would have been without the wait
    }
  }

  /** Called by a body step as it starts: the request's turn now ends when the step hands it to its handler. */
  static void claim(RoutingContext ctx) {
    if (ctx.get(TURN) != null) {
      ctx.put(CLAIMED, Boolean.TRUE);
    }
  }

  /** The turn a body step claimed, or null outside an instance route. */
  static Promise<Void> claimed(RoutingContext ctx) {
    return ctx.get(CLAIMED) != null ? ctx.get(TURN) : null;
  }
}
