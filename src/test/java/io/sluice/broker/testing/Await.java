package io.sluice.broker.testing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Waits for a condition a test cannot be notified of (a broker's state reached asynchronously) by asking it again
 * every {@value #POLL_MS} ms. The timeout only ends a hang: it is generous because a loaded CI machine is slow, and
 * no assertion depends on how long the wait took. Use a future or a callback instead where the code offers one.
 */
public final class Await {
  /** The bound of {@link #until(BooleanSupplier, String)}: long enough for a loaded machine, short of a hang. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(InProcessCluster.WAIT_MS);
  private static final long POLL_MS = 10;

  private Await() {
  }

  /** Returns once {@code condition} holds; fails after {@link #DEFAULT_TIMEOUT} naming {@code what} was awaited. */
  public static void until(BooleanSupplier condition, String what) {
    until(condition, what, DEFAULT_TIMEOUT);
  }

  /**
   * Returns once {@code condition} holds; fails with an {@link AssertionError} naming {@code what} after
   * {@code timeout}. An exception the condition throws fails the wait at once.
   */
  public static void until(BooleanSupplier condition, String what, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("Timed out after " + timeout.toMillis() + " ms waiting until " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(POLL_MS));
      if (Thread.interrupted()) {
        throw new AssertionError("Interrupted while waiting until " + what);
      }
    }
  }
}
