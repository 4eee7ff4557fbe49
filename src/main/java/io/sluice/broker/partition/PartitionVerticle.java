package io.sluice.broker.partition;

import io.sluice.broker.rpc.Contexts;
import io.sluice.api.Acks;
import io.sluice.record.AbortedTransaction;
import io.sluice.api.OffsetRange;
import io.sluice.api.ProducerIdentity;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.OffsetOutOfRangeException;
import io.sluice.errors.SluiceException;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.replication.FollowerLog;
import io.sluice.broker.replication.ReplicaFetchRequest;
import io.sluice.broker.replication.ReplicaFetchResponse;
import io.sluice.broker.replication.ReplicaFetcher;
import io.sluice.broker.replication.ReplicaTransport;
import io.sluice.storage.LogManager;
import io.sluice.storage.AppendResult;
import io.sluice.storage.LeaderEpochCache;
import io.sluice.storage.LogConfig;
import io.sluice.storage.PartitionLog;
import io.sluice.storage.ReadResult;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * Owns one hosted partition's {@link PartitionLog}: every append, flush, retention pass and close of that log goes
 * through this verticle, and fetches that find too little data wait here until an append brings enough.
 *
 * <p><b>Threading: an event-loop verticle whose log calls run on a named worker executor.</b> Its state (role,
 * settings, log end) and its parts' — long polls in {@link ParkedFetches}; high watermark, acks=all waiters,
 * followers' progress and ISR changes in {@link LeaderBookkeeping} — live on its event-loop context and are touched
 * only there, so no locks. Log calls never run on the event loop: {@link LogTasks} runs them on the storage pool,
 * writers one after another in arrival order, readers at once. Callers on any thread use the public methods, which
 * hop onto the context ({@code runOnContext}); nothing blocks and no event bus is involved for local calls.
 *
 * <p><b>Replication.</b> Every replica of a partition runs this verticle; {@link Settings} say which broker leads.
 * The leader appends producers' batches stamped with its leader epoch (recorded first in the {@link LeaderEpochCache})
 * and answers followers' {@link #replicaFetch}es from its log end; a follower runs a {@link ReplicaFetcher} and
 * appends what it copies as is. Consumers only ever read below the high watermark; followers read up to the log end.
 *
 * <p><b>Stop.</b> New appends are refused, parked fetches are answered with what is there, reads in flight finish,
 * then the log is closed (flushed, clean-shutdown marker written) after every append already queued.
 */
