package io.sluice.broker.rpc;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.Supplier;

/** Hops between Vert.x contexts, so that state confined to one context is only touched there. */
public final class Contexts {
  private Contexts() {
  }

  /** {@code f}, its completion hopped onto the caller's context if the caller runs on one. */
  public static <T> Future<T> onCaller(Future<T> f) {
    Context caller = Vertx.currentContext();
    if (caller == null || f.isComplete()) {
      return f;
    }
    Promise<T> p = Promise.promise();
    f.onComplete(ar -> {
      if (Vertx.currentContext() == caller) {
        p.handle(ar);
      } else {
        caller.runOnContext(v -> p.handle(ar));
      }
    });
    return p.future();
  }

  /**
   * Runs {@code action} on {@code context} and completes with the future it returns; an exception it throws
   * fails the result.
   */
  public static <T> Future<T> onContext(Context context, Supplier<Future<T>> action) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> {
      try {
        action.get().onComplete(p);
      } catch (RuntimeException e) {
        p.fail(e);
      }
    });
    return p.future();
  }
}
