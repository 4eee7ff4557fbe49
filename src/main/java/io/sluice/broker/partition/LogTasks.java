package io.sluice.broker.partition;

import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * Runs a partition's log calls on the {@code sluice-storage} worker executor, never on the event loop:
 * <ul>
 *   <li>writers are chained, each submitted when the previous one finished (successfully or not), which serialises
 *       them as {@link io.sluice.storage.PartitionLog} requires and keeps appends in arrival order;</li>
 *   <li>readers run as soon as submitted, concurrently with writes (the log allows it), so a fetch never queues
 *       behind an fsync; those in flight are tracked so the partition can wait for them before it closes.</li>
 * </ul>
 * A worker verticle would serialise reads behind writes. Vert.x's own {@code executeBlocking(task, ordered=true)}
 * would serialise writes too, but ordered tasks belong to the context's task queue, and Vert.x 5 interrupts that
 * queue's worker thread when the context closes at undeploy; a thread still marked active just after finishing our
 * task can carry the interrupt into the next task it runs. An interrupt during {@code FileChannel} I/O closes the
 * channel ({@code ClosedByInterruptException}) and fails the log, so every task here is submitted unordered and the
 * ordering is ours.
 *
 * <p><b>Threading: confined to the owning {@link PartitionVerticle}'s event-loop context</b>: submit there; the
 * returned futures complete there.
 */
final class LogTasks {
  private final WorkerExecutor storage;
  private final Set<Future<?>> readsInFlight = new HashSet<>();
  /** The last writer submitted: the next one starts when it completes, successfully or not. */
  private Future<?> writeTail = Future.succeededFuture();
  /** Writers submitted whose futures have not completed yet. */
  private int writesPending;

  LogTasks(WorkerExecutor storage) {
    this.storage = storage;
  }

  /** Runs a log writer once every writer submitted before it finished. */
  <T> Future<T> write(Callable<T> task) {
    Future<T> next = writeTail.transform(previous -> storage.executeBlocking(task, false));
    writeTail = next;
    writesPending++;
    // registered before the caller's own listeners, so those see the count without this writer
    next.onComplete(ar -> writesPending--);
    return next;
  }

  /** Whether a writer is queued or running beyond the one whose completion is being handled (or none). */
  boolean writesQueued() {
    return writesPending > 0;
  }

  /** Completes (never fails) when every writer submitted so far finished. */
  Future<Void> writesDone() {
    return writeTail.transform(ar -> Future.succeededFuture());
  }

  /** Runs a log reader now, concurrently with writers. */
  <T> Future<T> read(Callable<T> task) {
    Future<T> f = storage.executeBlocking(task, false);
    readsInFlight.add(f);
    return f.andThen(ar -> readsInFlight.remove(f));
  }

  /** Completes when every reader submitted so far finished. */
  Future<?> readsFinished() {
    return Future.join(new ArrayList<>(readsInFlight));
  }
}
