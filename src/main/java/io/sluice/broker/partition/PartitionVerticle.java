package io.sluice.broker.partition;

import io.sluice.broker.Acks;
import io.sluice.broker.LogStore;
import io.sluice.broker.OffsetRange;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.storage.AppendResult;
import io.sluice.storage.LogConfig;
import io.sluice.storage.PartitionLog;
import io.sluice.storage.ReadResult;
import io.sluice.storage.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Owns one hosted partition's {@link PartitionLog}: every append, flush, retention pass and close of that log goes
 * through this verticle, and fetches that find too little data wait here until an append brings enough.
 *
 * <p><b>Threading: an event-loop verticle whose log calls run on a named worker executor.</b> The verticle's own
 * state (the high watermark, the parked fetches, timers) lives on its event-loop context and is touched only there,
 * so it needs no locks. Log calls may block on disk, so none runs on the event loop; all run on the
 * {@code sluice-storage} executor:
 * <ul>
 *   <li>writers (append, maybeFlush, enforceRetention, close) are chained here, each submitted when the previous
 *       one finished, which serialises them as {@link PartitionLog} requires and keeps appends in arrival order;</li>
 *   <li>readers (read, offsetForTimestamp, offsets) run as soon as submitted, concurrently with writes (the log
 *       allows it), so a fetch never queues behind an fsync.</li>
 * </ul>
 * A worker verticle would serialise reads behind writes. Vert.x's own {@code executeBlocking(task, ordered=true)}
 * would serialise writes too, but ordered tasks belong to the context's task queue, and Vert.x 5 interrupts that
 * queue's worker thread when the context closes at undeploy; a thread still marked active just after finishing our
 * task can carry the interrupt into the next task it runs. An interrupt during {@code FileChannel} I/O closes the
 * channel ({@code ClosedByInterruptException}) and fails the log, so every task here is submitted unordered and the
 * ordering is ours. Callers on any thread reach the verticle through its public methods, which hop onto its context
 * ({@code runOnContext}); nothing blocks and no event bus is involved for local calls.
 *
 * <p><b>Long poll.</b> A fetch that finds fewer than {@code minBytes} is parked with the bytes it saw; each append
 * adds its size to every parked fetch, and a fetch whose total reaches {@code minBytes} is answered with a fresh
 * read. A Vert.x timer on this context answers it with whatever is there when {@code maxWaitMs} passes. There is no
 * polling loop and no thread waits.
 *
 * <p><b>Stop.</b> New appends are refused, parked fetches are answered with what is there, reads in flight finish,
 * then the log is closed (flushed, clean-shutdown marker written) after every append already queued.
 */
public final class PartitionVerticle extends VerticleBase {
  private static final System.Logger LOG = System.getLogger(PartitionVerticle.class.getName());
  private static final long MIN_FLUSH_CHECK_MS = 10;
  private static final long MAX_FLUSH_CHECK_MS = 1_000;

  /**
   * What the broker tells a partition about its replication state.
   *
   * @param leaderEpoch stamped on every batch appended
   * @param isrSize how many replicas are in sync, this leader included
   * @param minInsyncReplicas the ISR size an acks=all produce needs
   */
  public record Settings(int leaderEpoch, int isrSize, int minInsyncReplicas) {
  }

  private final TopicPartition tp;
  private final LogStore store;
  private final LogConfig logConfig;
  private final WorkerExecutor storage;
  private final long retentionCheckIntervalMs;
  private volatile Settings settings;
  private volatile long highWatermark;
  private PartitionLog log;
  private final List<Waiter> waiters = new ArrayList<>();
  private final Set<Future<?>> readsInFlight = new HashSet<>();
  /** The last writer submitted: the next one starts when it completes, successfully or not. */
  private Future<?> writeTail = Future.succeededFuture();
  private long appendsCompleted;
  private boolean closing;
  private long retentionTimer = -1;
  private long flushTimer = -1;

  /** A fetch parked until enough bytes arrive or its time is up. */
  private static final class Waiter {
    final long offset;
    final int maxBytes;
    final int minBytes;
    final Promise<ReadResult> promise = Promise.promise();
    long bytesSeen;
    long timerId;