public final class PartitionVerticle extends VerticleBase implements FollowerLog {
  private static final System.Logger LOG = System.getLogger(PartitionVerticle.class.getName());
  private static final long MIN_FLUSH_CHECK_MS = 10;
  private static final long MAX_FLUSH_CHECK_MS = 1_000;
  /** Consumer reads up to this size are copied into memory by their storage task ({@link #read}). */
  static final int SMALL_READ_BYTES = 64 * 1024;
  /** {@link #deleteRecords}' offset meaning "below the high watermark" (Kafka's DeleteRecordsRequest.HIGH_WATERMARK). */
  public static final long DELETE_TO_HIGH_WATERMARK = -1;
  /** An append's leader epoch when the writer expects none in particular (every producer's). */
  public static final int ANY_LEADER_EPOCH = -1;
  private static final byte[] NOTHING = new byte[0];

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
   * @param isrEpochs the ISR members' recorded broker epochs ({@link PartitionState#isrEpochs()}): the leader's ISR
   *     writes keep them, and it does not count the progress of a member fetching with another epoch
   */
  public record Settings(int leader, int leaderEpoch, List<Integer> isr, List<Integer> replicas,
      int minInsyncReplicas, int zkVersion, boolean mayLead, Map<Integer, Long> isrEpochs) {
    public Settings {
      isr = List.copyOf(isr);
      replicas = List.copyOf(replicas);
      isrEpochs = Map.copyOf(isrEpochs);
    }

    public Settings(int leader, int leaderEpoch, List<Integer> isr, List<Integer> replicas, int minInsyncReplicas,
        int zkVersion, boolean mayLead) {
      this(leader, leaderEpoch, isr, replicas, minInsyncReplicas, zkVersion, mayLead, Map.of());
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
   * @param brokerEpoch this broker's current broker epoch (the zxid that created its registration), sent with every
   *     fetch as a follower; {@link ReplicaFetchRequest#UNKNOWN_BROKER_EPOCH} when there is none
   * @param transport how the follower's fetches reach the leader
   * @param isrEligibility as leader, whether a caught-up follower's broker may join the ISR now (KIP-841)
   * @param fetchCache as leader, the broker's budget for the recent appends kept for follower fetches behind the log
   *     end ({@link RecentAppends}), and its counts of where answers came from
   */
  public record Replication(int brokerId, Path logDir, long replicaLagTimeMaxMs, long ackTimeoutMs,
      IsrWriter isrWriter, ReplicaFetcher.Options fetcherOptions, java.util.function.BooleanSupplier sessionTrusted,
      java.util.function.LongSupplier brokerEpoch, ReplicaTransport transport, IsrEligibility isrEligibility,
      FollowerFetchCache fetchCache) {
    /** A partition of its own with {@link FollowerFetchCache#DEFAULT_MAX_BYTES} for its recent appends. */
    public Replication(int brokerId, Path logDir, long replicaLagTimeMaxMs, long ackTimeoutMs, IsrWriter isrWriter,
        ReplicaFetcher.Options fetcherOptions, java.util.function.BooleanSupplier sessionTrusted,
        java.util.function.LongSupplier brokerEpoch, ReplicaTransport transport, IsrEligibility isrEligibility) {
      this(brokerId, logDir, replicaLagTimeMaxMs, ackTimeoutMs, isrWriter, fetcherOptions, sessionTrusted,
          brokerEpoch, transport, isrEligibility, new FollowerFetchCache(FollowerFetchCache.DEFAULT_MAX_BYTES));
    }

    public Replication(int brokerId, Path logDir, long replicaLagTimeMaxMs, long ackTimeoutMs, IsrWriter isrWriter,
        ReplicaFetcher.Options fetcherOptions, java.util.function.BooleanSupplier sessionTrusted,
        java.util.function.LongSupplier brokerEpoch, ReplicaTransport transport) {
      this(brokerId, logDir, replicaLagTimeMaxMs, ackTimeoutMs, isrWriter, fetcherOptions, sessionTrusted,
          brokerEpoch, transport, IsrEligibility.ANY);
    }

    public Replication(int brokerId, Path logDir, long replicaLagTimeMaxMs, long ackTimeoutMs, IsrWriter isrWriter,
        ReplicaFetcher.Options fetcherOptions) {
      this(brokerId, logDir, replicaLagTimeMaxMs, ackTimeoutMs, isrWriter, fetcherOptions, ReplicaTransport.EVENT_BUS);
    }

    public Replication(int brokerId, Path logDir, long replicaLagTimeMaxMs, long ackTimeoutMs, IsrWriter isrWriter,
        ReplicaFetcher.Options fetcherOptions, ReplicaTransport transport) {
      this(brokerId, logDir, replicaLagTimeMaxMs, ackTimeoutMs, isrWriter, fetcherOptions, () -> true,
          () -> ReplicaFetchRequest.UNKNOWN_BROKER_EPOCH, transport);
    }
  }

  /**
   * Whether the broker of a follower caught up may join the ISR: Kafka's controller refuses ISR expansion to a fenced
   * or shutting-down broker (KIP-841), so a broker that restarted joins only once it has finished starting (its logs
   * recovered) and only in the incarnation that fetched.
   */
  @FunctionalInterface
  public interface IsrEligibility {
    /** Every follower may join (tests of one partition without a cluster). */
    IsrEligibility ANY = (broker, brokerEpoch) -> null;

    /**
     * Null when {@code broker}, fetching at broker epoch {@code brokerEpoch}, may join the ISR; else why not. Called
     * on the partition's context: it must not block.
     */
    String refusal(int broker, long brokerEpoch);
  }

  /** Writes a partition's state with a new ISR if its znode is still at the version the state carries. */
  @FunctionalInterface
  public interface IsrWriter {
    Future<Boolean> write(TopicPartition tp, PartitionState next);
  }

  private enum Role { LEADER, FOLLOWER, FENCED }

  private final TopicPartition tp;
  private final LogManager store;
  /**
   * The log's settings from the topic's configs; replaced by {@link #updateLogConfig} on this context when they are
   * altered. Volatile: the open reads it on the storage pool.
   */
  private volatile LogConfig logConfig;
  /**
   * The latest config {@link #updateLogConfig} was given, set at once on the caller's thread: the one the context
   * applies when it gets to it, so two alterations in quick succession (A to B and back to A) end at the last.
   */
  private volatile LogConfig requestedLogConfig;
  private final long retentionCheckIntervalMs;
  private final Replication replication;
  private final String topicId;
  private volatile Settings settings;
  private volatile Role role = Role.FOLLOWER;
  /** Set by {@link #fence()} until {@link #unfence()}: metadata must not revive a replica of a broker without session. */
  private boolean fenced;
  private PartitionLog log;
  /** {@link #log} once open, for readers on other threads (metrics); the log's own reads are thread-safe. */
  private volatile PartitionLog published;
  private LeaderEpochCache epochs;
  /** The log end as this context has seen appends complete: what the high watermark may reach. */
  private long localLogEnd;
  /** Long polls waiting for appends (followers) or commits (consumers); set by {@link #init}. */
  private ParkedFetches parked;
  /** The high watermark, acks=all waiters, followers' progress and ISR changes; set by {@link #init}. */
  private volatile LeaderBookkeeping leader;
  /** Every log call, on the storage pool: writers one after another, readers at once. */
  private final LogTasks tasks;
  private final TxnVerifications verifications;
  private long appendsCompleted;
  /**
   * The append being credited, only while {@link #onAppended} runs: the followers' fetches it wakes are answered from
   * its bytes in memory, and so, when it moves the high watermark over its own bytes (one in-sync replica), are the
   * consumers' long polls it wakes.
   */
  private AppendResult justAppended;
  /** {@link #justAppended}'s bytes copied once for the polls it answers (they outlive the producer's buffer). */
  private ReadResult justAppendedRead;
  /**
   * {@link #justAppended}'s bytes copied once into direct memory for the follower fetches it wakes: each answer holds a
   * reference of its own (its writer releases it), this field one more, released when {@link #onAppended} ends.
   */
  private ByteBuf justAppendedForFollowers;
  /**
   * A replicated leader's append as the log wrote it ({@link AppendCopy}), only while {@link #onAppended} runs for
   * it: {@link #justAppendedForFollowers} and {@link #held} take references to it instead of copying its bytes.
   */
  private ByteBuf appendCopy;
  /**
   * An append's bytes (a direct copy) held back from the followers' waits it would have woken, because another append
   * was already queued behind it: the next append's wake-up answers both in one response (see {@link #holdForNext}).
   * Its first offset and the log end after it; null when nothing is held.
   */
  private ByteBuf held;
  /** As leader, the last appends kept for follower fetches behind the log end; set by {@link #init}. */
  private RecentAppends recent;
  /**
   * {@link #held} and {@link #justAppended}'s copy as one answer (starting at {@link #justAppendedWithHeldFirst}), only
   * while {@link #onAppended} runs.
   */
  private ByteBuf justAppendedWithHeld;
  private long justAppendedWithHeldFirst;
  private long heldFirst;
  private long heldEnd;
  private boolean closing;
  private long retentionTimer = -1;
  private long flushTimer = -1;
  private long isrTimer = -1;
  private ReplicaFetcher fetcher; // follower only

  public PartitionVerticle(TopicPartition tp, LogManager store, LogConfig logConfig, Settings settings,
      WorkerExecutor storage, long retentionCheckIntervalMs, Replication replication) {
    this(tp, null, store, logConfig, settings, storage, retentionCheckIntervalMs, replication);
  }

  /**
   * A replica of {@code tp} of the topic with id {@code topicId}: a log directory left by an older topic of the same
   * name is discarded when it opens (null: no check).
   */
  public PartitionVerticle(TopicPartition tp, String topicId, LogManager store, LogConfig logConfig,
      Settings settings, WorkerExecutor storage, long retentionCheckIntervalMs, Replication replication) {
    this.tp = tp;
    this.verifications = new TxnVerifications(tp);
    this.topicId = topicId;
    this.store = store;
    this.logConfig = logConfig;
    this.requestedLogConfig = logConfig;
    this.settings = settings;
    this.retentionCheckIntervalMs = retentionCheckIntervalMs;
    this.replication = replication;
    this.tasks = new LogTasks(storage);
  }

  @Override
  public void init(Vertx vertx, Context context) {
    super.init(vertx, context);
    parked = new ParkedFetches(vertx, this::read);
    recent = new RecentAppends(replication.fetchCache());
    leader = new LeaderBookkeeping(vertx, tp, replication, () -> settings, () -> localLogEnd, bytes -> {
      recent.releaseTo(leader.highWatermark());
      parked.credit(false, bytes, justAppended == null ? null : this::readJustAppended);
    });
  }

  public TopicPartition topicPartition() {
    return tp;
  }

  @Override
  public Future<?> start() {
    long[] checkpointed = {-1};
    return tasks.write(() -> {
      PartitionLog opened = store.openLog(tp, logConfig, topicId);
      epochs = LeaderEpochCache.open(replication.logDir(), opened.logEndOffset());
      checkpointed[0] = store.checkpointedHighWatermark(tp).orElse(-1);
      return opened;
    }).map(opened -> {
      log = opened;
      published = opened;
      localLogEnd = opened.logEndOffset();
      // A lone replica commits on append. A replicated one starts from its checkpointed high watermark (so it never
      // goes backwards for consumers), bounded by its log, and raises it from the ISR (leader) or leader (follower).
      leader.initHighWatermark(settings.replicas().size() <= 1 ? localLogEnd
          : Math.max(opened.logStartOffset(), Math.min(checkpointed[0], localLogEnd)));
      retentionTimer = vertx.setPeriodic(retentionCheckIntervalMs, id -> enforceRetention());
      if (!opened.config().equals(logConfig)) { // altered while the log opened
        reconfigureLog(logConfig);
      }
      scheduleFlush();
      isrTimer = vertx.setPeriodic(Math.max(10, replication.replicaLagTimeMaxMs() / 2), id -> {
        if (!closing) {
          leader.maybeShrinkIsr();
        }
      });
      if (!fenced) {
        applyRole(null, settings);
      }
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
    leader.failAckWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Partition " + tp + " is closing on this broker");
    parked.answerAll();
    recent.clear();
    return tasks.readsFinished().transform(ignored -> tasks.write(() -> {
      if (log != null) {
        log.close();
      }
      return null;
    }));
  }

  /** The end offset consumers may read up to. Any thread. */
  public long highWatermark() {
    LeaderBookkeeping l = leader;
    return l == null ? 0 : l.highWatermark();
  }

  /** Sizes and offsets of this replica as its log last published them; empty until the log is open. Any thread. */
  public java.util.Optional<ReplicaStats> stats() {
    PartitionLog l = published;
    return l == null ? java.util.Optional.empty() : java.util.Optional.of(new ReplicaStats(tp, isLeader(),
        l.logStartOffset(), l.logEndOffset(), highWatermark(), l.sizeInBytes()));
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
   * Applies the topic's altered configs to this replica (leader or follower alike) without reopening it: the log takes
   * them in its write chain, after the appends queued before, and the flush timer follows {@code flush.ms}. Any thread.
   */
  public void updateLogConfig(LogConfig next) {
    requestedLogConfig = next;
    context.runOnContext(v -> {
      LogConfig latest = requestedLogConfig;
      if (latest.equals(logConfig) || closing) {
        return;
      }
      logConfig = latest;
      if (log != null) {
        reconfigureLog(latest);
        scheduleFlush();
      }
    });
  }

  /** The settings this replica's log runs with, or will once the latest {@link #updateLogConfig} applies. Any thread. */
  public LogConfig logConfig() {
    return requestedLogConfig;
  }

  private void reconfigureLog(LogConfig next) {
    tasks.write(() -> {
      log.reconfigure(next);
      return null;
    }).onComplete(ok -> LOG.log(Level.INFO, "Partition " + tp + ": log settings now " + next),
        t -> LOG.log(Level.ERROR, "Partition " + tp + ": could not apply altered topic configs", t));
  }

  /** (Re)starts the periodic flush check at the current {@code flush.ms}; none when it is unset. On the context. */
  private void scheduleFlush() {
    vertx.cancelTimer(flushTimer);
    flushTimer = -1;
    if (logConfig.flushMs() != Long.MAX_VALUE) {
      long period = Math.max(MIN_FLUSH_CHECK_MS, Math.min(MAX_FLUSH_CHECK_MS, logConfig.flushMs()));
      flushTimer = vertx.setPeriodic(period, id -> tasks.write(() -> {
        log.maybeFlush(System.currentTimeMillis());
        return null;
      }).onFailure(t -> LOG.log(Level.ERROR, "Partition " + tp + ": scheduled flush failed", t)));
    }
  }

  /**
   * Stops acknowledging anything as leader and copying as follower until {@link #unfence()}: this broker may have lost
   * its ZooKeeper session, so another broker may already lead. Any thread.
   */
  public void fence() {
    context.runOnContext(v -> {
      fenced = true;
      if (role == Role.LEADER) {
        LOG.log(Level.WARNING, "Partition " + tp + ": fenced at epoch " + settings.leaderEpoch());
      }
      role = Role.FENCED;
      leader.stopLeading();
      stopFetcher();
      leader.failAckWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker " + replication.brokerId()
          + " lost its ZooKeeper session and no longer leads partition " + tp);
      failFollowerFetches();
      recent.clear();
    });
  }

  /**
   * Takes up the role the current settings give, after {@link #fence()}: the broker's registration of its current
   * session is in the metadata again. A replica whose broker started a new session does not lead at an epoch decided
   * before it ({@link Settings#mayLead()}). Any thread.
   */
  public void unfence() {
    context.runOnContext(v -> {
      if (!fenced) {
        return;
      }
      fenced = false;
      if (log != null && !closing) {
        LOG.log(Level.INFO, "Partition " + tp + ": unfenced at leader " + settings.leader() + ", epoch "
            + settings.leaderEpoch());
        applyRole(null, settings);
      }
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
        leader.onIsrChanged(next.isr(), next.zkVersion());
      }
    } else if (role != Role.FOLLOWER || !sameEpoch || fetcher == null) {
      becomeFollower(next);
    }
  }

  private void becomeLeader(Settings s) {
    stopFetcher();
    verifications.clear();
    role = Role.LEADER;
    recent.clear(); // an earlier leadership's appends, before truncations as a follower
    LOG.log(Level.INFO, "Partition " + tp + ": broker " + replication.brokerId() + " leads at epoch "
        + s.leaderEpoch() + " from offset " + localLogEnd + ", ISR " + s.isr());
    leader.lead();
  }

  /** Neither leads nor copies: this broker restarted since {@code s} was decided, and the controller moves it on. */
  private void awaitNewEpoch(Settings s) {
    if (role == Role.LEADER) {
      leader.failAckWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker " + replication.brokerId()
          + " restarted since leading partition " + tp + " at epoch " + s.leaderEpoch());
    }
    role = Role.FOLLOWER;
    leader.stopLeading();
    stopFetcher();
    failFollowerFetches();
    recent.clear();
    LOG.log(Level.INFO, "Partition " + tp + ": broker " + replication.brokerId() + " restarted since it was made"
        + " leader at epoch " + s.leaderEpoch() + "; waiting for the controller's next epoch");
  }

  private void becomeFollower(Settings s) {
    boolean wasLeader = role == Role.LEADER;
    role = Role.FOLLOWER;
    leader.stopLeading();
    stopFetcher();
    if (wasLeader) {
      leader.failAckWaiters(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker " + replication.brokerId()
          + " no longer leads partition " + tp + " (leader now " + s.leader() + ")");
    }
    failFollowerFetches();
    recent.clear();
    if (s.leader() != PartitionState.NO_LEADER && s.replicas().contains(replication.brokerId())) {
      fetcher = new ReplicaFetcher(vertx, tp, replication.brokerId(), replication.brokerEpoch(), s.leader(),
          s.leaderEpoch(), this, replication.fetcherOptions(), replication.transport());
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
    return append(batches, acks, null, null);
  }

  /**
   * {@link #append(ByteBuffer, Acks)} by the producer of {@code transactionalId} (null: none named). With a
   * {@code verifier} (KIP-890) a transactional batch is appended only once the coordinator confirmed this partition
   * is part of its producer's ongoing transaction ({@link TxnVerifications}); INVALID_TXN_STATE otherwise. Batches
   * without the transactional flag never wait for it. Any thread.
   */
  public Future<AppendResult> append(ByteBuffer batches, Acks acks, String transactionalId,
      TxnVerifications.Verifier verifier) {
    return append(batches, acks, transactionalId, verifier, ANY_LEADER_EPOCH);
  }

  /**
   * {@link #append(ByteBuffer, Acks, String, TxnVerifications.Verifier)} only while this replica leads at
   * {@code leaderEpoch} ({@link #ANY_LEADER_EPOCH}: at any): a coordinator's write of the internal partition it loaded
   * at that epoch. FENCED_LEADER_EPOCH when this leader's epoch is newer (the coordinator's partition moved since),
   * UNKNOWN_LEADER_EPOCH when older (this replica has not taken the epoch yet). Any thread.
   */
  public Future<AppendResult> append(ByteBuffer batches, Acks acks, String transactionalId,
      TxnVerifications.Verifier verifier, int leaderEpoch) {
    return onContext(() -> {
      Settings s = settings;
      if (closing || role != Role.LEADER) {
        return Future.failedFuture(new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker "
            + replication.brokerId() + " does not lead partition " + tp + (closing ? " (closing)" : " (leader: "
            + s.leader() + ")")));
      }
      if (leaderEpoch != ANY_LEADER_EPOCH && leaderEpoch != s.leaderEpoch()) {
        return Future.failedFuture(new SluiceException(leaderEpoch < s.leaderEpoch() ? ErrorCode.FENCED_LEADER_EPOCH
            : ErrorCode.UNKNOWN_LEADER_EPOCH, "Partition " + tp + " is led by broker " + replication.brokerId()
            + " at epoch " + s.leaderEpoch() + ", not at epoch " + leaderEpoch + " as the writer expects: nothing"
            + " was written"));
      }
      if (acks == Acks.ALL && s.isrSize() < s.minInsyncReplicas()) {
        return Future.failedFuture(leader.notEnoughReplicas());
      }
      int epoch = s.leaderEpoch();
      ProducerIdentity txn = verifier == null ? null : TxnVerifications.transactionalProducer(batches);
      if (txn == null) {
        return write(batches, acks, epoch, -1, null);
      }
      TxnVerifications.Guard guard = verifications.guard(transactionalId, txn.producerId(), txn.producerEpoch(),
          verifier);
      return guard.answer.compose(v -> onContext(() -> write(batches, acks, epoch, txn.producerId(), guard)));
    });
  }

  /** The append of {@link #append}, on the context; {@code guard} (or null) must still hold for the producer. */
  private Future<AppendResult> write(ByteBuffer batches, Acks acks, int epoch, long producerId,
      TxnVerifications.Guard guard) {
    int bytes = batches.remaining();
    boolean replicated = settings.replicas().size() > 1 && !batches.isDirect();
    ByteBuf[] copy = new ByteBuf[1]; // set on the storage pool, released here once the append is credited
    return tasks.write(() -> {
      if (guard != null && !verifications.holds(producerId, guard)) {
        throw new SluiceException(ErrorCode.INVALID_TXN_STATE, "The transaction of producer " + producerId
            + " on " + tp + " ended while its batch was verified: the batch is late");
      }
      if (!replicated) {
        return appendAsLeader(batches, epoch);
      }
      copy[0] = AppendCopy.of(batches);
      return appendAsLeader(copy[0].nioBuffer(), epoch);
    }).transform(written -> { // one stage per append, on every produce's path: credit, release, then acks
      try {
        if (written.failed()) {
          return Future.failedFuture(written.cause());
        }
        appendCopy = copy[0];
        try {
          onAppended(written.result(), bytes);
        } finally {
          appendCopy = null;
        }
      } finally {
        if (copy[0] != null) {
          copy[0].release();
        }
      }
      return acks == Acks.ALL ? committed(written.result(), epoch) : Future.succeededFuture(written.result());
    });
  }

  /**
   * {@code r} once every in-sync replica has it. The append may have started before this replica stopped leading or
   * started a new epoch: waiting for commit is sound only within the epoch that wrote the batches.
   */
  private Future<AppendResult> committed(AppendResult r, int epoch) {
    return role == Role.LEADER && settings.leaderEpoch() == epoch ? leader.awaitCommit(r.logEndOffset()).map(r)
        : Future.failedFuture(new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Partition " + tp
            + ": leadership at epoch " + epoch + " ended while the batches were appended"));
  }

  /**
   * Appends a transaction's COMMIT or ABORT marker as the leader, serialised with every other write, and completes
   * once every in-sync replica has it (acks=all: a coordinator counts a transaction ended only once its markers are
   * committed). The same leadership and ISR rules as {@link #append}. Any thread.
   */
  public Future<AppendResult> appendTxnMarker(long producerId, short producerEpoch, int coordinatorEpoch,
      boolean commit) {
    return onContext(() -> {
      Settings s = settings;
      if (closing || role != Role.LEADER) {
        return Future.failedFuture(new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker "
            + replication.brokerId() + " does not lead partition " + tp));
      }
      if (s.isrSize() < s.minInsyncReplicas()) {
        return Future.failedFuture(leader.notEnoughReplicas());
      }
      int epoch = s.leaderEpoch();
      return tasks.write(() -> {
        requireLeaderAt(epoch);
        epochs.assign(epoch, log.logEndOffset());
        AppendResult written = log.appendTxnMarker(producerId, producerEpoch, coordinatorEpoch, commit, epoch);
        verifications.ended(producerId); // not for a refused marker (a zombie coordinator's): nothing ended
        return written;
      }).compose(r -> {
        onAppended(r, r.written().remaining());
        return role == Role.LEADER && settings.leaderEpoch() == epoch ? leader.awaitCommit(r.logEndOffset()).map(r)
            : Future.failedFuture(new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Partition " + tp
                + ": leadership at epoch " + epoch + " ended while the marker was appended"));
      });
    });
  }

  /**
   * The producers this partition remembers, as its leader (Kafka's DescribeProducers answers NOT_LEADER_OR_FOLLOWER
   * elsewhere), read in turn with the writes, which own that state. Any thread.
   */
  public Future<java.util.List<io.sluice.api.ProducerState>> describeProducers() {
    return onContext(() -> {
      if (closing || role != Role.LEADER) {
        return Future.failedFuture(new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker "
            + replication.brokerId() + " does not lead partition " + tp));
      }
      return tasks.write(() -> log.describeProducers());
    });
  }

