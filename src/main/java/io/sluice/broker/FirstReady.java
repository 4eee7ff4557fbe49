package io.sluice.broker;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Completes the first time the broker is ready ({@code GET /ready}'s answer: started, and no reason not to take
 * traffic, such as a cluster without a live controller yet), so that work that is not part of being ready (the
 * connect worker's plugin extraction and scan, its clients of this broker) starts after it instead of taking CPU from
 * the last steps before it on a machine with few cores. Fails if the start fails or the broker stops first.
 *
 * <p>Nothing calls back when readiness changes: the broker calls {@link #check} at each change that may make it
 * ready (a metadata snapshot, which brings the elected controller) and from a slow timer for the rest (a
 * connection back). Thread-safe.
 */
final class FirstReady {
  private final Promise<Void> ready = Promise.promise();
  private final Future<?> started;
  private final Supplier<Optional<String>> notReadyReason;

  FirstReady(Future<?> started, Supplier<Optional<String>> notReadyReason) {
    this.started = started;
    this.notReadyReason = notReadyReason;
    started.onComplete(ar -> {
      if (ar.failed()) {
        ready.tryFail(ar.cause());
      } else {
        check();
      }
    });
  }

  /** Completes the future if the broker has started and is ready now; returns whether it has completed. */
  boolean check() {
    if (!ready.future().isComplete() && started.succeeded() && notReadyReason.get().isEmpty()) {
      ready.tryComplete();
    }
    return ready.future().isComplete();
  }

  /** The broker stopped: what waits for readiness never starts. */
  void stopped(String why) {
    ready.tryFail(why);
  }

  Future<Void> future() {
    return ready.future();
  }
}
