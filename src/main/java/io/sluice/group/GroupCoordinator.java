package io.sluice.group;

import io.sluice.api.RequestContext;

import io.sluice.api.CommittedOffset;

import io.sluice.api.BrokerService;
import io.sluice.api.OffsetCommit;
import io.sluice.api.TopicMetadata;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.TopicPartition;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The coordinator of every group whose {@link OffsetsTopic} partition this broker leads. It keeps each
 * {@link Group}'s membership and generation, the committed offsets, and the persisted consumer instance records,
 * rebuilt by reading a partition from its beginning when this broker becomes its leader, and dropped when the
 * leadership moves away ({@link PartitionOwnership}). Requests for a group whose partition is not loaded here fail
 * NOT_COORDINATOR ({@link #run(String, Supplier)}).
 *
 * <p>Threads: all state is confined to one event-loop context of its own. Callers on other threads go through
 * {@link #run}, which runs the action there (once loading is done) and completes on the caller's context. Methods
 * documented "on the coordinator context" must only be called from actions passed to {@link #run}.
 *
 * <p>Time comes from an injectable clock; sessions and subscribed topics' partition counts are checked every
 * {@link GroupConfig#sweepIntervalMs()} on a Vert.x timer, expired commits and groups ({@link OffsetExpiry}) every
 * {@link GroupConfig#offsetsRetentionCheckIntervalMs()}.
 */
public final class GroupCoordinator {
  private static final System.Logger LOG = System.getLogger(GroupCoordinator.class.getName());
  private static final String WORKER_POOL = "sluice-group";

  private final Vertx vertx;
  private final BrokerService service;
  private final GroupConfig cfg;
  private final LongSupplier clock;
  private final Context context;
  private final WorkerExecutor workers;
  private final OffsetsTopic offsetsTopic;
  private final JoinBarrier barrier;
  private final Map<String, Group> groups = new TreeMap<>();
  private final Map<String, Map<TopicPartition, CommittedOffset>> offsets = new HashMap<>();
  private final Map<String, Map<String, JsonObject>> instances = new TreeMap<>();
  private final PendingTxnOffsets pending = new PendingTxnOffsets(this, (id, producer, g) -> run(id,
      () -> this.transactions.verifyOffsets(id, producer, g)));
  /** Routes the end of a transaction's offsets to their group's coordinator (set by the wiring; local otherwise). */
  private TxnOffsetsCompleter txnOffsetsCompleter = (g, producer, commit) -> run(g, () -> completeTxnOffsets(g,
      producer, commit));
  private final Map<String, Future<Void>> rebalancing = new HashMap<>();
  /** Per group, the members whose static takeover could not be written (undone): their join answers the error. */
  private final Map<String, Map<String, SluiceException>> failedTakeovers = new HashMap<>();
  /** While a partition loads: each group's last record read, whose static members are restored once it is loaded. */
  private final Map<String, JsonObject> persistedGroups = new HashMap<>();
  /** Writes of each group's records in flight: {@link OffsetExpiry} leaves such a group for its next run. */
  private final Map<String, Integer> writing = new HashMap<>();
  private final OffsetExpiry expiry = new OffsetExpiry(this);
  /** The topics the last sweep listed (null before the first), to see deletions ({@link #noticeDeletedTopics}). */
  private Set<String> listedTopics;
  private final Set<String> deletedTopics = new HashSet<>();
  private GroupListener listener = GroupListener.NONE;
  private Future<Void> loaded;
  private PartitionOwnership ownership;
  private int brokerId = -1;
  private long sweepTimer = -1;
  private long expiryTimer = -1;
  private long transactionsTimer = -1;
  private TransactionCoordinator transactions;
  private long abortTimedOutIntervalMs = 10_000;
  private long removeExpiredIntervalMs = 3_600_000;
  private long expiredIdsTimer = -1;
  /** Leader epoch of each offsets topic partition as loaded here: the coordinator epoch of its transactions' markers. */
  private final Map<Integer, Integer> loadedEpochs = new HashMap<>();
  private boolean closed;

  public GroupCoordinator(Vertx vertx, BrokerService service, GroupConfig cfg, LongSupplier clockMs) {
    this.vertx = vertx;
    this.service = service;
    this.cfg = cfg;
    this.clock = clockMs;
    this.context = ((VertxInternal) vertx).createEventLoopContext();
    this.workers = vertx.createSharedWorkerExecutor(WORKER_POOL, 2);
    this.offsetsTopic = new OffsetsTopic(service, workers);
    this.barrier = new JoinBarrier(this);
    this.transactions = new TransactionCoordinator(new TransactionHost(), 900_000);
  }

  /**
   * Sets the transaction coordinator's limits and timers (Kafka's defaults otherwise: transaction.max.timeout.ms
   * 15 min, timed-out transactions aborted every 10 s, transactional ids idle 7 days removed every hour). Call before
   * {@link #start}.
   */
  public void transactionConfig(TransactionConfig c) {
    this.transactions = new TransactionCoordinator(new TransactionHost(), c.maxTimeoutMs(), c.idExpirationMs(),
        c.maxPartitions());
    this.abortTimedOutIntervalMs = c.abortTimedOutIntervalMs();
    this.removeExpiredIntervalMs = c.removeExpiredIntervalMs();
  }

  /** The transactions of the transactional ids this broker coordinates (on the coordinator context). */
  TransactionCoordinator transactions() {
    return transactions;
  }

  /** Sets the consumer layer's hooks; call before {@link #start}. */
  public void listener(GroupListener l) {
    this.listener = l;
  }

  /**
   * Makes this coordinator follow leadership of the offsets topic: it serves the groups of the partitions broker
   * {@code brokerId} leads (see {@link PartitionOwnership}) instead of every partition. Call before {@link #start}.
   */
  public void followLeadership(int brokerId) {
    this.brokerId = brokerId;
  }

  /**
   * Starts serving. Without {@link #followLeadership}: creates the offsets topic if needed and loads every partition.
   * With it: checks every {@value PartitionOwnership#CHECK_INTERVAL_MS} ms which partitions this broker leads, loading
   * and dropping their groups as leadership moves; the topic is created by the first request
   * ({@link #ensureOffsetsTopic}).
   */
  public Future<Void> start() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      ownership = new PartitionOwnership(this, offsetsTopic, brokerId);
      loaded = brokerId < 0 ? offsetsTopic.ensureCreated(cfg, service).compose(ownership::loadAll)
          : Future.succeededFuture();
      loaded.onSuccess(x -> {
        sweepTimer = vertx.setPeriodic(cfg.sweepIntervalMs(), id -> sweep());
        expiryTimer = vertx.setPeriodic(cfg.offsetsRetentionCheckIntervalMs(), id -> expireOffsets());
        transactionsTimer = vertx.setPeriodic(abortTimedOutIntervalMs, id -> transactions.abortTimedOut());
        expiredIdsTimer = vertx.setPeriodic(removeExpiredIntervalMs, id -> transactions.removeExpired());
        if (brokerId >= 0) {
          ownership.startFollowing();
        }
      }).onComplete(done);
    });
    return done.future();
  }

  /** Creates the offsets topic unless it exists (completes with its partition count); then looks for leadership. */
  public Future<Integer> ensureOffsetsTopic() {
    return run(() -> offsetsTopic.ensureCreated(cfg, service).onSuccess(n -> ownership.check()));
  }

  public Future<Void> close() {
    return this.<Void>run(() -> {
      closed = true;
      vertx.cancelTimer(sweepTimer);
      vertx.cancelTimer(expiryTimer);
      vertx.cancelTimer(transactionsTimer);
      vertx.cancelTimer(expiredIdsTimer);
      ownership.stop();
      return Future.succeededFuture();
    }).eventually(() -> workers.close());
  }

  /** Runs {@code action} on the coordinator context once loaded; the result completes on the caller's context. */
  public <T> Future<T> run(Supplier<Future<T>> action) {
    return runChecked(null, action);
  }

  /**
   * Like {@link #run}, for an action on group {@code groupId}: fails NOT_COORDINATOR (retriable) unless this broker
   * coordinates the group and has finished loading its partition.
   */
  public <T> Future<T> run(String groupId, Supplier<Future<T>> action) {
    return runChecked(groupId, action);
  }

  /**
   * Like {@link #run}, for a read of every group coordinated here (a listing): fails COORDINATOR_LOAD_IN_PROGRESS
   * (retriable) while a partition this broker leads is still loading, as Kafka's ListGroups does, rather than answer
   * without that partition's groups.
   */
  public <T> Future<T> runAllLoaded(Supplier<Future<T>> action) {
    return run(() -> ownership.requireAllLoaded().compose(v -> action.get()));
  }

  private <T> Future<T> runChecked(String groupId, Supplier<Future<T>> action) {
    Context caller = Vertx.currentContext();
    Promise<T> result = Promise.promise();
    context.runOnContext(v -> {
      Future<T> f = loaded == null ? Future.failedFuture(new SluiceException(ErrorCode.SERVICE_UNAVAILABLE,
          "The group coordinator is not started")) : loaded.compose(x -> {
            try {
              if (groupId != null) {
                ownership.requireCoordinating(groupId);
              }
              return action.get();
            } catch (RuntimeException e) {
              return Future.failedFuture(e);
            }
          });
      f.onComplete(ar -> {
        if (caller == null || caller == context) {
          result.handle(ar);
        } else {
          caller.runOnContext(x -> result.handle(ar));
        }
      });
    });
    return result.future();
  }

  /**
   * Stops following the offsets topic's leadership, keeping the partitions loaded: for tests, a zombie coordinator
   * (one whose partition moved without its noticing), whose writes and markers the partitions must refuse.
   */
  Future<Void> freezeOwnership() {
    return run(() -> {
      ownership.freeze();
      return Future.succeededFuture();
    });
  }

  /** On the coordinator context: whether this broker serves group {@code groupId} now. */
  public boolean coordinates(String groupId) {
    return ownership.coordinates(groupId);
  }

  /** The listener (the consumer layer), for {@link PartitionOwnership}. */
  GroupListener listener() {
    return listener;
  }

  Context context() {
    return context;
  }

  boolean closed() {
    return closed;
  }

  public long nowMs() {
    return clock.getAsLong();
  }

  public GroupConfig config() {
    return cfg;
  }

  public BrokerService service() {
    return service;
  }

  public WorkerExecutor workers() {
    return workers;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** The waiting joins and syncs of member-assigned groups. */
  JoinBarrier barrier() {
    return barrier;
  }

  /** On the coordinator context: the group, created (EMPTY) if unknown. */
  public Group group(String groupId) {
    return groups.computeIfAbsent(groupId, Group::new);
  }

  /** On the coordinator context. */
  public Optional<Group> existingGroup(String groupId) {
    return Optional.ofNullable(groups.get(groupId));
  }

  /** On the coordinator context: every group with members, commits or instances. */
  public Set<String> groupIds() {
    Set<String> ids = new TreeSet<>(groups.keySet());
    offsets.forEach((g, m) -> {
      if (!m.isEmpty()) {
        ids.add(g);
      }
    });
    ids.addAll(instances.keySet());
    return ids;
  }

  /** On the coordinator context: the group's committed offsets (a copy), sorted by topic and partition. */
  public Map<TopicPartition, CommittedOffset> committed(String groupId) {
    Map<TopicPartition, CommittedOffset> copy = new TreeMap<>(Assignments.ORDER);
    copy.putAll(offsets.getOrDefault(groupId, Map.of()));
    return copy;
  }

  /**
   * On the coordinator context: writes commits (each value the next offset to read) once the group accepts them
   * ({@link Group#checkCommit}), then makes them visible. Fails without writing on a stale generation.
   */
  public Future<Void> commit(String groupId, String memberId, int generation, Map<TopicPartition, Long> next,
      String metadata) {
    Map<TopicPartition, OffsetCommit> offsets = new java.util.LinkedHashMap<>();
    next.forEach((tp, o) -> offsets.put(tp, new OffsetCommit(o, metadata)));
    return commit(groupId, memberId, generation, offsets);
  }

  /** On the coordinator context: like {@link #commit(String, String, int, Map, String)}, a metadata per partition. */
  public Future<Void> commit(String groupId, String memberId, int generation, Map<TopicPartition, OffsetCommit> next) {
    group(groupId).checkCommit(memberId, generation);
    next.forEach((tp, o) -> checkMetadata(tp, o.metadata()));
    if (next.isEmpty()) {
      return Future.succeededFuture();
    }
    long now = nowMs();
    List<OffsetsTopic.Entry> entries = new ArrayList<>();
    next.forEach((tp, o) -> entries.add(OffsetsTopic.offsetEntry(groupId, tp,
        new CommittedOffset(o.nextOffset(), o.metadata(), now))));
    return write(groupId, entries).onSuccess(v -> entries.forEach(this::apply));
  }

  /** Completes a transaction's offsets at their group's coordinator, wherever it is. */
  @FunctionalInterface
  public interface TxnOffsetsCompleter {
    Future<Void> complete(String groupId, io.sluice.api.ProducerIdentity producer, boolean commit);
  }

  /**
   * Asks the transaction coordinator of a transactional id (wherever it is) whether a group's offsets may join the
   * producer's ongoing transaction: {@code TransactionService.verifyOffsets}.
   */
  @FunctionalInterface
  public interface TxnOffsetsVerifier {
    /** No question asked (transaction.partition.verification.enable off): Kafka's behaviour before KIP-890. */
    TxnOffsetsVerifier NONE = (id, producer, group) -> Future.succeededFuture();

    Future<Void> verify(String transactionalId, io.sluice.api.ProducerIdentity producer, String groupId);
  }

  /** Sets how the transaction coordinator reaches other brokers' groups; call before {@link #start}. */
  public void txnOffsetsCompleter(TxnOffsetsCompleter c) {
    this.txnOffsetsCompleter = c;
  }

  /**
   * Sets how a TxnOffsetCommit asks its transactional id's coordinator (wherever it is) whether the group is part of
   * the producer's ongoing transaction ({@link TxnOffsetsVerifier#NONE}: no question, verification off);
   * the local transaction coordinator otherwise. Call before {@link #start}.
   */
  public void txnOffsetsVerifier(TxnOffsetsVerifier v) {
    pending.verifier(v);
  }

  /**
   * On the coordinator context: writes offsets a transactional producer sends (Kafka's TxnOffsetCommit) as pending,
   * once its transaction coordinator says the group is part of its ongoing transaction ({@link PendingTxnOffsets}).
   */
  public Future<Void> txnCommit(String transactionalId, io.sluice.api.ProducerIdentity producer,
      io.sluice.api.TxnOffsets sent) {
    return pending.send(transactionalId, producer, sent);
  }

  /**
   * On the coordinator context: the transaction of {@code producer} ended; its pending offsets of the group become
   * commits, or go ({@link PendingTxnOffsets#complete}).
   */
  public Future<Void> completeTxnOffsets(String groupId, io.sluice.api.ProducerIdentity producer, boolean commit) {
    return pending.complete(groupId, producer, commit);
  }

  /** On the coordinator context: the partitions of {@code partitions} with offsets pending in a transaction. */
  public Set<TopicPartition> unstable(String groupId, java.util.Collection<TopicPartition> partitions) {
    return pending.unstable(groupId, partitions);
  }

  /** Refuses (before anything is written) a metadata string past {@code offset.metadata.max.bytes}, as Kafka does. */
  void checkMetadata(TopicPartition tp, String metadata) {
    if (metadata.length() <= cfg.maxOffsetMetadataBytes() / 3) {
      return; // at most three UTF-8 bytes per char: no need to encode it
    }
    int bytes = metadata.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    if (bytes > cfg.maxOffsetMetadataBytes()) {
      throw new SluiceException(ErrorCode.OFFSET_METADATA_TOO_LARGE, "The metadata of the commit of " + tp.topic()
          + "-" + tp.partition() + " is " + bytes + " bytes; offset.metadata.max.bytes is "
          + cfg.maxOffsetMetadataBytes() + " (nothing was committed)");
    }
  }

  /**
   * On the coordinator context: writes commits on behalf of members while their group prepares a rebalance,
   * before their partitions move (auto-commit on revocation); no generation check, the coordinator itself vouches.
   */
  public Future<Void> commitForRevocation(String groupId, Map<TopicPartition, Long> next) {
    if (next.isEmpty()) {
      return Future.succeededFuture();
    }
    long now = nowMs();
    List<OffsetsTopic.Entry> entries = new ArrayList<>();
    next.forEach((tp, o) -> entries.add(OffsetsTopic.offsetEntry(groupId, tp, new CommittedOffset(o, "", now))));
    return write(groupId, entries).onSuccess(v -> entries.forEach(this::apply));
  }

  /** On the coordinator context: writes a tombstone for each commit of {@code partitions}, then forgets them. */
  public Future<Void> deleteCommits(String groupId, List<TopicPartition> partitions) {
    if (partitions.isEmpty()) {
      return Future.succeededFuture();
    }
    List<OffsetsTopic.Entry> entries = new ArrayList<>();
    partitions.forEach(tp -> entries.add(OffsetsTopic.offsetEntry(groupId, tp, null)));
    return write(groupId, entries).onSuccess(v -> entries.forEach(this::apply));
  }

  /**
   * On the coordinator context: deletes the group (Kafka's DeleteGroups): writes a tombstone for each of its commits
   * and for its generation record, then forgets them, so neither a restart nor a new coordinator's load brings them
   * back. The caller has checked that the group has no members, instances or running rebalance.
   */
  public Future<Void> deleteGroup(String groupId) {
    List<OffsetsTopic.Entry> entries = new ArrayList<>();
    committed(groupId).keySet().forEach(tp -> entries.add(OffsetsTopic.offsetEntry(groupId, tp, null)));
    entries.add(OffsetsTopic.groupTombstone(groupId));
    return write(groupId, entries).onSuccess(v -> entries.forEach(this::apply));
  }

  /** On the coordinator context: appends records of one group, counted as in flight until answered. */
  Future<Void> write(String groupId, List<OffsetsTopic.Entry> entries) {
    return write(offsetsTopic.partitionFor(groupId), List.of(groupId), entries);
  }

  /** Like {@link #write(String, List)}, one batch for records of several groups of one partition. */
  private Future<Void> write(int partition, List<String> groupIds, List<OffsetsTopic.Entry> entries) {
    groupIds.forEach(id -> writing.merge(id, 1, Integer::sum));
    return appendTo(partition, entries).<Void>mapEmpty().onComplete(ar -> groupIds.forEach(id ->
        writing.computeIfPresent(id, (g, n) -> n == 1 ? null : n - 1)));
  }

  /**
   * On the coordinator context: appends {@code entries} as one batch to offsets topic partition {@code partition}, at
   * the leader epoch it is owned at (Kafka's coordinators write only the partitions they lead), so a coordinator whose
   * partition moved (it has not noticed yet: its check runs every {@value PartitionOwnership#CHECK_INTERVAL_MS} ms)
   * cannot write into the new leader's log behind the new coordinator's back. Such a write fails NOT_COORDINATOR
   * (retriable: the client finds the new coordinator) and the partition is dropped here at once.
   */
  Future<Long> appendTo(int partition, List<OffsetsTopic.Entry> entries) {
    int epoch;
    try {
      epoch = ownership.writeEpoch(partition);
    } catch (SluiceException e) {
      return Future.failedFuture(e);
    }
    return offsetsTopic.appendTo(partition, entries, epoch).recover(t -> {
      if (!(t instanceof SluiceException e) || e.errorCode() != ErrorCode.FENCED_LEADER_EPOCH
          && e.errorCode() != ErrorCode.UNKNOWN_LEADER_EPOCH) {
        return Future.failedFuture(t);
      }
      if (e.errorCode() == ErrorCode.FENCED_LEADER_EPOCH) {
        ownership.fenced(partition, epoch);
      }
      return Future.failedFuture(new SluiceException(ErrorCode.NOT_COORDINATOR, "Broker " + brokerId + " no longer"
          + " coordinates the groups of " + OffsetsTopic.NAME + "-" + partition + " (nothing was written): "
          + e.getMessage(), e));
    });
  }

  /**
   * On the coordinator context: whether the group is unsettled: records of it are being written, its rebalance is
   * running, or it is preparing one not started yet (what that will write is not known). Whoever writes records of
   * the group from its state in memory (offset expiry, the empty-group record) waits until it is settled: its record
   * could otherwise land after a deletion's tombstone, and a coordinator's load would bring the group back.
   */
  boolean busy(String groupId) {
    Group g = groups.get(groupId);
    return writing.containsKey(groupId) || rebalancing.containsKey(groupId)
        || g != null && g.state() == GroupState.PREPARING_REBALANCE;
  }

  /** On the coordinator context: whether the group has consumer instances (each counts as a member). */
  boolean hasInstances(String groupId) {
    return instances.containsKey(groupId);
  }

  /**
   * On the coordinator context: looks for expired commits and groups now ({@link OffsetExpiry}), as the periodic
   * check does; completes with the number of commits and groups removed once their tombstones are written.
   */
  Future<Integer> expireOffsets() {
    return run(expiry::run);
  }

  OffsetsTopic offsetsTopic() {
    return offsetsTopic;
  }

  /** Forgets an expired commit unless a newer commit of the partition replaced it meanwhile. */
  void forgetExpired(String groupId, TopicPartition tp, CommittedOffset expired) {
    Map<TopicPartition, CommittedOffset> m = offsets.get(groupId);
    if (m != null && m.remove(tp, expired) && m.isEmpty()) {
      offsets.remove(groupId);
    }
  }

  /** Forgets a group object that holds nothing (no members, commits, instances, record): no write needed. */
  void forgetIfHollow(String groupId) {
    Group g = groups.get(groupId);
    if (g != null && g.members().isEmpty() && !g.hadMembers() && g.generation() == 0 && !busy(groupId)) {
      groups.remove(groupId);
    }
  }

  /**
   * On the coordinator context, once {@link #rebalanceSettled}: fails with the error of the write of the member's
   * static takeover if it failed (and was undone), as Kafka answers the JoinGroup then; succeeds otherwise.
   */
  Future<Void> takeoverWritten(String groupId, String memberId) {
    Map<String, SluiceException> failed = failedTakeovers.get(groupId);
    SluiceException e = failed == null ? null : failed.remove(memberId);
    if (failed != null && failed.isEmpty()) {
      failedTakeovers.remove(groupId);
    }
    return e == null ? Future.succeededFuture() : Future.failedFuture(e);
  }

  /**
   * On the coordinator context: completes once no rebalance of the group is running or due (its record written). A
   * group the coordinator assigns that is preparing a rebalance not started yet has it run first; it fails if that
   * rebalance does. A member-assigned group's rebalance is its members' to drive: only a running write is waited for.
   */
  Future<Void> rebalanceSettled(String groupId) {
    Group g = groups.get(groupId);
    Future<Void> running = rebalancing.get(groupId);
    if (running == null && g != null && !g.isMemberAssigned() && g.state() == GroupState.PREPARING_REBALANCE) {
      return ensureRebalanced(g).compose(v -> rebalanceSettled(groupId));
    }
    return running == null ? Future.succeededFuture() : running.transform(ar -> rebalanceSettled(groupId));
  }

  /** On the coordinator context: the names of the group's consumer instances (persisted records). */
  public Set<String> instanceNames(String groupId) {
    return new TreeSet<>(instances.getOrDefault(groupId, Map.of()).keySet());
  }

  /** On the coordinator context: writes (or with null deletes) a consumer instance's record. */
  public Future<Void> persistInstance(String groupId, String name, JsonObject state) {
    OffsetsTopic.Entry e = OffsetsTopic.instanceEntry(groupId, name, state);
    return write(groupId, List.of(e)).onSuccess(v -> apply(e));
  }

  /** On the coordinator context: instance records read back at start, by group then name. */
  public Map<String, Map<String, JsonObject>> persistedInstances() {
    Map<String, Map<String, JsonObject>> copy = new TreeMap<>();
    instances.forEach((g, m) -> copy.put(g, new TreeMap<>(m)));
    return copy;
  }

  /**
   * On the coordinator context: completes once the group is no longer preparing a rebalance, running one if
   * needed. Concurrent callers share one rebalance; a change during it causes another.
   */
  public Future<Void> ensureRebalanced(Group g) {
    if (g.isMemberAssigned()) {
      // Its members' joins and the leader's sync move it on, not the coordinator.
      barrier.settle(g);
      return Future.succeededFuture();
    }
    if (g.state() != GroupState.PREPARING_REBALANCE) {
      return Future.succeededFuture();
    }
    Future<Void> running = rebalancing.get(g.groupId());
    if (running == null) {
      long started = nowMs();
      Promise<Void> done = Promise.promise();
      // Registered before the rebalance starts: it may complete at once, and must not be found finished later.
      rebalancing.put(g.groupId(), done.future());
      rebalance(g).onComplete(ar -> {
        rebalancing.remove(g.groupId(), done.future());
        if (ar.failed()) {
          LOG.log(Level.WARNING, "Rebalance of group " + g.groupId() + " failed: " + ar.cause());
        } else {
          LOG.log(Level.DEBUG, "Group " + g.groupId() + " rebalanced to generation " + g.generation() + " in "
              + (nowMs() - started) + " ms");
        }
        done.handle(ar);
      });
      running = done.future();
    }
    return running.compose(v -> ensureRebalanced(g));
  }

  /**
   * On the coordinator context: writes the group record after {@code replacement} took {@code replaced}'s static place
   * without a rebalance, as Kafka's coordinator stores the group then: a coordinator that loads the group must know
   * which member holds the id, so that the instance it replaced stays fenced. A failed write undoes the takeover (as
   * Kafka reverts it), and the replacement's join is answered the write's error ({@link #takeoverWritten}). Runs after a running rebalance; {@link #ensureRebalanced} and {@link #rebalanceSettled} wait
   * for it, so the group's records are written in the order its changes were made.
   */
  public void persistStaticReplacement(Group g, Member replacement, Member replaced) {
    String id = g.groupId();
    Future<Void> prior = rebalancing.get(id);
    Future<Void> after = prior == null ? Future.succeededFuture() : prior.transform(ar -> Future.succeededFuture());
    Future<Void> written = after.compose(v -> write(id, List.of(StaticMembers.groupEntry(g))));
    Future<Void> settled = written.transform(ar -> {
      if (ar.failed()) {
        LOG.log(Level.WARNING, "Group " + id + ": recording that " + replacement.memberId() + " replaced "
            + replaced.memberId() + " failed (undone; it rejoins): " + ar.cause());
        g.undoStaticReplacement(replacement, replaced);
        failedTakeovers.computeIfAbsent(id, k -> new HashMap<>()).put(replacement.memberId(),
            OffsetsTopic.storeGroupError(id, ar.cause()));
      }
      return Future.<Void>succeededFuture();
    });
    rebalancing.put(id, settled);
    settled.onComplete(ar -> rebalancing.remove(id, settled));
  }

  private Future<Void> rebalance(Group g) {
    return listener.beforeRebalance(g)
        .recover(t -> {
          LOG.log(Level.WARNING, "Auto-commit before the rebalance of group " + g.groupId() + " failed: " + t);
          return Future.succeededFuture();
        })
        .compose(v -> service.listTopics(RequestContext.SELF))
        .compose(topics -> partitionCounts(g, topics).map(counts -> {
          if (g.state() == GroupState.PREPARING_REBALANCE && !g.isMemberAssigned()) {
            Assignor assignor = Assignor.named(g.assignorName());
            var subscriptions = g.resolvedSubscriptions(topics);
            g.completeRebalance(assignor.assign(subscriptions, counts, g.assignment()), counts);
            listener.afterRebalance(g);
          }
          return null;
        }))
        .compose(v -> write(g.groupId(), List.of(StaticMembers.groupEntry(g))));
  }

  /** The partition count of every topic some member subscribes to and that exists. */
  private Future<Map<String, Integer>> partitionCounts(Group g, List<String> topics) {
    Set<String> subscribed = new TreeSet<>();
    g.resolvedSubscriptions(topics).values().forEach(subscribed::addAll);
    Map<String, Integer> counts = new TreeMap<>();
    List<Future<TopicMetadata>> described = new ArrayList<>();
    for (String t : subscribed) {
      described.add(service.describeTopic(RequestContext.SELF, t).onSuccess(m -> counts.put(t, m.partitionCount())));
    }
    return Future.join(described).transform(ar -> Future.succeededFuture(counts));
  }

  /** Expires members past their session, rebalances groups whose subscribed topics changed, expires instances. */
  private void sweep() {
    if (closed) {
      return;
    }
    long now = nowMs();
    for (Group g : new ArrayList<>(groups.values())) {
      boolean memberAssigned = g.isMemberAssigned();
      List<String> expired = g.expire(now);
      if (!expired.isEmpty()) {
        LOG.log(Level.INFO, "Group " + g.groupId() + ": member(s) " + expired + " missed their session timeout"
            + (memberAssigned ? " or the rebalance timeout" : ""));
      }
      if (memberAssigned) {
        barrier.settle(g); // the rebalance timeouts; its leader watches the topics
      } else if (!expired.isEmpty()) {
        ensureRebalanced(g);
      } else if (!g.members().isEmpty() && g.state() != GroupState.PREPARING_REBALANCE) {
        checkTopicsChanged(g);
      }
    }
    listener.sweep(now);
    markEmptyGroups(now);
    noticeDeletedTopics();
  }

  /**
   * Kafka deletes a deleted topic's commits with it: kept, a topic created again under the name would be read from
   * the old commits, skipping its first records (a sink connector wrote only the third of three, h-stale). A topic a
   * sweep saw and the next does not is deleted; its commits go in an expiry run at once ({@link OffsetExpiry}). A
   * name listed again (created again before the run) is no longer deleted: commits made since belong to the new
   * topic. A deletion and a re-creation both between two sweeps (under a second) are not seen: commits carry no topic
   * id here.
   */
  private void noticeDeletedTopics() {
    service.listTopics(RequestContext.SELF).onSuccess(listed -> {
      Set<String> now = new HashSet<>(listed);
      if (listedTopics != null) {
        listedTopics.stream().filter(t -> !now.contains(t)).forEach(deletedTopics::add);
      }
      deletedTopics.removeIf(now::contains);
      listedTopics = now;
      if (!deletedTopics.isEmpty()) {
        expireOffsets().onSuccess(n -> deletedTopics.removeIf(t -> !hasCommitsOf(t)));
      }
    });
  }

  /** Topics a sweep saw deleted whose commits are still here: an expiry run deletes them. */
  Set<String> deletedTopics() {
    return deletedTopics;
  }

  private boolean hasCommitsOf(String topic) {
    return offsets.values().stream().anyMatch(m -> m.keySet().stream().anyMatch(tp -> tp.topic().equals(topic)));
  }

  /**
   * Starts the retention of each group that had members and has none now (nor consumer instances, which count as
   * members), and writes when (Kafka's current state timestamp), so a restarted or new coordinator keeps it. Not for
   * a group that is {@link #busy}: its record could follow the tombstone of a deletion not yet acknowledged.
   */
  private void markEmptyGroups(long now) {
    // Batched per partition: after a load every group whose members did not come back is marked in one sweep.
    Map<Integer, List<Group>> byPartition = new TreeMap<>();
    for (Group g : groups.values()) {
      String id = g.groupId();
      if (g.hadMembers() && g.members().isEmpty() && g.emptySinceMs() < 0 && !instances.containsKey(id)
          && !busy(id)) {
        g.markEmptySince(now);
        byPartition.computeIfAbsent(offsetsTopic.partitionFor(id), p -> new ArrayList<>()).add(g);
      }
    }
    byPartition.forEach((p, marked) -> {
      for (int from = 0; from < marked.size(); from += OffsetExpiry.MAX_BATCH_ENTRIES) {
        List<Group> batch = marked.subList(from, Math.min(marked.size(), from + OffsetExpiry.MAX_BATCH_ENTRIES));
        write(p, batch.stream().map(Group::groupId).toList(), batch.stream().map(g -> OffsetsTopic.emptyGroupEntry(
            g.groupId(), g.generation(), g.assignorName(), now)).toList())
            .onFailure(t -> LOG.log(Level.WARNING, "Writing when " + batch.size() + " group(s) became empty failed"
                + " (a coordinator that loads them again starts their retention at its load): " + t));
      }
    });
  }

  private void checkTopicsChanged(Group g) {
    int generation = g.generation();
    service.listTopics(RequestContext.SELF).compose(topics -> partitionCounts(g, topics)).onSuccess(counts -> {
      if (g.generation() == generation && g.state() != GroupState.PREPARING_REBALANCE
          && !counts.equals(g.assignedFrom())) {
        LOG.log(Level.INFO, "Group " + g.groupId() + ": subscribed topics changed " + g.assignedFrom() + " -> "
            + counts + "; rebalancing");
        g.requestRebalance();
        ensureRebalanced(g);
      }
    });
  }

  /** On the coordinator context: forgets every group of offsets topic partition {@code partition} (leadership moved). */
  void dropPartition(int partition, int partitions) {
    java.util.function.Predicate<String> inPartition = g -> OffsetsTopic.partitionFor(g, partitions) == partition;
    barrier.dropGroups(inPartition);
    groups.keySet().removeIf(inPartition);
    offsets.keySet().removeIf(inPartition);
    instances.keySet().removeIf(inPartition);
    pending.drop(inPartition);
    rebalancing.keySet().removeIf(inPartition);
    failedTakeovers.keySet().removeIf(inPartition);
    transactions.drop(inPartition);
    loadedEpochs.remove(partition);
    persistedGroups.keySet().removeIf(inPartition);
  }

  /**
   * On the coordinator context: offsets topic partition {@code partition} is served here from now on, loaded as leader
   * epoch {@code leaderEpoch}: the ends of transactions it holds half done are completed.
   */
  void partitionServed(int partition, int partitions, int leaderEpoch) {
    loadedEpochs.put(partition, leaderEpoch);
    long now = nowMs();
    persistedGroups.forEach((id, record) -> {
      if (OffsetsTopic.partitionFor(id, partitions) == partition) {
        existingGroup(id).ifPresent(g -> restoreStaticMembers(g, record, now));
      }
    });
    persistedGroups.keySet().removeIf(id -> OffsetsTopic.partitionFor(id, partitions) == partition);
    transactions.partitionLoaded(id -> OffsetsTopic.partitionFor(id, partitions) == partition);
  }

  /**
   * A record the group cannot be restored from (a pattern saved before patterns were RE2) costs its static members
   * their place, as a coordinator move did before they were kept, never the load of the other groups.
   */
  private static void restoreStaticMembers(Group g, JsonObject record, long nowMs) {
    try {
      StaticMembers.restore(g, record, nowMs);
    } catch (IllegalArgumentException e) {
      LOG.log(Level.WARNING, "Static members of group " + g.groupId() + " not restored (they rejoin): " + e);
    }
  }

  /** The broker at the transaction coordinator's seams; every call on the coordinator context. */
  private final class TransactionHost implements TransactionCoordinator.Host {
    @Override
    public long nowMs() {
      return GroupCoordinator.this.nowMs();
    }

    @Override
    public Vertx vertx() {
      return vertx;
    }

    @Override
    public int brokerId() {
      return brokerId;
    }

    @Override
    public Future<Void> write(String transactionalId, OffsetsTopic.Entry entry) {
      return GroupCoordinator.this.write(transactionalId, List.of(entry));
    }

    @Override
    public Future<io.sluice.api.ProducerIdentity> newProducerId() {
      return service.initProducerId(RequestContext.SELF);
    }

    @Override
    public Future<Map<TopicPartition, ErrorCode>> writeMarkers(io.sluice.api.TxnMarker marker) {
      return service.writeTxnMarkers(RequestContext.SELF, marker);
    }

    @Override
    public int coordinatorEpoch(String transactionalId) {
      return loadedEpochs.getOrDefault(offsetsTopic.partitionFor(transactionalId), 0);
    }

    @Override
    public void fenced(String transactionalId) {
      int partition = offsetsTopic.partitionFor(transactionalId);
      ownership.fenced(partition, loadedEpochs.getOrDefault(partition, -1));
    }

    @Override
    public Future<Void> requireExisting(Set<TopicPartition> partitions) {
      return LocalGroupService.requireExisting(service, partitions);
    }

    @Override
    public Future<Void> completeTxnOffsets(String groupId, io.sluice.api.ProducerIdentity producer, boolean commit) {
      return txnOffsetsCompleter.complete(groupId, producer, commit);
    }
  }

  /**
   * A deleted group's tombstone: its state goes, so the group is no longer listed and a group of that name starts
   * again at generation 0, as in Kafka. Kept if members joined while the tombstone was written (a group under the
   * same name, recreated meanwhile: their generation record follows the tombstone in the log).
   */
  private void forgetGroup(String groupId) {
    Group g = groups.get(groupId);
    if (g != null && g.members().isEmpty() && !rebalancing.containsKey(groupId)) {
      groups.remove(groupId);
    }
  }

  /** Applies one record of the offsets topic (read back at load, or just written). */
  void apply(OffsetsTopic.Entry e) {
    String group = e.group();
    switch (e.kind()) {
      case "offset" -> {
        TopicPartition tp = new TopicPartition(e.key().getString(2), e.key().getInteger(3));
        Map<TopicPartition, CommittedOffset> m = offsets.computeIfAbsent(group, g -> new HashMap<>());
        if (e.value() == null) {
          m.remove(tp);
          if (m.isEmpty()) {
            offsets.remove(group);
          }
        } else {
          m.put(tp, new CommittedOffset(e.value().getLong("offset"), e.value().getString("metadata"),
              e.value().getLong("timestamp", 0L)));
        }
      }
      case "group" -> {
        if (e.value() != null) {
          Group g = group(group);
          g.restoreGeneration(e.value().getInteger("generation", 0));
          g.restoreEmptySince(e.value().getLong("empty_since", -1L));
          if (!loadedEpochs.containsKey(offsetsTopic.partitionFor(group))) {
            persistedGroups.put(group, e.value()); // the last record read wins; restored once the partition is loaded
          }
        } else {
          forgetGroup(group);
          persistedGroups.remove(group);
        }
      }
      case "instance" -> {
        Map<String, JsonObject> m = instances.computeIfAbsent(group, g -> new TreeMap<>());
        if (e.value() == null) {
          m.remove(e.key().getString(2));
          if (m.isEmpty()) {
            instances.remove(group);
          }
        } else {
          m.put(e.key().getString(2), e.value());
        }
      }
      case "txn" -> transactions.apply(e);
      case "txnoffset" -> pending.apply(e);
      case "load" -> {
        // a coordinator's load marker (see PartitionOwnership): nothing to apply
      }
      default -> LOG.log(Level.WARNING, "Unknown record kind in " + OffsetsTopic.NAME + ": " + e.key());
    }
  }
}