  /** The first offset of the oldest ongoing transaction, or {@link Long#MAX_VALUE}. Any thread. */
  public long firstUnstableOffset() {
    PartitionLog l = log;
    return l == null ? Long.MAX_VALUE : l.firstUnstableOffset();
  }

  /**
   * Kafka's last stable offset: the high watermark, or the first offset of an older ongoing transaction. The high
   * watermark is read first: a transaction's first batch is recorded as it is written, before the high watermark can
   * pass it, so the order never lets the high watermark cover a batch whose transaction is not yet seen.
   */
  public long lastStableOffset() {
    long hw = highWatermark();
    return Math.min(hw, firstUnstableOffset());
  }

  private void requireLeaderAt(int leaderEpoch) {
    if (role != Role.LEADER || settings.leaderEpoch() != leaderEpoch) {
      throw new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Partition " + tp + ": leadership at epoch "
          + leaderEpoch + " ended before the append");
    }
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
    appendsCompleted++;
    justAppended = result;
    try {
      keepForFollowers(result);
      if (!holdForNext(result)) {
        parked.credit(true, bytes);
      }
      leader.onAppended(result.logEndOffset(), bytes);
      recent.releaseTo(leader.highWatermark()); // a leader alone in the ISR commits on append
    } finally {
      justAppended = null;
      justAppendedRead = null;
      if (justAppendedForFollowers != null) {
        justAppendedForFollowers.release();
        justAppendedForFollowers = null;
      }
      if (justAppendedWithHeld != null) {
        justAppendedWithHeld.release();
        justAppendedWithHeld = null;
      }
      if (held != null && heldEnd != result.logEndOffset()) {
        releaseHeld(); // an earlier append's, answered with this one's or not at all (the waits read the log)
      }
    }
  }

  /** A replicated leader keeps the append's bytes for follower fetches that will arrive behind the log end. */
  private void keepForFollowers(AppendResult result) {
    ByteBuffer written = result.written();
    // not while closing: the close gave every kept append back, and the writes queued before it still complete
    if (role == Role.LEADER && !closing && written != null && recent.keeps() && settings.replicas().size() > 1) {
      recent.add(result.firstOffset(), result.logEndOffset(), justAppendedCopy(written));
    }
  }

  /**
   * Holds a leader's append back from the followers' waits it would wake when another append is already queued
   * behind it (the producer had several requests in flight): that append's completion, a few tens of microseconds
   * later, wakes them with both, so a follower fetches, and the two brokers hand a fetch and its answer between their
   * threads, once per two appends instead of once per append (each fetch costs some ten thread wake-ups over the
   * leader and its follower, the follower's storage task among them). Only once in a row, so an answer waits for at
   * most one more write; if that write fails, its completion wakes the waits all the same (they read the log).
   */
  private boolean holdForNext(AppendResult result) {
    ByteBuffer written = result.written();
    if (held != null || role != Role.LEADER || written == null || !tasks.writesQueued()
        || settings.replicas().size() <= 1) {
      return false;
    }
    held = copyForFollowers(written);
    heldFirst = result.firstOffset();
    heldEnd = result.logEndOffset();
    long end = heldEnd;
    tasks.writesDone().onComplete(ar -> {
      if (held != null && heldEnd == end) {
        releaseHeld();
        parked.credit(true, 1); // the writes behind it did not complete an append: the waits read the log
      }
    });
    return true;
  }

  private void releaseHeld() {
    held.release();
    held = null;
  }

  /**
   * A consumer's read at {@code offset} answered from {@link #justAppended}'s bytes, or null unless they are exactly
   * what the log would answer: the read starts where the append started, the whole append fits in {@code maxBytes}
   * (else the log answers fewer batches), it is small enough to copy here, and the high watermark covers it all
   * (never an uncommitted record: the bytes end at the append's log end, which the high watermark must have reached).
   * Saves the woken poll a storage task and its two thread hand-offs, a large part of the end-to-end tail.
   */
  private ReadResult readJustAppended(long offset, int maxBytes) {
    AppendResult r = justAppended;
    ByteBuffer written = r.written();
    if (written == null || offset != r.firstOffset() || written.remaining() > Math.min(maxBytes, SMALL_READ_BYTES)
        || leader.highWatermark() < r.logEndOffset()) {
      return null;
    }
    if (justAppendedRead == null) {
      // a copy: the producer may reuse its buffer once the append is acknowledged, and the answer is laid out later
      byte[] copy = new byte[written.remaining()];
      written.duplicate().get(copy);
      justAppendedRead = ReadResult.inMemory(offset, copy, r.logEndOffset(), log.logStartOffset(), r.logEndOffset());
    }
    return justAppendedRead;
  }

  private void failFollowerFetches() {
    parked.failFollowerFetches(() -> new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker "
        + replication.brokerId() + " no longer leads partition " + tp));
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
      ReplicaFetchResponse refusal = leader.checkFollowerFetch(request, !closing && role == Role.LEADER, epochs,
          log.logStartOffset());
      if (refusal != null) {
        return Future.succeededFuture(refusal);
      }
      leader.onFollowerFetch(request.followerId(), request.brokerEpoch(), request.fetchOffset(),
          request.logStartOffset());
      long offset = request.fetchOffset();
      // A follower caught up waits here for the next append without touching the log: checked and parked on this
      // context, where appends are credited, so no append slips between the check and the wait.
      // So does one at the start of a held append (holdForNext): the next append answers it with both.
      Future<Void> ready = (offset >= localLogEnd || held != null && offset == heldFirst) && !closing
          && request.maxWaitMs() > 0 ? parked.awaitAppend(request.maxWaitMs()) : Future.succeededFuture();
      return ready.compose(v -> readForFollower(offset, request.maxBytes()))
          .map(records -> ReplicaFetchResponse.records(s.leaderEpoch(), leader.highWatermark(), log.logStartOffset(),
              records))
          // retention may move the log start between the check above and the read
          .recover(t -> t instanceof OffsetOutOfRangeException && request.fetchOffset() < log.logStartOffset()
              ? Future.succeededFuture(leader.belowLogStart(request, log.logStartOffset()))
              : Future.failedFuture(t));
    });
  }

  /**
   * Batches from {@code offset} to the log end, read and copied in one storage task; none without a task when there
   * are none yet (the wait ran out) or the partition is closing (the follower fetches again and learns why).
   */
  private Future<Buffer> readForFollower(long offset, int maxBytes) {
    long limit = localLogEnd;
    if (offset >= limit || closing) {
      return Future.succeededFuture(Buffer.buffer());
    }
    FollowerFetchCache counts = replication.fetchCache();
    Buffer fromAppend = followerReadOfJustAppended(offset, maxBytes, limit);
    if (fromAppend != null) {
      counts.answeredFromAppend();
      return Future.succeededFuture(fromAppend);
    }
    ByteBuf kept = offset >= log.logStartOffset() ? recent.read(offset, maxBytes) : null;
    if (kept != null) {
      counts.answeredFromRecent();
      return Future.succeededFuture(BufferInternal.buffer(kept));
    }
    counts.answeredFromStorage();
    return tasks.read(() -> readDirect(log.read(offset, maxBytes, limit)));
  }

  /**
   * A follower's read of the log into a direct buffer of netty's pool, which the answer's writer releases: the link
   * writes it behind the answer's header as it is. A heap read cost the JDK's read into a direct buffer of its own and a
   * copy out of it, a fresh zeroed array, and one more copy into the link's frame (about 40 % of follower fetches find
   * the log already past them and read it: 75-100 KB of the storage pool's allocation per 1,000 records at RF 3).
   */
  static Buffer readDirect(ReadResult read) {
    int length = read.length();
    if (length == 0) {
      return Buffer.buffer();
    }
    ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(length, length);
    try {
      read.readInto(direct.nioBuffer(0, length));
      return BufferInternal.buffer(direct.writerIndex(length));
    } catch (RuntimeException e) {
      direct.release();
      throw e;
    }
  }

  /**
   * A caught-up follower's fetch woken by {@link #justAppended} (it runs inside {@link #onAppended}, through the
   * parked wait's completion), answered from that append's bytes, or null unless they are exactly what the read of
   * the log would answer: the fetch starts where the append started, the append ends the log and all of it fits in
   * {@code maxBytes}. Saves each replicated batch a storage task (two thread hand-offs on the acks=all produce's way,
   * each a wait for a CPU on a loaded machine) and its read of the segment.
   */
  private Buffer followerReadOfJustAppended(long offset, int maxBytes, long limit) {
    AppendResult r = justAppended;
    ByteBuffer written = r == null ? null : r.written();
    if (written == null || r.logEndOffset() != limit) {
      return null;
    }
    if (offset == r.firstOffset() && written.remaining() <= maxBytes) {
      return BufferInternal.buffer(justAppendedCopy(written).retainedDuplicate());
    }
    if (justAppendedWithHeld == null && held != null && heldEnd == r.firstOffset()) {
      // the held append's bytes and this one's, contiguous in the log: one answer, gathered by the link's writev
      justAppendedWithHeld = PooledByteBufAllocator.DEFAULT.compositeDirectBuffer(2)
          .addComponents(true, held, justAppendedCopy(written).retainedDuplicate());
      justAppendedWithHeldFirst = heldFirst;
      held = null;
    }
    if (justAppendedWithHeld == null || offset != justAppendedWithHeldFirst
        || justAppendedWithHeld.readableBytes() > maxBytes) {
      return null;
    }
    return BufferInternal.buffer(justAppendedWithHeld.retainedDuplicate());
  }

  /**
   * {@link #justAppended}'s bytes in direct memory of their own, once (the producer's buffer is valid only until the
   * append completes, the answers are written later): the append's copy the log wrote, else a copy. Direct, so the link
   * writes it as it is, behind each answer's header ({@code ReplicationServer.frame}), with no copy per follower.
   */
  private ByteBuf justAppendedCopy(ByteBuffer written) {
    if (justAppendedForFollowers == null) {
      justAppendedForFollowers = copyForFollowers(written);
    }
    return justAppendedForFollowers;
  }

  /** An append's written bytes in direct memory, a reference of its own: the append's copy, or a copy made here. */
  private ByteBuf copyForFollowers(ByteBuffer written) {
    ByteBuf shared = AppendCopy.written(appendCopy, written);
    return shared != null ? shared : AppendCopy.of(written);
  }

  // ---------------------------------------------------------------- follower (FollowerLog, on this context)

  @Override
  public long logEndOffset() {
    return localLogEnd;
  }

  @Override
  public long logStartOffset() {
    return log.logStartOffset();
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
  public Future<Void> appendFromLeader(long fetchOffset, Buffer records, long leaderHighWatermark) {
    if (role != Role.FOLLOWER || closing) {
      return Future.succeededFuture();
    }
    int bytes = records.length();
    if (bytes == 0) {
      // The leader vouched for our log up to fetchOffset only; batches that landed since may be another leader's.
      if (fetchOffset == localLogEnd) {
        leader.raiseHighWatermark(leaderHighWatermark);
      }
      return Future.succeededFuture();
    }
    ByteBuf[] direct = new ByteBuf[1]; // set on the storage pool, released here once the append is handled
    return tasks.write(() -> {
      if (role != Role.FOLLOWER || log.logEndOffset() != fetchOffset) {
        return null;
      }
      ByteBuf frame = ((BufferInternal) records).getByteBuf();
      if (frame.isDirect() && frame.nioBufferCount() == 1) {
        // a replica link's frame, direct already; the fetcher releases it once this append is handled
        return appendCopied(frame.nioBuffer());
      }
      direct[0] = directCopy(records);
      return appendCopied(direct[0].nioBuffer());
    }).map(r -> {
      if (r == null) {
        LOG.log(Level.DEBUG, "Partition " + tp + ": dropped a leader's answer to a fetch at " + fetchOffset
            + " that an earlier write or a change of role overtook");
        return null;
      }
      onAppended(r, bytes); // the last reader of the append's bytes (r.written())
      leader.raiseHighWatermark(leaderHighWatermark);
      return (Void) null;
    }).andThen(done -> {
      if (direct[0] != null) {
        direct[0].release();
      }
    });
  }

  /**
   * The reply's records in one direct buffer of netty's pool, copied once (on the storage pool), for replies that are
   * not one direct buffer already (the event bus's; a replica link's frame is written as it is). The segment's
   * FileChannel writes direct memory as it is, but copies a heap buffer into a direct one of its own first, and a
   * composite of several reads would be gathered into a fresh, zeroed heap array before that (async-profiler,
   * thirteenth session). The caller releases it.
   */
  static ByteBuf directCopy(Buffer records) {
    ByteBuf src = ((BufferInternal) records).getByteBuf();
    int length = src.readableBytes();
    return PooledByteBufAllocator.DEFAULT.directBuffer(length, length).writeBytes(src, src.readerIndex(), length);
  }

  /**
   * On the storage pool. A batch's epoch is recorded before the batch lands, so a crash never leaves batches of an
   * epoch the cache lacks, and taken back when the log refuses the batches, so the cache never names an epoch the log
   * lacks: a follower's next fetch carries its last epoch, and a wrong one hides a divergence from the leader (FaultsIT:
   * a follower kept an old leader's uncommitted records below the high watermark and, elected, lost acknowledged ones).
   */
  private AppendResult appendCopied(ByteBuffer buf) {
    epochs.assignFromBatches(buf);
    try {
      return log.appendAsFollower(buf);
    } catch (RuntimeException e) {
      epochs.truncateFromEnd(log.logEndOffset());
      throw e;
    }
  }

  @Override
  public Future<Void> truncateTo(long offset) {
    recent.clear(); // a leader never truncates, but no kept append may outlive a truncation
    return tasks.write(() -> {
      long end = log.truncateTo(offset);
      epochs.truncateFromEnd(end);
      return end;
    }).map(end -> {
      localLogEnd = end;
      leader.onTruncated(end);
      return null;
    });
  }

  @Override
  public Future<Void> truncateFullyAndStartAt(long offset) {
    recent.clear(); // a leader never truncates, but no kept append may outlive a truncation
    return tasks.write(() -> {
      epochs.clear(); // first: a crash before the log is emptied leaves a log without epochs, never wrong ones
      return log.truncateFullyAndStartAt(offset);
    }).map(start -> {
      localLogEnd = start;
      leader.onRestartedAt(start);
      return null;
    });
  }

  @Override
  public Future<Void> followLogStart(long leaderLogStart) {
    if (role != Role.FOLLOWER || closing || leaderLogStart <= log.logStartOffset()) {
      return Future.succeededFuture();
    }
    return tasks.write(() -> {
      // Below the leader's log start everything is committed (it deletes only below its high watermark), so this
      // log holds the same records there: deleting them never drops one the leader still has.
      long target = Math.min(leaderLogStart, log.logEndOffset());
      if (role == Role.FOLLOWER && target > log.logStartOffset()) {
        log.deleteRecordsBefore(target);
      }
      return null;
    });
  }

  // ---------------------------------------------------------------- deleting records (Kafka's DeleteRecords)

  /**
   * Deletes every record below {@code offset} ({@link #DELETE_TO_HIGH_WATERMARK}: below the high watermark) as the
   * leader: the log start moves there (checkpointed; whole segments below it go) and the answer waits for the
   * in-sync followers to follow ({@link LeaderBookkeeping#awaitLowWatermark}), completing with the low watermark.
   * Refused past the high watermark (OFFSET_OUT_OF_RANGE): uncommitted records may yet be truncated away, and
   * consumers cannot see them. An offset at or below the log start deletes nothing. Any thread.
   */
  public Future<Long> deleteRecords(long offset) {
    return onContext(() -> readableAsLeader().compose(v -> {
      long hw = leader.highWatermark();
      long target = offset == DELETE_TO_HIGH_WATERMARK ? hw : offset;
      if (target < 0 || target > hw) {
        return Future.failedFuture(new OffsetOutOfRangeException("Cannot delete the records of " + tp + " before"
            + " offset " + offset + ": it must be between 0 and the high watermark " + hw + " (-1: the high"
            + " watermark)"));
      }
      return tasks.write(() -> {
        log.deleteRecordsBefore(target);
        return log.logStartOffset();
      }).compose(start -> leader.awaitLowWatermark(target, start));
    }));
  }

  // ---------------------------------------------------------------- consumers' reads

  /**
   * Reads committed batches at {@code offset}; if fewer than {@code minBytes} are there, waits up to
   * {@code maxWaitMs} for appends to bring them. Completes with what is there then, possibly nothing. Any thread.
   */
  public Future<ReadResult> fetch(long offset, int maxBytes, int minBytes, long maxWaitMs) {
    return fetch(offset, maxBytes, minBytes, maxWaitMs, false);
  }

  /** As {@link #fetch(long, int, int, long)}; a read_committed one reads up to the last stable offset. */
  public Future<ReadResult> fetch(long offset, int maxBytes, int minBytes, long maxWaitMs, boolean readCommitted) {
    long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, maxWaitMs));
    return onContext(() -> readableAsLeader().compose(v -> readCommitted
        ? fetchStable(offset, maxBytes, minBytes, deadlineNanos)
        : fetchOnContext(offset, maxBytes, minBytes, false, deadlineNanos)));
  }

  /**
   * A read_committed read: up to the last stable offset, waiting (long poll) for commits that move it. Only these
   * reads pay for transactions; a read_uncommitted one takes the path above unchanged.
   */
  private Future<ReadResult> fetchStable(long offset, int maxBytes, int minBytes, long deadlineNanos) {
    long hwBefore = leader.highWatermark();
    long stable = lastStableOffset();
    long start = log.logStartOffset();
    Future<ReadResult> read = offset == stable && offset >= start
        ? Future.succeededFuture(ReadResult.inMemory(offset, NOTHING, offset, start, localLogEnd))
        : tasks.read(() -> log.read(offset, maxBytes, stable).inMemoryIfAtMost(SMALL_READ_BYTES));
    return read.compose(r -> {
      long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
      if (closing || remainingMs <= 0 || r.length() >= Math.min(minBytes, maxBytes)) {
        return Future.succeededFuture(r);
      }
      if (leader.highWatermark() != hwBefore) {
        return fetchStable(offset, maxBytes, minBytes, deadlineNanos); // a commit while we read: look again
      }
      return parked.awaitCommit(remainingMs).compose(v -> fetchStable(offset, maxBytes, minBytes, deadlineNanos));
    });
  }

  /** The aborted transactions overlapping offsets {@code [from, upTo)}, oldest first. Any thread. */
  public List<AbortedTransaction> abortedTransactions(long from, long upTo) {
    PartitionLog l = log;
    return l == null ? List.of() : l.abortedTransactions(from, upTo);
  }

  /**
   * As {@link #fetch}, answered by this replica whether it leads or follows (a consumer's {@code client.rack} read,
   * KIP-392). A follower reads up to the high watermark its leader last told it, which trails the leader's and never
   * passes it, so a consumer never sees a record the leader has not acknowledged. It refuses, as Kafka's follower
   * does, when it cannot answer: NOT_LEADER_OR_FOLLOWER when fenced or closing, LEADER_NOT_AVAILABLE while its broker
   * cannot vouch for its ZooKeeper session, OFFSET_OUT_OF_RANGE past its log end. Any thread.
   */
  public Future<ReadResult> fetchAsReplica(long offset, int maxBytes, int minBytes, long maxWaitMs) {
    long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, maxWaitMs));
    return onContext(() -> (role == Role.LEADER ? readableAsLeader() : readableAsFollower())
        .compose(v -> fetchOnContext(offset, maxBytes, minBytes, false, deadlineNanos)));
  }

  /** Whether this replica follows (open, not fenced, not closing). Any thread. */
  public boolean isFollower() {
    return role == Role.FOLLOWER && !closing;
  }

  private Future<Void> readableAsFollower() {
    if (role != Role.FOLLOWER || closing) {
      return Future.failedFuture(new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker "
          + replication.brokerId() + " does not follow partition " + tp + " (" + role.name().toLowerCase(
          java.util.Locale.ROOT) + ")"));
    }
    if (!replication.sessionTrusted().getAsBoolean()) {
      return Future.failedFuture(new SluiceException(ErrorCode.LEADER_NOT_AVAILABLE, "Broker "
          + replication.brokerId() + " cannot vouch for its ZooKeeper session, so its follower of " + tp
          + " answers no read; read from the leader"));
    }
    return Future.succeededFuture();
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
    if (!leader.highWatermarkCoversEpochStart()) {
      return Future.failedFuture(new SluiceException(ErrorCode.LEADER_NOT_AVAILABLE, "Partition " + tp
          + ": broker " + replication.brokerId() + " leads at epoch " + settings.leaderEpoch()
          + " but its high watermark " + leader.highWatermark() + " has not yet reached the epoch's start offset "
          + leader.leaderEpochStartOffset() + "; retry"));
    }
    return Future.succeededFuture();
  }

  private Future<ReadResult> fetchOnContext(long offset, int maxBytes, int minBytes, boolean toLogEnd,
      long deadlineNanos) {
    long appendsBefore = appendsCompleted;
    long hwBefore = leader.highWatermark();
    return readUnlessCaughtUp(offset, maxBytes, toLogEnd).compose(r -> {
      long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
      if (closing || remainingMs <= 0 || r.length() >= Math.min(minBytes, maxBytes)) {
        return Future.succeededFuture(r);
      }
      if (appendsCompleted != appendsBefore || leader.highWatermark() != hwBefore) {
        // An append or commit happened while we read: the read may have missed it, so look again.
        return fetchOnContext(offset, maxBytes, minBytes, toLogEnd, deadlineNanos);
      }
      return parked.park(offset, maxBytes, minBytes, toLogEnd, r.length(), remainingMs);
    });
  }

  /** The log start offset, the high watermark and the last stable offset. Any thread. */
  public Future<OffsetRange> offsets() {
    return onContext(() -> readableAsLeader()
        .compose(v -> tasks.read(() -> {
          long hw = leader.highWatermark();
          return new OffsetRange(log.logStartOffset(), hw, Math.min(hw, log.firstUnstableOffset()));
        })));
  }

  /** The first committed offset whose timestamp is at or after {@code timestampMs}. Any thread. */
  public Future<OptionalLong> offsetForTimestamp(long timestampMs) {
    return onContext(() -> {
      long hw = leader.highWatermark();
      return tasks.read(() -> {
        OptionalLong found = log.offsetForTimestamp(timestampMs);
        return found.isPresent() && found.getAsLong() >= hw ? OptionalLong.empty() : found;
      });
    });
  }

  private void enforceRetention() {
    if (closing) {
      return;
    }
    long committed = leader.highWatermark(); // retention removes committed records only, as in Kafka
    tasks.write(() -> log.enforceRetention(System.currentTimeMillis(), committed)).onComplete(deleted -> {
      if (deleted > 0) {
        LOG.log(Level.INFO, "Partition " + tp + ": retention deleted " + deleted + " segment(s)");
      }
    }, t -> LOG.log(Level.ERROR, "Partition " + tp + ": retention failed", t));
    tasks.write(() -> log.expireProducers(System.currentTimeMillis())).onComplete(expired -> {
      if (expired > 0) {
        LOG.log(Level.INFO, "Partition " + tp + ": forgot " + expired + " idle producer id(s)");
      }
    }, t -> LOG.log(Level.ERROR, "Partition " + tp + ": producer id expiry failed", t));
    if (logConfig.compact()) { // cleanup.policy=compact: the cleaner runs in the write chain, on the same timer
      tasks.write(() -> log.compact(System.currentTimeMillis(), committed))
          .onFailure(t -> LOG.log(Level.ERROR, "Partition " + tp + ": compaction failed", t));
    }
  }

  /**
   * Reads for a consumer. A small answer (a caught-up reader's tail) is copied into memory in the same storage task,
   * so the HTTP layer lays it out on its event loop instead of handing the file region to a worker: on a loaded
   * machine each worker hand-off is a wait for a CPU, and the two of them were most of the end-to-end tail.
   */
  private Future<ReadResult> read(long offset, int maxBytes, boolean toLogEnd) {
    long limit = toLogEnd ? localLogEnd : leader.highWatermark();
    return tasks.read(() -> log.read(offset, maxBytes, limit).inMemoryIfAtMost(SMALL_READ_BYTES));
  }

  /**
   * A consumer at the high watermark has nothing to read, which this context knows without a storage task: a caught
   * up long poll parks at once, and an empty poll answers at once. Anywhere else, a read of the log.
   */
  private Future<ReadResult> readUnlessCaughtUp(long offset, int maxBytes, boolean toLogEnd) {
    long start = log.logStartOffset();
    if (!toLogEnd && offset == leader.highWatermark() && offset >= start) {
      return Future.succeededFuture(ReadResult.inMemory(offset, NOTHING, offset, start, localLogEnd));
    }
    return read(offset, maxBytes, toLogEnd);
  }

  private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> action) {
    return Contexts.onContext(context, action);
  }

  /** Runs {@code action} on the partition's context: for tests that call context-confined methods. */
  <T> Future<T> onOwnContext(java.util.function.Supplier<Future<T>> action) {
    return onContext(action);
  }
}
