package io.sluice.broker.partition;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs a partition's log calls on the {@code sluice-storage} worker executor, never on the event loop:
 * <ul>
 *   <li>writers go into a serial queue that one storage task at a time drains, running them back to back in arrival
 *       order (as {@link io.sluice.storage.PartitionLog} requires); each writer's result completes its future on the
 *       partition's context, in order, and a failed writer does not stop the ones behind it;</li>
 *   <li>readers run as soon as submitted, concurrently with writes (the log allows it), so a fetch never queues
 *       behind an fsync; those in flight are tracked so the partition can wait for them before it closes.</li>
 * </ul>
 * The queue is drained on the storage thread itself rather than by chaining each writer on the previous one's
 * future: a chained writer was submitted only after its predecessor's completion went back through the partition's
 * event loop, a thread hand-off and an event-loop turn per queued write (0.84-1.04 ms at p50 before a queued write
 * started, docs/benchmarks.md, issue 16, twenty-third session, h-repl). A drain returns its thread after
 * {@link #DRAIN_MAX_WRITERS} writers or {@link #DRAIN_MAX_NANOS}, and hands the rest to a fresh storage task, since
 * every partition shares the pool.
 *
 * <p>A worker verticle would serialise reads behind writes. Vert.x's own {@code executeBlocking(task, ordered=true)}
 * would serialise writes too, but ordered tasks belong to the context's task queue, and Vert.x 5 interrupts that
 * queue's worker thread when the context closes at undeploy; a thread still marked active just after finishing our
 * task can carry the interrupt into the next task it runs. An interrupt during {@code FileChannel} I/O closes the
 * channel ({@code ClosedByInterruptException}) and fails the log, so every task here is submitted unordered and the
 * ordering is ours; the partition waits for {@link #writesDone()} (its close is a writer) before it stops.
 *
 * <p><b>Threading: confined to the owning {@link PartitionVerticle}'s context</b>: submit there; the returned
 * futures complete there. Only the queue and the draining flag are shared with the storage thread.
 */
final class LogTasks {
  /** Writers one drain runs at most before it returns its storage thread to the pool. */
  static final int DRAIN_MAX_WRITERS = 64;
  /** Time one drain runs at most before it returns its storage thread to the pool. */
  static final long DRAIN_MAX_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

  private final WorkerExecutor storage;
  private final Set<Future<?>> readsInFlight = new HashSet<>();
  private final Queue<Queued<?>> writers = new ConcurrentLinkedQueue<>();
  /** Whether a drain is submitted or running: at most one at a time, which is what serialises the writers. */
  private final AtomicBoolean draining = new AtomicBoolean();
  /** The last writer submitted: its future completes after every earlier one's. */
  private Future<?> writeTail = Future.succeededFuture();
  /** Writers submitted whose futures have not completed yet. */
  private int writesPending;

  LogTasks(WorkerExecutor storage) {
    this.storage = storage;
  }

  /** Runs a log writer once every writer submitted before it finished. */
  <T> Future<T> write(Callable<T> task) {
    Context context = Vertx.currentContext();
    if (context == null) {
      throw new IllegalStateException("log writers are submitted on the partition's context");
    }
    Queued<T> queued = new Queued<>(storage instanceof WriterGate gate ? gate.gate(task) : task, context);
    Future<T> next = queued.promise.future();
    writeTail = next;
    writesPending++;
    // registered before the caller's own listeners, so those see the count without this writer
    next.onComplete(ar -> writesPending--);
    writers.add(queued);
    if (draining.compareAndSet(false, true)) {
      submitDrain();
    }
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

  /** On the partition's context, with {@link #draining} held. */
  private void submitDrain() {
    Future<Void> drained;
    try {
      drained = storage.executeBlocking(new Drain(), false);
    } catch (RuntimeException closed) { // a closed executor may refuse at once rather than with a failed future
      drained = Future.failedFuture(closed);
    }
    drained.onFailure(this::failQueued);
  }

  /** On a storage thread: runs queued writers back to back until none is left or the drain's bound is reached. */
  private void drain() {
    long deadline = System.nanoTime() + DRAIN_MAX_NANOS;
    for (int ran = 0; ; ran++) {
      Queued<?> next = writers.peek();
      if (next == null) {
        draining.set(false);
        // a writer added between the peek and the release found the flag still held and left the drain to us
        if (writers.isEmpty() || !draining.compareAndSet(false, true)) {
          return;
        }
        continue;
      }
      if (ran == DRAIN_MAX_WRITERS || System.nanoTime() - deadline > 0) {
        // the flag stays held: the next drain is submitted from the partition's context, the only submitter
        next.context.runOnContext(v -> submitDrain());
        return;
      }
      writers.poll();
      next.run();
    }
  }

  /** The storage pool refused the drain (it closed): the queued writers fail rather than wait forever. */
  private void failQueued(Throwable cause) {
    for (Queued<?> q; (q = writers.poll()) != null; ) {
      q.fail(cause);
    }
    draining.set(false);
  }

  /** The storage task that runs the queued writers: a class of its own, so a test's storage can tell it from a read. */
  final class Drain implements Callable<Void> {
    @Override
    public Void call() {
      drain();
      return null;
    }
  }

  /**
   * A storage pool under test that sees each writer, not only the drains that run them, as it saw each writer's own
   * storage task before writers were queued here.
   */
  interface WriterGate {
    <T> Callable<T> gate(Callable<T> writer);
  }

  /** A writer and the promise its result completes on the partition's context. */
  private static final class Queued<T> {
    final Callable<T> task;
    final Context context;
    final Promise<T> promise = Promise.promise();

    Queued(Callable<T> task, Context context) {
      this.task = task;
      this.context = context;
    }

    void run() {
      T result;
      try {
        result = task.call();
      } catch (Throwable t) { // as executeBlocking does: the writer's failure is its future's, not the drain's
        fail(t);
        return;
      }
      context.runOnContext(v -> promise.complete(result));
    }

    void fail(Throwable cause) {
      context.runOnContext(v -> promise.fail(cause));
    }
  }
}
