package io.sluice.security;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The password checks (PBKDF2) waiting for or running on the {@code sluice-authn} pool, at most {@code maxPending}
 * of them: past it a check is refused at once with {@link ErrorCode#AUTHENTICATION_THROTTLED} (429), before any work
 * is queued. Before, a flood of bad passwords from many addresses (each paced on its own by {@link FailurePace})
 * grew the pool's queue without bound, and with it every login's wait and the heap. A refusal says nothing of the
 * credentials, so it is answered without the failure pace. Thread-safe.
 */
final class VerificationQueue {
  private final WorkerExecutor pool;
  private final int maxPending;
  private final AtomicInteger pending = new AtomicInteger();

  VerificationQueue(WorkerExecutor pool, int maxPending) {
    this.pool = pool;
    this.maxPending = maxPending;
  }

  /** Runs {@code check} on the pool, or fails at once when {@code maxPending} checks are pending already. */
  <T> Future<T> submit(Callable<T> check) {
    if (pending.incrementAndGet() > maxPending) {
      pending.decrementAndGet();
      return Future.failedFuture(new SluiceException(ErrorCode.AUTHENTICATION_THROTTLED, "The broker is checking "
          + maxPending + " logins already (authentication.max.pending.verifications); retry in a moment"));
    }
    return pool.executeBlocking(check, false).andThen(ar -> pending.decrementAndGet());
  }

  /** The checks waiting or running now. */
  int pending() {
    return pending.get();
  }
}
