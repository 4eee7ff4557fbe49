package io.sluice.broker.partition;

import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.partition.PartitionVerticle.Replication;
import io.sluice.broker.partition.PartitionVerticle.Settings;
import io.sluice.broker.replication.FollowerTracker;
import io.sluice.broker.replication.ReplicaFetchRequest;
import io.sluice.broker.replication.ReplicaFetchResponse;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.storage.LeaderEpochCache;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What one partition replica knows is committed, and, while it leads, how it decides: the high watermark, the
 * acks=all producers waiting for it, the followers' progress ({@link FollowerTracker}) and the ISR changes derived from
 * it. The {@link PartitionVerticle} owns the log, the role and the consumers' long polls; this class owns the rest of
 * the leader's bookkeeping.
 *
 * <p><b>Rules.</b> The high watermark never exceeds the replica's log end and never goes down, except when a follower
 * truncates below it (an unclean election). As leader it is the smallest log end offset among the ISR plus members
 * whose addition is being written ("maximal ISR": a replica ZooKeeper may already show in sync is never behind it); as
 * follower it is the leader's. A follower caught up to the high watermark and to the start of the current epoch is
 * proposed for the ISR once its broker is registered started, in the incarnation that fetched (KIP-841); one not caught up for {@code replica.lag.time.max.ms} is proposed for removal. Proposals are
 * written conditionally ({@link PartitionVerticle.IsrWriter}), one at a time, and take effect when the metadata shows
 * them.
 *
 * <p><b>Threading: confined to the owning verticle's event-loop context.</b> Every method must be called there, and
 * every callback (timers, ISR writes) runs there, so there are no locks. The one exception is
 * {@link #highWatermark()}, a volatile read any thread may make.
 */
final class LeaderBookkeeping {
  private static final System.Logger LOG = System.getLogger(LeaderBookkeeping.class.getName());

  private record AckWaiter(long endOffset, Promise<Void> promise, long timerId) {
  }

  /** A deletion of records waiting for the in-sync followers' log starts to reach {@code offset}. */
  private record StartWaiter(long offset, Promise<Long> promise, long timerId) {
  }

  private final Vertx vertx;
  private final TopicPartition tp;
  private final Replication replication;
  private final Supplier<Settings> settings;
  private final LongSupplier logEnd;
  private final LongConsumer onCommittedBytes;
  private volatile long highWatermark;
  /** Appended and not yet below the high watermark: {end offset, bytes}, to credit consumers' long polls. */
  private final ArrayDeque<long[]> uncommitted = new ArrayDeque<>();
  /** acks=all produces waiting for the high watermark, in offset order. */
  private final List<AckWaiter> ackWaiters = new ArrayList<>();
  /** Deletions of records waiting for the low watermark, answered with it. */
  private final List<StartWaiter> startWaiters = new ArrayList<>();
  /** The leader's own log start as of the last deletion or follower fetch, for the low watermark. */
  private long leaderLogStart;
  /** Non-null exactly while this replica leads (not after it was fenced). */
  private FollowerTracker followers;
  private long leaderEpochStartOffset;
  /** Followers whose ISR addition is being written, to the broker epoch the proposal records (or unknown). */
  private final Map<Integer, Long> pendingIsrAdditions = new HashMap<>();
  private boolean isrWriteInFlight;
  /** The last reason each caught-up follower was refused the ISR, so that it is logged once, not at every fetch. */
  private final Map<Integer, String> isrRefusals = new HashMap<>();
  /** The state version the pending additions were proposed on. */
  private int pendingBasedOnVersion = Integer.MAX_VALUE;

  /**
   * @param settings the verticle's current settings (leader, epoch, ISR, znode version)
   * @param logEnd the log end as the verticle has seen appends complete: what the high watermark may reach
   * @param onCommittedBytes told how many appended bytes became committed when the high watermark rises, to wake
   *     consumers' long polls
   */
  LeaderBookkeeping(Vertx vertx, TopicPartition tp, Replication replication, Supplier<Settings> settings,
      LongSupplier logEnd, LongConsumer onCommittedBytes) {
    this.vertx = vertx;
    this.tp = tp;
    this.replication = replication;
    this.settings = settings;
    this.logEnd = logEnd;
    this.onCommittedBytes = onCommittedBytes;
  }

  /** The end offset consumers may read up to. Any thread. */
  long highWatermark() {
    return highWatermark;
  }

  /** Where this leader's epoch began (its log end when it became leader). */
  long leaderEpochStartOffset() {
    return leaderEpochStartOffset;
  }

  /**
   * Whether the high watermark has reached the start of this leader's epoch: only then does it cover everything the
   * previous leader could have committed, so consumers may read (see {@code PartitionVerticle.readableAsLeader}).
   */
  boolean highWatermarkCoversEpochStart() {
    return highWatermark >= leaderEpochStartOffset;
  }

  /** Sets the high watermark the replica starts with, before it takes any role. */
  void initHighWatermark(long hw) {
    highWatermark = hw;
  }

  /** This replica leads from now on, from its current log end (the start of its epoch). */
  void lead() {
    List<Integer> others = settings.get().replicas().stream().filter(id -> id != replication.brokerId()).toList();
    followers = new FollowerTracker(others, System.currentTimeMillis());
    leaderEpochStartOffset = logEnd.getAsLong();
    pendingIsrAdditions.clear();
    isrRefusals.clear();
    isrWriteInFlight = false;
    maybeAdvanceHighWatermark();
  }

  /** This replica no longer leads (it follows, or it was fenced). */
  void stopLeading() {
    followers = null;
  }

  /**
   * The metadata shows the partition's state at {@code zkVersion} (same leader epoch). A state newer than the one an
   * addition was proposed on is the proposal itself or a later write, so it is the truth about that addition: a
   * follower the controller removed again right after (before this broker saw it added) must not stay pending, or
   * the leader would never propose it again and the ISR would stay short for good (found by FaultsIT, seed 2).
   */
  void onIsrChanged(List<Integer> isr, int zkVersion) {
    if (zkVersion > pendingBasedOnVersion) {
      pendingIsrAdditions.clear();
    } else {
      pendingIsrAdditions.keySet().removeIf(isr::contains);
    }
    if (followers != null && !startWaiters.isEmpty()) {
      completeStartWaiters(); // a follower that left the ISR no longer holds the low watermark
    }
    maybeAdvanceHighWatermark();
  }

  /** Batches ending at {@code endOffset}, {@code bytes} long, were appended (as leader or follower). */
  void onAppended(long endOffset, int bytes) {
    uncommitted.addLast(new long[] {endOffset, bytes});
    maybeAdvanceHighWatermark();
  }

  /**
   * Completes once the high watermark reaches {@code endOffset}; fails after {@code replica.commit.timeout.ms}, and at
   * once unless this replica leads.
   */
  Future<Void> awaitCommit(long endOffset) {
    if (followers == null) {
      // Leadership ended while the batches were being appended: a follower's high watermark is its new leader's,
      // over a log that may no longer hold them (FaultsIT: acknowledged, then truncated away).
      return Future.failedFuture(new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Partition " + tp
          + ": this replica stopped leading before batches up to offset " + (endOffset - 1) + " were committed"));
    }
    if (highWatermark >= endOffset) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    long timer = vertx.setTimer(replication.ackTimeoutMs(), id -> {
      if (ackWaiters.removeIf(w -> w.promise == p)) {
        p.tryFail(new SluiceException(ErrorCode.REQUEST_TIMED_OUT, "Partition " + tp + ": batches up to offset "
            + (endOffset - 1) + " did not reach every in-sync replica " + settings.get().isr() + " within "
            + replication.ackTimeoutMs() + " ms"));
      }
    });
    ackWaiters.add(new AckWaiter(endOffset, p, timer));
    return p.future();
  }

  /** NOT_ENOUGH_REPLICAS: the ISR is smaller than {@code min.insync.replicas}, so acks=all is refused. */
  SluiceException notEnoughReplicas() {
    Settings s = settings.get();
    return new SluiceException(ErrorCode.NOT_ENOUGH_REPLICAS, "Partition " + tp + " has " + s.isrSize()
        + " in-sync replica(s) " + s.isr() + " but min.insync.replicas is " + s.minInsyncReplicas()
        + ": acks=all refused");
  }

  /** Fails every acks=all produce and every deletion of records waiting here. */
  void failAckWaiters(ErrorCode code, String message) {
    List<AckWaiter> failed = new ArrayList<>(ackWaiters);
    ackWaiters.clear();
    for (AckWaiter w : failed) {
      vertx.cancelTimer(w.timerId);
      w.promise.tryFail(new SluiceException(code, message));
    }
    List<StartWaiter> deletions = new ArrayList<>(startWaiters);
    startWaiters.clear();
    for (StartWaiter w : deletions) {
      vertx.cancelTimer(w.timerId);
      w.promise.tryFail(new SluiceException(code, message));
    }
  }

  /**
   * Leader, after deleting the records below {@code offset} here (its log now starts at {@code leaderStart}):
   * completes with the low watermark (the smallest log start among the ISR) once it reaches {@code offset}, as
   * Kafka's DeleteRecords waits, so a follower elected next does not serve the deleted records again. Fails with
   * REQUEST_TIMED_OUT after {@code replica.commit.timeout.ms} (the records are deleted here, and followers go on
   * following), and at once unless this replica leads.
   */
  Future<Long> awaitLowWatermark(long offset, long leaderStart) {
    if (followers == null) {
      return Future.failedFuture(new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Partition " + tp
          + ": this replica stopped leading while deleting records below " + offset));
    }
    leaderLogStart = leaderStart;
    long low = lowWatermark();
    if (low >= offset) {
      return Future.succeededFuture(low);
    }
    Promise<Long> p = Promise.promise();
    long timer = vertx.setTimer(replication.ackTimeoutMs(), id -> {
      if (startWaiters.removeIf(w -> w.promise == p)) {
        p.tryFail(new SluiceException(ErrorCode.REQUEST_TIMED_OUT, "Partition " + tp + ": records below " + offset
            + " are deleted on the leader, but not every in-sync replica " + settings.get().isr()
            + " reported its log start there within " + replication.ackTimeoutMs() + " ms (low watermark "
            + lowWatermark() + "); they follow at their next fetch"));
      }
    });
    startWaiters.add(new StartWaiter(offset, p, timer));
    return p.future();
  }

  private long lowWatermark() {
    return followers.lowWatermark(settings.get().isr(), replication.brokerId(), leaderLogStart);
  }

  private void completeStartWaiters() {
    long low = lowWatermark();
    for (Iterator<StartWaiter> it = startWaiters.iterator(); it.hasNext(); ) {
      StartWaiter w = it.next();
      if (w.offset <= low) {
        it.remove();
        vertx.cancelTimer(w.timerId);
        w.promise.tryComplete(low);
      }
    }
  }

  /** Leader: the high watermark becomes the smallest log end offset among the (maximal) ISR. */
  void maybeAdvanceHighWatermark() {
    if (followers == null) {
      return;
    }
    Settings s = settings.get();
    int self = replication.brokerId();
    long candidate = followers.highWatermark(s.isr(), self, logEnd.getAsLong(), s.isrEpochs());
    if (!pendingIsrAdditions.isEmpty()) { // rare: the maximal ISR's other members, and no copy on the append path
      Map<Integer, Long> epochs = new HashMap<>(pendingIsrAdditions);
      epochs.putAll(s.isrEpochs());
      candidate = Math.min(candidate, followers.highWatermark(pendingIsrAdditions.keySet(), self, candidate, epochs));
    }
    raiseHighWatermark(candidate);
  }

  /**
   * Raises the high watermark to {@code candidate} bounded by the log end (never lowers it), waking long polls and
   * acks=all producers it now covers. A follower calls it with its leader's high watermark.
   */
  void raiseHighWatermark(long candidate) {
    long next = Math.min(candidate, logEnd.getAsLong());
    if (next <= highWatermark) {
      return;
    }
    highWatermark = next;
    long committedBytes = 0;
    while (!uncommitted.isEmpty() && uncommitted.peekFirst()[0] <= next) {
      committedBytes += uncommitted.pollFirst()[1];
    }
    if (committedBytes > 0) {
      onCommittedBytes.accept(committedBytes);
    }
    for (Iterator<AckWaiter> it = ackWaiters.iterator(); it.hasNext(); ) {
      AckWaiter w = it.next();
      if (w.endOffset <= next) {
        it.remove();
        vertx.cancelTimer(w.timerId);
        w.promise.tryComplete();
      }
    }
  }

  /** The log was truncated to {@code end} (a follower): the high watermark goes down with it if above. */
  void onTruncated(long end) {
    uncommitted.removeIf(e -> e[0] > end);
    if (highWatermark > end) {
      LOG.log(Level.WARNING, "Partition " + tp + ": truncated below the high watermark " + highWatermark
          + " to " + end + " (unclean leader election?)");
      highWatermark = end;
    }
  }

  /** The log was emptied and restarted at {@code start} (a follower below its leader's log start). */
  void onRestartedAt(long start) {
    uncommitted.clear();
    raiseHighWatermark(start); // nothing below the new start exists here any more
  }

  // ---------------------------------------------------------------- leader: followers' fetches and the ISR

  /**
   * The leader's checks of a follower's fetch before anything is read: the answer that refuses it or sends the
   * follower elsewhere, or null when it may read from {@code request.fetchOffset()}. In order: not leading
   * (NOT_LEADER_OR_FOLLOWER), another leader epoch (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH), a last fetched epoch
   * that does not end at or after the fetch offset here (diverging: KIP-320), a fetch offset past the log end (only a
   * follower without epochs gets that far: diverging with epoch -1 and our log end, so it truncates there as Kafka's
   * follower does), one below the log start (OFFSET_OUT_OF_RANGE with the log start, where the follower restarts).
   *
   * @param leading whether this replica leads and is open
   */
  ReplicaFetchResponse checkFollowerFetch(ReplicaFetchRequest request, boolean leading, LeaderEpochCache epochs,
      long logStartOffset) {
    Settings s = settings.get();
    long end = logEnd.getAsLong();
    if (!leading) {
      return ReplicaFetchResponse.error(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker " + replication.brokerId()
          + " does not lead " + tp + " (leader " + s.leader() + ")");
    }
    if (request.leaderEpoch() != s.leaderEpoch()) {
      ErrorCode code = request.leaderEpoch() < s.leaderEpoch() ? ErrorCode.FENCED_LEADER_EPOCH
          : ErrorCode.UNKNOWN_LEADER_EPOCH;
      return ReplicaFetchResponse.error(code, "Partition " + tp + " is at leader epoch " + s.leaderEpoch()
          + ", fetch carried " + request.leaderEpoch());
    }
    if (request.lastFetchedEpoch() >= 0) {
      LeaderEpochCache.EpochEnd epochEnd = epochs.endOffsetFor(request.lastFetchedEpoch(), end);
      if (epochEnd.epoch() != request.lastFetchedEpoch() || epochEnd.endOffset() < request.fetchOffset()) {
        return ReplicaFetchResponse.diverging(s.leaderEpoch(), highWatermark, logStartOffset, epochEnd.epoch(),
            epochEnd.endOffset());
      }
    }
    if (request.fetchOffset() > end) {
      return ReplicaFetchResponse.diverging(s.leaderEpoch(), highWatermark, logStartOffset, -1, end);
    }
    return request.fetchOffset() < logStartOffset ? belowLogStart(request, logStartOffset) : null;
  }

  /** OFFSET_OUT_OF_RANGE for a follower fetching below {@code logStartOffset}, which carries it. */
  ReplicaFetchResponse belowLogStart(ReplicaFetchRequest request, long logStartOffset) {
    return ReplicaFetchResponse.belowLogStart(settings.get().leaderEpoch(), highWatermark, logStartOffset, "Follower "
        + request.followerId() + " fetches " + tp + " at " + request.fetchOffset() + ", below the log start "
        + logStartOffset);
  }

  /**
   * Leader: the process of {@code follower} at {@code brokerEpoch} fetched at {@code fetchOffset}; it may join the
   * ISR (with that epoch recorded) and move the high watermark. An in-sync follower fetching at another epoch than
   * recorded restarted and holds the high watermark until the controller takes it out ({@link FollowerTracker}).
   */
  void onFollowerFetch(int follower, long brokerEpoch, long fetchOffset) {
    onFollowerFetch(follower, brokerEpoch, fetchOffset, ReplicaFetchRequest.UNKNOWN_LOG_START);
  }

  /** As above, the follower reporting its log start {@code followerStart}. */
  void onFollowerFetch(int follower, long brokerEpoch, long fetchOffset, long followerStart) {
    long end = logEnd.getAsLong();
    if (!followers.onFetch(follower, brokerEpoch, fetchOffset, end, System.currentTimeMillis())) {
      return;
    }
    followers.onLogStart(follower, followerStart);
    if (!startWaiters.isEmpty()) {
      completeStartWaiters();
    }
    Settings s = settings.get();
    // A replica a reassignment removed may fetch until its broker sees that: it must not come back into the ISR
    // (checked after the ISR, so an in-sync follower's fetch pays nothing for it).
    if (!s.isr().contains(follower) && s.replicas().contains(follower) && !pendingIsrAdditions.containsKey(follower)
        && !isrWriteInFlight
        && fetchOffset >= highWatermark && fetchOffset >= leaderEpochStartOffset
        && eligible(follower, brokerEpoch)) {
      List<Integer> isr = new ArrayList<>(s.isr());
      isr.add(follower);
      // Counted in the high watermark from now on: ZooKeeper may show it in sync before our snapshot does.
      pendingIsrAdditions.put(follower, brokerEpoch);
      pendingBasedOnVersion = s.zkVersion();
      proposeIsr(s, isr);
    }
    maybeAdvanceHighWatermark();
  }

  /**
   * Whether the caught-up {@code follower} may join the ISR now ({@link PartitionVerticle.IsrEligibility}); a refusal
   * is logged once per reason, as the follower fetches on and is asked again each time.
   */
  private boolean eligible(int follower, long brokerEpoch) {
    String refusal = replication.isrEligibility().refusal(follower, brokerEpoch);
    if (refusal != null && !refusal.equals(isrRefusals.put(follower, refusal))) {
      LOG.log(Level.INFO, "Partition " + tp + ": follower " + follower + " is caught up but does not join the ISR: "
          + refusal);
    }
    if (refusal == null) {
      isrRefusals.remove(follower);
    }
    return refusal == null;
  }

  /** Leader: proposes removing in-sync followers not caught up for {@code replica.lag.time.max.ms}. */
  void maybeShrinkIsr() {
    if (followers == null || isrWriteInFlight) {
      return;
    }
    Settings s = settings.get();
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

  /**
   * Writes {@code isr} conditionally on {@code basedOn}'s version, keeping the members' recorded broker epochs (a
   * write that dropped them would let the controller's older rule miss a member's restart) and recording a pending
   * addition's.
   */
  private void proposeIsr(Settings basedOn, List<Integer> isr) {
    isrWriteInFlight = true;
    Map<Integer, Long> epochs = new HashMap<>(basedOn.isrEpochs());
    pendingIsrAdditions.forEach((id, epoch) -> {
      if (epoch != ReplicaFetchRequest.UNKNOWN_BROKER_EPOCH) {
        epochs.put(id, epoch);
      }
    });
    PartitionState next = new PartitionState(replication.brokerId(), basedOn.leaderEpoch(), isr,
        basedOn.zkVersion(), 0, epochs);
    replication.isrWriter().write(tp, next).onComplete(written -> {
      isrWriteInFlight = false;
      if (!written) {
        pendingIsrAdditions.keySet().removeIf(id -> !settings.get().isr().contains(id));
        LOG.log(Level.INFO, "Partition " + tp + ": ISR change to " + isr + " lost to a concurrent change");
      }
    }, t -> {
      isrWriteInFlight = false;
      pendingIsrAdditions.keySet().removeIf(id -> !settings.get().isr().contains(id));
      LOG.log(Level.WARNING, "Partition " + tp + ": could not write ISR " + isr + ": " + t);
    });
  }
}