    Waiter(long offset, int maxBytes, int minBytes, long bytesSeen) {
      this.offset = offset;
      this.maxBytes = maxBytes;
      this.minBytes = minBytes;
      this.bytesSeen = bytesSeen;
    }
  }

  public PartitionVerticle(TopicPartition tp, LogStore store, LogConfig logConfig, Settings settings,
      WorkerExecutor storage, long retentionCheckIntervalMs) {
    this.tp = tp;
    this.store = store;
    this.logConfig = logConfig;
    this.settings = settings;
    this.storage = storage;
    this.retentionCheckIntervalMs = retentionCheckIntervalMs;
  }

  public TopicPartition topicPartition() {
    return tp;
  }

  @Override
  public Future<?> start() {
    return write(() -> store.openLog(tp, logConfig)).map(opened -> {
      log = opened;
      highWatermark = opened.logEndOffset();
      retentionTimer = vertx.setPeriodic(retentionCheckIntervalMs, id -> enforceRetention());
      if (logConfig.flushMs() != Long.MAX_VALUE) {
        long period = Math.max(MIN_FLUSH_CHECK_MS, Math.min(MAX_FLUSH_CHECK_MS, logConfig.flushMs()));
        flushTimer = vertx.setPeriodic(period, id -> write(() -> {
          log.maybeFlush(System.currentTimeMillis());
          return null;
        }).onFailure(t -> LOG.log(Level.ERROR, "Partition " + tp + ": scheduled flush failed", t)));
      }
      LOG.log(Level.DEBUG, "Partition " + tp + " open: log start " + opened.logStartOffset() + ", end "
          + highWatermark);
      return null;
    });
  }

  @Override
  public Future<?> stop() {
    closing = true;
    vertx.cancelTimer(retentionTimer);
    vertx.cancelTimer(flushTimer);
    List<Waiter> parked = new ArrayList<>(waiters);
    waiters.clear();
    parked.forEach(this::answer);
    List<Future<?>> pending = new ArrayList<>(readsInFlight);
    return Future.join(pending).transform(ignored -> write(() -> {
      if (log != null) {
        log.close();
      }
      return null;
    }));
  }

  /** The end offset consumers may read up to. Any thread. */
  public long highWatermark() {
    return highWatermark;
  }

  /** Applies a new leader epoch or ISR size from the metadata. Any thread. */
  public void updateSettings(Settings next) {
    this.settings = next;
  }

  public Settings settings() {
    return settings;
  }

