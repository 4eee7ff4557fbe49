package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.internal.WorkerExecutorInternal;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Every worker of the HTTP worker pool ({@link HttpServerVerticle#FETCH_POOL_NAME}) held until {@link #release}, so
 * that work sent to the pool is seen waiting in its queue: a count, not a time.
 */
final class HeldWorkers {
  private final CountDownLatch release = new CountDownLatch(1);
  private final ThreadPoolExecutor pool;

  private HeldWorkers(ThreadPoolExecutor pool) {
    this.pool = pool;
  }

  /** Holds the pool that {@code cfg}'s listener shares; answers once every worker is held. */
  static HeldWorkers hold(Vertx vertx, HttpApiConfig cfg) throws InterruptedException {
    WorkerExecutor workers = vertx.createSharedWorkerExecutor(HttpServerVerticle.FETCH_POOL_NAME,
        cfg.fetchWorkerPoolSize());
    HeldWorkers held = new HeldWorkers((ThreadPoolExecutor) ((WorkerExecutorInternal) workers).pool().executor());
    CountDownLatch busy = new CountDownLatch(cfg.fetchWorkerPoolSize());
    for (int i = 0; i < cfg.fetchWorkerPoolSize(); i++) {
      workers.executeBlocking(() -> {
        busy.countDown();
        return held.release.await(60, TimeUnit.SECONDS);
      }, false);
    }
    assertThat(busy.await(20, TimeUnit.SECONDS)).as("every worker held").isTrue();
    return held;
  }

  /** The work waiting for a worker. */
  BlockingQueue<Runnable> queue() {
    return pool.getQueue();
  }

  void release() {
    release.countDown();
  }
}
