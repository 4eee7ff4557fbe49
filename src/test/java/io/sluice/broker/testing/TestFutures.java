package io.sluice.broker.testing;

import io.vertx.core.Future;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waits for a Vert.x future from a test thread. A failure names its cause in the AssertionError's own message, so
 * that CI's one-line summary tells a refused or closed connection from a future that never completed (it said only
 * "future failed or timed out" before, which left a one-in-1,563 failure unexplained).
 */
public final class TestFutures {
  private TestFutures() {
  }

  /** {@code future}'s result; an AssertionError naming the failure, or saying it did not complete in time. */
  public static <T> T await(Future<T> future, long seconds) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(seconds, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("the future did not complete within " + seconds + " s", e);
    } catch (ExecutionException e) {
      throw new AssertionError("the future failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted waiting for the future", e);
    }
  }
}
