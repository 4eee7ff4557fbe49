package io.sluice.broker.partition;

import io.sluice.broker.Contexts;
import io.sluice.broker.Acks;
import io.sluice.broker.OffsetRange;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.replication.FollowerLog;
import io.sluice.broker.replication.FollowerTracker;
import io.sluice.broker.replication.ReplicaFetchRequest;
import io.sluice.broker.replication.ReplicaFetchResponse;
import io.sluice.broker.replication.ReplicaFetcher;
import io.sluice.storage.LogManager;
import io.sluice.storage.AppendResult;
import io.sluice.storage.LeaderEpochCache;
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
import io.vertx.core.buffer.Buffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
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
 * <p><b>Replication.</b> Every replica of a partition runs this verticle; {@link Settings} say which broker leads.
 * The leader appends producers' batches stamped with its leader epoch (recorded first in the {@link LeaderEpochCache}),
 * answers followers' {@link #replicaFetch}es from its log end and learns their progress from them, and advances the
 * high watermark to the smallest log end offset in the ISR (plus members whose addition is being written: Kafka's
 * "maximal ISR", so that a replica counted as in sync by ZooKeeper always has everything below the high watermark).
 * acks=all producers are answered once the high watermark passes their batches. ISR changes are written to ZooKeeper
 * through {@link Replication#isrWriter}, conditional on the state znode's version, and take effect when the metadata
 * shows them (a removal never before). A follower runs a {@link ReplicaFetcher} and appends what it copies as is.
 * Consumers only ever read below the high watermark; followers read up to the log end.
 *
 * <p><b>Stop.</b> New appends are refused, parked fetches are answered with what is there, reads in flight finish,
 * then the log is closed (flushed, clean-shutdown marker written) after every append already queued.
 */
public final class PartitionVerticle extends VerticleBase implements FollowerLog {
  private static final System.Logger LOG = System.getLogger(PartitionVerticle.class.getName());
  private static final long MIN_FLUSH_CHECK_MS = 10;
  private static final long MAX_FLUSH_CHECK_MS = 1_000;

  /**
   * What the broker tells a partition about its replication state (from the partition's state znode).
   *
   * @param leader the leading broker ({@link io.sluice.broker.metadata.PartitionState#NO_LEADER} when none)
   * @param leaderEpoch stamped on every batch the leader appends
   * @param isr the in-sync replicas, the leader included, as ZooKeeper holds them
   * @param replicas every replica, the preferred leader first
   * @param minInsyncReplicas the ISR size an acks=all produce needs
   * @param zkVersion the state znode's version: ISR changes written by the leader are conditional on it
   * @param mayLead false when this broker restarted since the state was written: it must not lead at that epoch
   *     (it may have lost a tail the followers hold) and waits, neither leading nor following, for the controller's
   *     next epoch
   */
  public record Settings(int leader, int leaderEpoch, List<Integer> isr, List<Integer> replicas,
      int minInsyncReplicas, int zkVersion, boolean mayLead) {
    public Settings {
      isr = List.copyOf(isr);
      replicas = List.copyOf(replicas);
    }

    public Settings(int leader, int leaderEpoch, List<Integer> isr, List<Integer> replicas, int minInsyncReplicas,
        int zkVersion) {
      this(leader, leaderEpoch, isr, replicas, minInsyncReplicas, zkVersion, true);
    }

    public int isrSize() {
      return isr.size();
    }
  }

  /**
   * How this replica takes part in replication; fixed for the verticle's life.
   *
   * @param brokerId this broker
   * @param logDir the partition's directory, where the leader epoch checkpoint lives
   * @param replicaLagTimeMaxMs a follower not caught up for longer leaves the ISR
   * @param ackTimeoutMs an acks=all produce not committed within this fails with REQUEST_TIMED_OUT
   * @param isrWriter writes a new ISR conditionally; completes with false if the znode changed first
   * @param fetcherOptions the follower's fetch tunables
   * @param sessionTrusted false while this broker may be a zombie (cut off from ZooKeeper, or it stood still and has
   *     not yet confirmed its session): it then answers no consumer read of a replicated partition
   */
  public record Replication(int brokerId, Path logDir, long replicaLagTimeMaxMs, long ackTimeoutMs,
      IsrWriter isrWriter, ReplicaFetcher.Options fetcherOptions, java.util.function.BooleanSupplier sessionTrusted) {
    public Replication(int brokerId, Path logDir, long replicaLagTimeMaxMs, long ackTimeoutMs, IsrWriter isrWriter,
        ReplicaFetcher.Options fetcherOptions) {
      this(brokerId, logDir, replicaLagTimeMaxMs, ackTimeoutMs, isrWriter, fetcherOptions, () -> true);
    }
  }

  /** Writes a partition's state with a new ISR if its znode is still at the version the state carries. */
  @FunctionalInterface
  public interface IsrWriter {
    Future<Boolean> write(TopicPartition tp, PartitionState next);
  }

  private enum Role { LEADER, FOLLOWER, FENCED }

  private final TopicPartition tp;
  private final LogManager store;
  private final LogConfig logConfig;
  private final WorkerExecutor storage;
  private final long retentionCheckIntervalMs;
  private final Replication replication;
  private volatile Settings settings;
  private volatile long highWatermark;
  private volatile Role role = Role.FOLLOWER;
  /** Set for good by {@link #fence()}: later metadata must not revive a replica of a broker that lost its session. */
  private boolean fenced;
  private PartitionLog log;
  private LeaderEpochCache epochs;
  /** The log end as this context has seen appends complete: what the high watermark may reach. */
  private long localLogEnd;
  private final List<Waiter> waiters = new ArrayList<>();
  private final Set<Future<?>> readsInFlight = new HashSet<>();
  /** Appended and not yet below the high watermark: {end offset, bytes}, to credit consumers' long polls. */
  private final ArrayDeque<long[]> uncommitted = new ArrayDeque<>();
  /** acks=all produces waiting for the high watermark, in offset order. */
  private final List<AckWaiter> ackWaiters = new ArrayList<>();
  /** The last writer submitted: the next one starts when it completes, successfully or not. */
  private Future<?> writeTail = Future.succeededFuture();
  private long appendsCompleted;
  private boolean closing;
  private long retentionTimer = -1;
  private long flushTimer = -1;
  private long isrTimer = -1;
  // leader only
  private FollowerTracker followers;
  private long leaderEpochStartOffset;
  private final Set<Integer> pendingIsrAdditions = new HashSet<>();
  private boolean isrWriteInFlight;
  // follower only
  private ReplicaFetcher fetcher;

  /** A fetch parked until enough bytes arrive or its time is up. */
  private static final class Waiter {
    final long offset;
    final int maxBytes;
    final int minBytes;
    /** A follower's fetch: reads up to the log end and is woken by appends, not by the high watermark. */
    final boolean toLogEnd;
    final Promise<ReadResult> promise = Promise.promise();
    long bytesSeen;
    long timerId;

    Waiter(long offset, int maxBytes, int minBytes, boolean toLogEnd, long bytesSeen) {
      this.offset = offset;
      this.maxBytes = maxBytes;
      this.minBytes = minBytes;
      this.toLogEnd = toLogEnd;
      this.bytesSeen = bytesSeen;
    }
  }

  private record AckWaiter(long endOffset, Promise<Void> promise, long timerId) {
  }

  public PartitionVerticle(TopicPartition tp, LogManager store, LogConfig logConfig, Settings settings,
      WorkerExecutor storage, long retentionCheckIntervalMs, Replication replication) {
    this.tp = tp;
    this.store = store;
    this.logConfig = logConfig;
    this.settings = settings;
    this.storage = storage;
    this.retentionCheckIntervalMs = retentionCheckIntervalMs;
    this.replication = replication;
  }

  public TopicPartition topicPartition() {
    return tp;
  }

  @Override
  public Future<?> start() {
    return write(() -> {
      PartitionLog opened = store.openLog(tp, logConfig);
      epochs = LeaderEpochCache.open(replication.logDir(), opened.logEndOffset());
      return opened;
    }).map(opened -> {
      log = opened;
      localLogEnd = opened.logEndOffset();
      // A lone replica commits on append; a replicated one learns its high watermark from the ISR again.
      highWatermark = settings.replicas().size() <= 1 ? localLogEnd : opened.logStartOffset();
      retentionTimer = vertx.setPeriodic(retentionCheckIntervalMs, id -> enforceRetention());
      if (logConfig.flushMs() != Long.MAX_VALUE) {
        long period = Math.max(MIN_FLUSH_CHECK_MS, Math.min(MAX_FLUSH_CHECK_MS, logConfig.flushMs()));
        flushTimer = vertx.setPeriodic(period, id -> write(() -> {
          log.maybeFlush(System.currentTimeMillis());
          return null;
        }).onFailure(t -> LOG.log(Level.ERROR, "Partition " + tp + ": scheduled flush failed", t)));
      }
      isrTimer = vertx.setPeriodic(Math.max(10, replication.replicaLagTimeMaxMs() / 2), id -> maybeShrinkIsr());
      applyRole(null, settings);
      LOG.log(Level.DEBUG, "Partition " + tp + " open: log start " + opened.logStartOffset() + ", end "
          + localLogEnd);
      return null;
    });
  }

  @Override
  public Future<?> stop() {
    closing = true;
    vertx.cancelTimer(retentionTimer);
    vertx.cancelTimer(flushTimer);
    vertx.cancelTimer(isrTimer);
    stopFetcher();
    failAckWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Partition " + tp + " is closing on this broker");
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

  /** Whether this replica currently leads (and is not fenced). Any thread. */
  public boolean isLeader() {
    return role == Role.LEADER;
  }

  /** Applies a new leader, leader epoch or ISR from the metadata. Any thread. */
  public void updateSettings(Settings next) {
    context.runOnContext(v -> {
      Settings previous = settings;
      settings = next;
      if (log != null && !closing && !fenced) {
        applyRole(previous, next);
      }
    });
  }

  /**
   * Stops acknowledging anything as leader and copying as follower, for good: this broker lost its ZooKeeper
   * session, so another broker may already lead, and the broker is restarted to rejoin. Any thread.
   */
  public void fence() {
    context.runOnContext(v -> {
      fenced = true;
      if (role == Role.LEADER) {
        LOG.log(Level.WARNING, "Partition " + tp + ": fenced at epoch " + settings.leaderEpoch());
      }
      role = Role.FENCED;
      stopFetcher();
      failAckWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker " + replication.brokerId()
          + " lost its ZooKeeper session and no longer leads partition " + tp);
      failReplicaWaiters();
    });
  }

  public Settings settings() {
    return settings;
  }

  private void applyRole(Settings previous, Settings next) {
    int me = replication.brokerId();
    boolean sameEpoch = previous != null && previous.leaderEpoch() == next.leaderEpoch()
        && previous.leader() == next.leader() && previous.mayLead() == next.mayLead();
    if (next.leader() == me && !next.mayLead()) {
      if (role != Role.FOLLOWER || fetcher != null || !sameEpoch) {
        awaitNewEpoch(next);
      }
    } else if (next.leader() == me) {
      if (role != Role.LEADER || !sameEpoch) {
        becomeLeader(next);
      } else {
        pendingIsrAdditions.removeIf(next.isr()::contains);
        maybeAdvanceHighWatermark();
      }
    } else if (role != Role.FOLLOWER || !sameEpoch || fetcher == null) {
      becomeFollower(next);
    }
  }

  private void becomeLeader(Settings s) {
    stopFetcher();
    role = Role.LEADER;
    List<Integer> others = s.replicas().stream().filter(id -> id != replication.brokerId()).toList();
    followers = new FollowerTracker(others, System.currentTimeMillis());
    leaderEpochStartOffset = localLogEnd;
    pendingIsrAdditions.clear();
    isrWriteInFlight = false;
    LOG.log(Level.INFO, "Partition " + tp + ": broker " + replication.brokerId() + " leads at epoch "
        + s.leaderEpoch() + " from offset " + localLogEnd + ", ISR " + s.isr());
    maybeAdvanceHighWatermark();
  }

  /** Neither leads nor copies: this broker restarted since {@code s} was decided, and the controller moves it on. */
  private void awaitNewEpoch(Settings s) {
    if (role == Role.LEADER) {
      failAckWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker " + replication.brokerId()
          + " restarted since leading partition " + tp + " at epoch " + s.leaderEpoch());
    }
    role = Role.FOLLOWER;
    followers = null;
    stopFetcher();
    failReplicaWaiters();
    LOG.log(Level.INFO, "Partition " + tp + ": broker " + replication.brokerId() + " restarted since it was made"
        + " leader at epoch " + s.leaderEpoch() + "; waiting for the controller's next epoch");
  }

  private void becomeFollower(Settings s) {
    boolean wasLeader = role == Role.LEADER;
    role = Role.FOLLOWER;
    followers = null;
    stopFetcher();
    if (wasLeader) {
      failAckWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker " + replication.brokerId()
          + " no longer leads partition " + tp + " (leader now " + s.leader() + ")");
    }
    failReplicaWaiters();
    if (s.leader() != PartitionState.NO_LEADER && s.replicas().contains(replication.brokerId())) {
      fetcher = new ReplicaFetcher(vertx, tp, replication.brokerId(), s.leader(), s.leaderEpoch(), this,
          replication.fetcherOptions());
      fetcher.start();
    }
  }

  private void stopFetcher() {
    if (fetcher != null) {
      fetcher.stop();
      fetcher = null;
    }
  }

  /**
   * Appends whole batches, serialised with every other write to this log. Fails with NOT_ENOUGH_REPLICAS for
   * acks=all while the ISR is smaller than {@code min.insync.replicas}, and NOT_LEADER_OR_FOLLOWER unless this replica
   * leads (or once the partition is being closed). With acks=all the future completes once every in-sync replica has
   * the batches (the high watermark passed them). Any thread.
   */
  public Future<AppendResult> append(ByteBuffer batches, Acks acks) {
    return onContext(() -> {
      Settings s = settings;
      if (closing || role != Role.LEADER) {
        return Future.failedFuture(new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker "
            + replication.brokerId() + " does not lead partition " + tp + (closing ? " (closing)" : " (leader: "
            + s.leader() + ")")));
      }
      if (acks == Acks.ALL && s.isrSize() < s.minInsyncReplicas()) {
        return Future.failedFuture(new SluiceException(ErrorCode.NOT_ENOUGH_REPLICAS, "Partition " + tp
            + " has " + s.isrSize() + " in-sync replica(s) " + s.isr() + " but min.insync.replicas is "
            + s.minInsyncReplicas() + ": acks=all refused"));
      }
      int bytes = batches.remaining();
      int epoch = s.leaderEpoch();
      return write(() -> appendAsLeader(batches, epoch)).compose(r -> {
        onAppended(r, bytes);
        return acks == Acks.ALL ? awaitCommit(r.logEndOffset()).map(r) : Future.succeededFuture(r);
      });
    });
  }

  /** On the storage pool, after every earlier write. */
  private AppendResult appendAsLeader(ByteBuffer batches, int leaderEpoch) {
    Settings s = settings;
    if (role != Role.LEADER || s.leaderEpoch() != leaderEpoch) {
      throw new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Partition " + tp + ": leadership at epoch "
          + leaderEpoch + " ended before the append");
    }
    epochs.assign(leaderEpoch, log.logEndOffset());
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
    localLogEnd = Math.max(localLogEnd, result.logEndOffset());
    uncommitted.addLast(new long[] {result.logEndOffset(), bytes});
    appendsCompleted++;
    creditWaiters(true, bytes);
    maybeAdvanceHighWatermark();
  }

  private Future<Void> awaitCommit(long endOffset) {
    if (highWatermark >= endOffset) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    long timer = vertx.setTimer(replication.ackTimeoutMs(), id -> {
      if (ackWaiters.removeIf(w -> w.promise == p)) {
        p.tryFail(new SluiceException(ErrorCode.REQUEST_TIMED_OUT, "Partition " + tp + ": batches up to offset "
            + (endOffset - 1) + " did not reach every in-sync replica " + settings.isr() + " within "
            + replication.ackTimeoutMs() + " ms"));
      }
    });
    ackWaiters.add(new AckWaiter(endOffset, p, timer));
    return p.future();
  }

  private void failAckWaiters(ErrorCode code, String message) {
    List<AckWaiter> failed = new ArrayList<>(ackWaiters);
    ackWaiters.clear();
    for (AckWaiter w : failed) {
      vertx.cancelTimer(w.timerId);
      w.promise.tryFail(new SluiceException(code, message));
    }
  }

  /** Leader: the high watermark becomes the smallest log end offset among the (maximal) ISR. */
  private void maybeAdvanceHighWatermark() {
    if (role != Role.LEADER) {
      return;
    }
    Set<Integer> isr = new HashSet<>(settings.isr());
    isr.addAll(pendingIsrAdditions);
    isr.add(replication.brokerId());
    setHighWatermark(followers.highWatermark(isr, replication.brokerId(), localLogEnd));
  }

  /** Raises the high watermark (never lowers it), waking long polls and acks=all producers it now covers. */
  private void setHighWatermark(long candidate) {
    long next = Math.min(candidate, localLogEnd);
    if (next <= highWatermark) {
      return;
    }
    highWatermark = next;
    long committedBytes = 0;
    while (!uncommitted.isEmpty() && uncommitted.peekFirst()[0] <= next) {
      committedBytes += uncommitted.pollFirst()[1];
    }
    if (committedBytes > 0) {
      creditWaiters(false, committedBytes);
    }
    for (java.util.Iterator<AckWaiter> it = ackWaiters.iterator(); it.hasNext(); ) {
      AckWaiter w = it.next();
      if (w.endOffset <= next) {
        it.remove();
        vertx.cancelTimer(w.timerId);
        w.promise.tryComplete();
      }
    }
  }

  private void creditWaiters(boolean toLogEnd, long bytes) {
    if (waiters.isEmpty()) {
      return;
    }
    List<Waiter> ready = new ArrayList<>();
    for (Waiter w : waiters) {
      if (w.toLogEnd == toLogEnd) {
        w.bytesSeen += bytes;
        if (w.bytesSeen >= Math.max(1, Math.min(w.minBytes, w.maxBytes))) {
          ready.add(w);
        }
      }
    }
    waiters.removeAll(ready);
    ready.forEach(this::answer);
  }

  private void failReplicaWaiters() {
    List<Waiter> replicas = waiters.stream().filter(w -> w.toLogEnd).toList();
    waiters.removeAll(replicas);
    for (Waiter w : replicas) {
      vertx.cancelTimer(w.timerId);
      w.promise.tryFail(new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker " + replication.brokerId()
          + " no longer leads partition " + tp));
    }
  }

  // ---------------------------------------------------------------- leader: followers' fetches and the ISR

  /**
   * Answers a follower's fetch (see {@link ReplicaFetchRequest}): epoch checks, divergence check, progress and ISR
   * bookkeeping, then batches from the fetch offset up to the log end, parked up to its wait when there are none.
   * Any thread.
   */
  public Future<ReplicaFetchResponse> replicaFetch(ReplicaFetchRequest request) {
    return onContext(() -> {
      Settings s = settings;
      if (closing || role != Role.LEADER) {
        return Future.succeededFuture(ReplicaFetchResponse.error(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker "
            + replication.brokerId() + " does not lead " + tp + " (leader " + s.leader() + ")"));
      }
      if (request.leaderEpoch() != s.leaderEpoch()) {
        ErrorCode code = request.leaderEpoch() < s.leaderEpoch() ? ErrorCode.FENCED_LEADER_EPOCH
            : ErrorCode.UNKNOWN_LEADER_EPOCH;
        return Future.succeededFuture(ReplicaFetchResponse.error(code, "Partition " + tp + " is at leader epoch "
            + s.leaderEpoch() + ", fetch carried " + request.leaderEpoch()));
      }
      if (request.lastFetchedEpoch() >= 0) {
        LeaderEpochCache.EpochEnd end = epochs.endOffsetFor(request.lastFetchedEpoch(), localLogEnd);
        if (end.epoch() != request.lastFetchedEpoch() || end.endOffset() < request.fetchOffset()) {
          return Future.succeededFuture(ReplicaFetchResponse.diverging(s.leaderEpoch(), highWatermark,
              log.logStartOffset(), end.epoch(), end.endOffset()));
        }
      }
      if (request.fetchOffset() > localLogEnd) {
        return Future.succeededFuture(ReplicaFetchResponse.error(ErrorCode.OFFSET_OUT_OF_RANGE, "Follower "
            + request.followerId() + " fetches " + tp + " at " + request.fetchOffset() + " past the log end "
            + localLogEnd));
      }
      onFollowerFetch(request.followerId(), request.fetchOffset());
      long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(request.maxWaitMs());
      return fetchOnContext(request.fetchOffset(), request.maxBytes(), 1, true, deadlineNanos)
          .compose(r -> readTask(r::readBytes))
          .map(bytes -> ReplicaFetchResponse.records(s.leaderEpoch(), highWatermark, log.logStartOffset(),
              Buffer.buffer(bytes.array())));
    });
  }

  private void onFollowerFetch(int follower, long fetchOffset) {
    followers.onFetch(follower, fetchOffset, localLogEnd, System.currentTimeMillis());
    Settings s = settings;
    if (!s.isr().contains(follower) && !pendingIsrAdditions.contains(follower) && !isrWriteInFlight
        && fetchOffset >= highWatermark && fetchOffset >= leaderEpochStartOffset) {
      List<Integer> isr = new ArrayList<>(s.isr());
      isr.add(follower);
      // Counted in the high watermark from now on: ZooKeeper may show it in sync before our snapshot does.
      pendingIsrAdditions.add(follower);
      proposeIsr(s, isr);
    }
    maybeAdvanceHighWatermark();
  }

  private void maybeShrinkIsr() {
    if (role != Role.LEADER || isrWriteInFlight || closing) {
      return;
    }
    Settings s = settings;
    List<Integer> lagging = followers.laggingInSync(s.isr(), replication.brokerId(), System.currentTimeMillis(),
        replication.replicaLagTimeMaxMs());
    if (!lagging.isEmpty()) {
      List<Integer> isr = new ArrayList<>(s.isr());
      isr.removeAll(lagging);
      LOG.log(Level.INFO, "Partition " + tp + ": replicas " + lagging + " lag more than "
          + replication.replicaLagTimeMaxMs() + " ms; shrinking ISR " + s.isr() + " to " + isr);
      proposeIsr(s, isr);
    }
  }

  private void proposeIsr(Settings basedOn, List<Integer> isr) {
    isrWriteInFlight = true;
    PartitionState next = new PartitionState(replication.brokerId(), basedOn.leaderEpoch(), isr,
        basedOn.zkVersion());
    replication.isrWriter().write(tp, next).onComplete(written -> {
      isrWriteInFlight = false;
      if (!written) {
        pendingIsrAdditions.removeIf(id -> !settings.isr().contains(id));
        LOG.log(Level.INFO, "Partition " + tp + ": ISR change to " + isr + " lost to a concurrent change");
      }
    }, t -> {
      isrWriteInFlight = false;
      pendingIsrAdditions.removeIf(id -> !settings.isr().contains(id));
      LOG.log(Level.WARNING, "Partition " + tp + ": could not write ISR " + isr + ": " + t);
    });
  }

  // ---------------------------------------------------------------- follower (FollowerLog, on this context)

  @Override
  public long logEndOffset() {
    return localLogEnd;
  }

  @Override
  public int lastFetchedEpoch() {
    return epochs.latestEpoch();
  }

  @Override
  public LeaderEpochCache.EpochEnd endOffsetFor(int epoch) {
    return epochs.endOffsetFor(epoch, localLogEnd);
  }

  @Override
  public Future<Void> appendFromLeader(Buffer records, long leaderHighWatermark) {
    if (role != Role.FOLLOWER || closing) {
      return Future.succeededFuture();
    }
    int bytes = records.length();
    Future<AppendResult> appended = bytes == 0 ? Future.succeededFuture(null) : write(() -> {
      ByteBuffer buf = ByteBuffer.wrap(records.getBytes());
      assignEpochsOf(buf);
      return log.appendAsFollower(buf);
    });
    return appended.map(r -> {
      if (r != null) {
        onAppended(r, bytes);
      }
      setHighWatermark(leaderHighWatermark);
      return null;
    });
  }

  /** Records the start of every epoch new to this log among {@code batches}, before they are appended. */
  private void assignEpochsOf(ByteBuffer batches) {
    for (int pos = batches.position(); pos + 17 <= batches.limit(); ) {
      long baseOffset = batches.getLong(pos);
      int length = batches.getInt(pos + 8);
      epochs.assign(batches.getInt(pos + 12), baseOffset);
      pos += 12 + length;
    }
  }

  @Override
  public Future<Void> truncateTo(long offset) {
    return write(() -> {
      long end = log.truncateTo(offset);
      epochs.truncateFromEnd(end);
      return end;
    }).map(end -> {
      localLogEnd = end;
      uncommitted.removeIf(e -> e[0] > end);
      if (highWatermark > end) {
        LOG.log(Level.WARNING, "Partition " + tp + ": truncated below the high watermark " + highWatermark
            + " to " + end + " (unclean leader election?)");
        highWatermark = end;
      }
      return null;
    });
  }

  // ---------------------------------------------------------------- consumers' reads

  /**
   * Reads committed batches at {@code offset}; if fewer than {@code minBytes} are there, waits up to
   * {@code maxWaitMs} for appends to bring them. Completes with what is there then, possibly nothing. Any thread.
   */
  public Future<ReadResult> fetch(long offset, int maxBytes, int minBytes, long maxWaitMs) {
    long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, maxWaitMs));
    return onContext(() -> readableAsLeader()
        .compose(v -> fetchOnContext(offset, maxBytes, minBytes, false, deadlineNanos)));
  }

  /**
   * Consumers' reads and offset queries are answered only by the leader, and only once its high watermark is
   * established; otherwise a retriable error. A follower's or a fenced replica's high watermark trails the leader's,
   * and a broker whose metadata is stale (a fenced zombie until it restarts) would route reads to itself: answering
   * would move a consumer's high watermark back (NOT_LEADER_OR_FOLLOWER). A new leader starts from the high watermark
   * it had as a follower, which can trail the one the previous leader already gave consumers by a fetch round trip;
   * once it reaches the start offset of its epoch it covers everything the previous leader could have committed (the
   * new leader was in its ISR), so until then it answers LEADER_NOT_AVAILABLE. Kafka refuses offset queries the same
   * way (KIP-207). A leader cut off from ZooKeeper, or that stood still ({@code PauseWatch}), may be a zombie whose
   * session expired: it answers LEADER_NOT_AVAILABLE until reconnected and its session confirmed. All were found by the fault checker (FaultsIT). Call on
   * this context.
   */
  private Future<Void> readableAsLeader() {
    if (role != Role.LEADER) {
      return Future.failedFuture(new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker "
          + replication.brokerId() + " does not lead partition " + tp + " (" + role.name().toLowerCase(
          java.util.Locale.ROOT) + ", leader " + settings.leader() + ")"));
    }
    if (settings.replicas().size() > 1 && !replication.sessionTrusted().getAsBoolean()) {
      return Future.failedFuture(new SluiceException(ErrorCode.LEADER_NOT_AVAILABLE, "Broker "
          + replication.brokerId() + " cannot vouch for its ZooKeeper session (connection lost, or it stood still"
          + " and is confirming it), so it answers no read of " + tp + " as leader; retry"));
    }
    if (highWatermark < leaderEpochStartOffset) {
      return Future.failedFuture(new SluiceException(ErrorCode.LEADER_NOT_AVAILABLE, "Partition " + tp
          + ": broker " + replication.brokerId() + " leads at epoch " + settings.leaderEpoch()
          + " but its high watermark " + highWatermark + " has not yet reached the epoch's start offset "
          + leaderEpochStartOffset + "; retry"));
    }
    return Future.succeededFuture();
  }

  private Future<ReadResult> fetchOnContext(long offset, int maxBytes, int minBytes, boolean toLogEnd,
      long deadlineNanos) {
    long appendsBefore = appendsCompleted;
    long hwBefore = highWatermark;
    return read(offset, maxBytes, toLogEnd).compose(r -> {
      long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
      if (closing || remainingMs <= 0 || r.length() >= Math.min(minBytes, maxBytes)) {
        return Future.succeededFuture(r);
      }
      if (appendsCompleted != appendsBefore || highWatermark != hwBefore) {
        // An append or commit happened while we read: the read may have missed it, so look again.
        return fetchOnContext(offset, maxBytes, minBytes, toLogEnd, deadlineNanos);
      }
      Waiter w = new Waiter(offset, maxBytes, minBytes, toLogEnd, r.length());
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
    read(w.offset, w.maxBytes, w.toLogEnd).onComplete(w.promise);
  }

  /** The log start offset and the high watermark. Any thread. */
  public Future<OffsetRange> offsets() {
    return onContext(() -> readableAsLeader()
        .compose(v -> readTask(() -> new OffsetRange(log.logStartOffset(), highWatermark))));
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

  private Future<ReadResult> read(long offset, int maxBytes, boolean toLogEnd) {
    long limit = toLogEnd ? localLogEnd : highWatermark;
    return readTask(() -> log.read(offset, maxBytes, limit));
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

  private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> action) {
    return Contexts.onContext(context, action);
  }
}
