package io.sluice.connect;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreMutex;

/**
 * Serializes the connector-config writes that depend on what exists (create, and PUT's "created or updated") across
 * the cluster, as Kafka Connect does by sending them to its leader worker: without it two brokers each see no
 * connector of a name and both answer 201, the later config silently replacing the earlier. A ZooKeeper lock (a
 * Curator recipe, released by its session if the holder dies); not thread-bound, since it is taken and released on
 * whichever thread of the connect pool runs the step. Callers on one broker queue here first, so at most one pool
 * thread ever waits for the lock and the release always finds a free thread.
 */
final class ConfigLock {
  static final String PATH = "/connect/config-lock";
  private static final long WAIT_MS = 30_000;

  private final InterProcessSemaphoreMutex mutex;
  private final WorkerExecutor pool;
  private Future<Void> queue = Future.succeededFuture();

  ConfigLock(CuratorFramework zk, WorkerExecutor pool) {
    this.mutex = new InterProcessSemaphoreMutex(zk, PATH);
    this.pool = pool;
  }

  /** Runs {@code action} while this worker holds the cluster's config lock; fails with 503 if it is not had in 30 s. */
  <T> Future<T> holding(Supplier<Future<T>> action) {
    synchronized (this) {
      Future<T> result = queue.transform(ar -> locked(action));
      queue = result.transform(ar -> Future.succeededFuture());
      return result;
    }
  }

  private <T> Future<T> locked(Supplier<Future<T>> action) {
    return pool.<Void>executeBlocking(() -> {
      if (!mutex.acquire(WAIT_MS, TimeUnit.MILLISECONDS)) {
        throw new SluiceException(ErrorCode.SERVICE_UNAVAILABLE, "Another connector config change held the cluster's"
            + " config lock for " + WAIT_MS / 1000 + " s; retry later");
      }
      return null;
    }, false).compose(locked -> {
      Future<T> done;
      try {
        done = action.get();
      } catch (RuntimeException e) {
        done = Future.failedFuture(e);
      }
      return done.andThen(ar -> pool.executeBlocking(() -> {
        mutex.release();
        return null;
      }, false));
    });
  }
}
