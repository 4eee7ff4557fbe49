package io.sluice.broker.partition;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The storage pool of a partition under test: counts the tasks it is given (each read, and each writer rather than
 * the drain of {@link LogTasks} that runs it) and, once gated, holds each task given from then on for a permit
 * before it runs, so a test can queue a second write behind a first whatever the threads'
 * timing.
 */
final class GatedStorage implements WorkerExecutor, LogTasks.WriterGate {
  private final WorkerExecutor pool;
  private final AtomicInteger tasks = new AtomicInteger();
  private volatile Semaphore gate;

  GatedStorage(Vertx vertx) {
    this.pool = vertx.createSharedWorkerExecutor("test-storage", 2);
  }

  /** How many tasks the partition has given the pool so far. */
  int tasks() {
    return tasks.get();
  }

  /** Closes the gate: every task given from now on waits for a permit of the semaphore returned. */
  Semaphore gate() {
    Semaphore closed = new Semaphore(0);
    gate = closed;
    return closed;
  }

  /** Lets every held task run, so that the pool and its Vert.x can close. */
  void open() {
    Semaphore g = gate;
    if (g != null) {
      g.release(1_000);
    }
  }

  @Override
  public <T> Future<T> executeBlocking(Callable<T> task, boolean ordered) {
    if (task instanceof LogTasks.Drain) { // its writers are counted and gated one by one, below
      return pool.executeBlocking(task, ordered);
    }
    return pool.executeBlocking(gate(task), ordered);
  }

  /** Counts a read or a writer when it is given and, if the gate is closed then, holds it for a permit. */
  @Override
  public <T> Callable<T> gate(Callable<T> task) {
    tasks.incrementAndGet();
    Semaphore g = gate;
    if (g == null) {
      return task;
    }
    return () -> {
      g.acquire();
      return task.call();
    };
  }

  @Override
  public Future<Void> close() {
    return pool.close();
  }

  @Override
  public boolean isMetricsEnabled() {
    return pool.isMetricsEnabled();
  }
}
