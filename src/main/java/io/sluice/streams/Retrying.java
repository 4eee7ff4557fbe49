package io.sluice.streams;

import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A task's call to the cluster tried again every {@link #RETRY_MS} while it fails with a retriable error, for up to
 * {@link #RETRY_FOR_MS}: a task often runs through a failover (it starts right after one, or its changelog's or an
 * output's leader moves), and failing then would restart it and restore its stores from the start, where Kafka
 * Streams' producer and restore consumer ride out the election.
 */
final class Retrying {
  static final long RETRY_MS = 200;
  static final long RETRY_FOR_MS = 30_000;

  private Retrying() {
  }

  /** {@code call}, retried as above; its last error once the time is up or at once for a non-retriable one. */
  static <T> Future<T> call(Vertx vertx, Supplier<Future<T>> call) {
    return call(vertx, call, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_FOR_MS));
  }

  static <T> Future<T> call(Vertx vertx, Supplier<Future<T>> call, long deadlineNanos) {
    return call.get().recover(t -> {
      if (!(t instanceof SluiceException e && e.retriable()) || System.nanoTime() > deadlineNanos) {
        return Future.failedFuture(t);
      }
      Promise<T> again = Promise.promise();
      vertx.setTimer(RETRY_MS, id -> call(vertx, call, deadlineNanos).onComplete(again));
      return again.future();
    });
  }
}