  /**
   * Appends whole batches, serialised with every other write to this log. Fails with NOT_ENOUGH_REPLICAS for
   * acks=all while the ISR is smaller than {@code min.insync.replicas}, and NOT_LEADER_OR_FOLLOWER once the
   * partition is being closed (the client retries against the new owner). Any thread.
   */
  public Future<AppendResult> append(ByteBuffer batches, Acks acks) {
    return onContext(() -> {
      if (closing) {
        return Future.failedFuture(new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER,
            "Partition " + tp + " is closing on this broker"));
      }
      Settings s = settings;
      if (acks == Acks.ALL && s.isrSize() < s.minInsyncReplicas()) {
        return Future.failedFuture(new SluiceException(ErrorCode.NOT_ENOUGH_REPLICAS, "Partition " + tp
            + " has " + s.isrSize() + " in-sync replica(s) but min.insync.replicas is " + s.minInsyncReplicas()
            + ": acks=all refused"));
      }
      int bytes = batches.remaining();
      return write(() -> appendAndMaybeFlush(batches, s.leaderEpoch())).onSuccess(r -> onAppended(r, bytes));
    });
  }

  private AppendResult appendAndMaybeFlush(ByteBuffer batches, int leaderEpoch) {
    AppendResult result = log.append(batches, leaderEpoch);
    try {
      log.maybeFlush(System.currentTimeMillis());
    } catch (RuntimeException e) {
      // The batches are appended and will be acknowledged; the log is now failed and refuses the next write.
      LOG.log(Level.ERROR, "Partition " + tp + ": flush after append failed", e);
    }
    return result;
  }

  private void onAppended(AppendResult result, int bytes) {
    highWatermark = Math.max(highWatermark, result.logEndOffset());
    appendsCompleted++;
    if (waiters.isEmpty()) {
      return;
    }
    List<Waiter> ready = new ArrayList<>();
    for (Waiter w : waiters) {
      w.bytesSeen += bytes;
      if (w.bytesSeen >= Math.max(1, Math.min(w.minBytes, w.maxBytes))) {
        ready.add(w);
      }
    }
    waiters.removeAll(ready);
    ready.forEach(this::answer);
  }

  /**
   * Reads committed batches at {@code offset}; if fewer than {@code minBytes} are there, waits up to
   * {@code maxWaitMs} for appends to bring them. Completes with what is there then, possibly nothing. Any thread.
   */
  public Future<ReadResult> fetch(long offset, int maxBytes, int minBytes, long maxWaitMs) {
    long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, maxWaitMs));
    return onContext(() -> fetchOnContext(offset, maxBytes, minBytes, deadlineNanos));
  }

  private Future<ReadResult> fetchOnContext(long offset, int maxBytes, int minBytes, long deadlineNanos) {
    long appendsBefore = appendsCompleted;
    return read(offset, maxBytes).compose(r -> {
      long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
      if (closing || remainingMs <= 0 || r.length() >= Math.min(minBytes, maxBytes)) {
        return Future.succeededFuture(r);
      }
      if (appendsCompleted != appendsBefore) {
        // An append finished while we read: the read may have missed it, so look again.
        return fetchOnContext(offset, maxBytes, minBytes, deadlineNanos);
      }
      Waiter w = new Waiter(offset, maxBytes, minBytes, r.length());
      w.timerId = vertx.setTimer(remainingMs, id -> {
        if (waiters.remove(w)) {
          answer(w);
        }
      });
      waiters.add(w);
      return w.promise.future();
    });
  }

  private void answer(Waiter w) {
    vertx.cancelTimer(w.timerId);
    read(w.offset, w.maxBytes).onComplete(w.promise);
  }

  /** The log start offset and the high watermark. Any thread. */
  public Future<OffsetRange> offsets() {
    return onContext(() -> readTask(() -> new OffsetRange(log.logStartOffset(), highWatermark)));
  }

  /** The first committed offset whose timestamp is at or after {@code timestampMs}. Any thread. */
  public Future<OptionalLong> offsetForTimestamp(long timestampMs) {
    return onContext(() -> {
      long hw = highWatermark;
      return readTask(() -> {
        OptionalLong found = log.offsetForTimestamp(timestampMs);
        return found.isPresent() && found.getAsLong() >= hw ? OptionalLong.empty() : found;
      });
    });
  }

  private void enforceRetention() {
    if (closing) {
      return;
    }
    write(() -> log.enforceRetention(System.currentTimeMillis())).onComplete(deleted -> {
      if (deleted > 0) {
        LOG.log(Level.INFO, "Partition " + tp + ": retention deleted " + deleted + " segment(s)");
      }
    }, t -> LOG.log(Level.ERROR, "Partition " + tp + ": retention failed", t));
  }

  private Future<ReadResult> read(long offset, int maxBytes) {
    long hw = highWatermark;
    return readTask(() -> log.read(offset, maxBytes, hw));
  }

  /** Runs a log reader on the storage pool, tracked so that stop() waits for it. Call on this context. */
  private <T> Future<T> readTask(Callable<T> task) {
    Future<T> f = storage.executeBlocking(task, false);
    readsInFlight.add(f);
    return f.andThen(ar -> readsInFlight.remove(f));
  }

  /** Runs a log writer on the storage pool once every writer submitted before it finished. Call on this context. */
  private <T> Future<T> write(Callable<T> task) {
    Future<T> next = writeTail.transform(previous -> storage.executeBlocking(task, false));
    writeTail = next;
    return next;
  }

  private <T> Future<T> onContext(Supplier<Future<T>> action) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> {
      try {
        action.get().onComplete(p);
      } catch (RuntimeException e) {
        p.fail(e);
      }
    });
    return p.future();
  }
}
