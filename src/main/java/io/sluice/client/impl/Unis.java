package io.sluice.client.impl;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * Vert.x {@link Future}s to Mutiny {@link Uni}s without the generated bindings (which do not resolve for Vert.x 5).
 * The operation starts only when the Uni is subscribed, on the given context, so the client's state is touched on
 * that context alone.
 */
final class Unis {
  private Unis() {
  }

  /** A lazy Uni that runs {@code op} on {@code context} at subscription and relays its outcome. */
  static <T> Uni<T> onContext(Context context, Supplier<Future<T>> op) {
    return Uni.createFrom().emitter(emitter -> run(context, () -> {
      Future<T> f;
      try {
        f = op.get();
      } catch (RuntimeException e) {
        emitter.fail(e);
        return;
      }
      f.onComplete(emitter::complete, emitter::fail);
    }));
  }

  /** Runs {@code action} on {@code context}: at once if the caller is on it, else queued there. */
  static void run(Context context, Runnable action) {
    if (Context.isOnEventLoopThread() && io.vertx.core.Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }
}
