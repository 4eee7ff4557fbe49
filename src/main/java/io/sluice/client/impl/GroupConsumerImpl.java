package io.sluice.client.impl;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.sluice.client.CloseOptions;
import io.sluice.client.ConsumerOptions;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.GroupConsumer;
import io.sluice.client.OffsetCommit;
import io.sluice.client.StartPosition;
import io.sluice.client.TopicPartition;
import io.sluice.client.impl.ConsumerInstanceApi.Section;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@link GroupConsumer} over the REST v2 consumer instance API ({@link ConsumerInstanceApi}).
 *
 * <p><b>Serial server operations.</b> Polls and seeks move the broker's position of the instance, and a poll that
 * returns after a seek overwrites it; so they run one at a time, chained on {@link #serial}, on the client's
 * context. Each seek (and each resume that moves a position back) bumps the partition's seek epoch at once, and so
 * does a revocation; a poll snapshots the epochs when it is chained, and its records of a partition whose epoch moved
 * since are dropped.
 *
 * <p><b>Two polls ahead.</b> After a poll that brought records the next one is sent at once ({@link #maybePollAhead}),
 * up to {@link #AHEAD} beyond the one the stream is handing out, so the broker reads while the client decodes and the
 * application takes the records. Nothing is committed or remembered of a record until it is handed out, so a
 * committed offset never passes a record the application was not given; a poll ahead is not sent while the positions
 * are suspect (below), one that finds them suspect when its turn comes sends nothing, and its records of a partition
 * sought or revoked meanwhile are dropped.
 *
 * <p><b>Hand-out.</b> A poll's records pass {@link #handOut} when they are emitted, which may be on the
 * subscriber's thread (when demand arrives there): it reads only concurrent maps and volatile fields. It drops
 * records of partitions no longer owned, of stale epochs and after close, holds back paused ones (remembering the
 * first), and records the last offset handed out per partition for commits.
 *
 * <p><b>Failover without duplicates or gaps.</b> The broker keeps the instance's positions at the group's
 * coordinator, and they can move without the client seeing records: a poll whose answer was lost (the broker that
 * took it died, or the coordinator moved while it was there) moved them past records never handed out, and a
 * coordinator that died took them along (its successor starts each partition at the group's commit). So the client
 * keeps its own {@code resumeAt} per partition ({@link Progress}): the offset after the last record handed out, or
 * the last seek. A poll that fails in any way marks the positions suspect, and before the next poll
 * {@link #reposition} sets every partition the broker says the instance owns back to its {@code resumeAt}, or, for a partition the client has
 * handed nothing out of, to the group's commit (else the {@code auto.offset.reset} edge). A record below its
 * partition's {@code resumeAt} (a re-read after the coordinator restarted at the commit) is never handed out again,
 * and also triggers a reposition so the rest is not read twice.
 */
final class GroupConsumerImpl implements GroupConsumer {
  private static final Logger LOG = Logger.getLogger(GroupConsumerImpl.class.getName());
  private static final long MAX_BACKOFF_MS = 1_000;
  /** Marks a paused partition of which nothing was held back yet. */
  private static final long NONE_HELD = -1;
  /**
   * Polls sent ahead of the one being handed out. Two: with one, the next poll left only after the previous answer
   * was read and decoded, so the broker idled while the client decoded and the client waited while the broker read.
   */
  static final int AHEAD = 2;

  private final Context context;
  private final Vertx vertx;
  private final ConsumerOptions options;
  private final ConsumerInstanceApi api;
  private final AtomicBoolean subscribed = new AtomicBoolean();
  private final AtomicLong pollRequests = new AtomicLong();
  private final Map<TopicPartition, Long> committed = new ConcurrentHashMap<>();
  private final Map<TopicPartition, Long> pausedAt = new ConcurrentHashMap<>();
  private final Map<TopicPartition, Integer> seekEpochs = new ConcurrentHashMap<>();
  /** What the application was handed of each partition and where its next record is ({@link Progress}). */
  private final Map<TopicPartition, Progress> progress = new ConcurrentHashMap<>();
  private final Object handoutLock = new Object();
  /**
   * Bumped under {@code handoutLock} by whatever changes a hand-out's checks (assignment, seek, pause, resume).
   * Volatile: {@link #handOut}'s fast path reads it without the lock.
   */
  private volatile long changes;
  private volatile Set<TopicPartition> assignment = Set.of();
  /**
   * The member id and generation {@link #assignment} belongs to, from the poll answer that brought it (null before
   * one, or from a broker that does not say): commits and {@link #groupMetadata} name it so that the group refuses
   * them once it rebalanced without this consumer seeing it. Written on the client's context with the assignment.
   */
  private volatile ConsumerInstanceApi.Membership membership;
  private volatile boolean closed;
  // Context-only state.
  private Future<Void> serial = Future.succeededFuture();
  /** Polls sent ahead ({@link #maybePollAhead}), oldest first, to be the stream's next; at most {@link #AHEAD}. */
  private final ArrayDeque<Future<Batch>> ahead = new ArrayDeque<>(AHEAD);
  private Future<Void> commits = Future.succeededFuture();
  /** Whether the last poll that completed brought records: then polls go ahead ({@link #maybePollAhead}). */
  private boolean flowing;
  /** Whether the broker's positions may differ from {@link Progress#resumeAt} (see the class comment). */
  private boolean repositionNeeded;
  private Future<Void> created;
  private Future<Void> closing;
  private long lastCommitMs;
  private int failures;
  private final RetryLog retryLog;
  private final MemberLiveness liveness;
  /** The stream's requests for a poll ({@link #pollOnce}): with the records handed out, the application's activity. */
  private long streamPolls;
  /** Left the group after max.poll.interval.ms without a request ({@link #leave}), until the next request. */
  private boolean pollTimeoutLeft;

  /** One poll's records, a {@link Section} per partition, and the seek epochs they were polled under. */
  private record Batch(List<Section> sections, Map<TopicPartition, Integer> epochs, boolean end) {
    /** A {@link Run} per section, made when the stream takes the poll (not per record). */
    List<Run> runs() {
      List<Run> out = new ArrayList<>(sections.size());
      for (Section s : sections) {
        out.add(new Run(s.partition(), epochs.getOrDefault(s.partition(), 0), s.records()));
      }
      return out;
    }
  }

  /**
   * One partition's hand-out state, changed in place under {@code handoutLock} (a record handed out costs one field
   * write, not two map entries and a position object); volatile for readers on the client's context. The offset after
   * the last record handed out is {@code delivered + 1}, not a field of its own: each volatile write is a fence on
   * the event loop, for every record.
   */
  private static final class Progress {
    /**
     * Written by {@link #handOut}'s fast path with a release store: readers on other threads (commits, a reposition)
     * may see it a moment late, which only commits less; a volatile write per record was a fence on the event loop.
     */
    private static final VarHandle DELIVERED;

    static {
      try {
        DELIVERED = MethodHandles.lookup().findVarHandle(Progress.class, "delivered", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    /** The last offset handed out since the partition was assigned, or {@link #NONE}. */
    volatile long delivered = NONE;
    /** The last seek, while no record was handed out after it. */
    volatile StartPosition seek;

    static final long NONE = -1;

    /** Where the application's next record is: the last seek, else after the last record handed out, else null. */
    StartPosition resumeAt() {
      StartPosition at = seek;
      if (at != null) {
        return at;
      }
      long last = delivered;
      return last == NONE ? null : StartPosition.offset(last + 1);
    }

    /** Whether {@code offset} lies before the application's position: handed out before, or skipped by a seek. */
    boolean before(long offset) {
      StartPosition at = seek;
      if (at != null) {
        return at instanceof StartPosition.Offset o && offset < o.offset();
      }
      return offset <= delivered; // NONE is -1: no offset lies before it
    }
  }

  private Progress progress(TopicPartition tp) {
    Progress p = progress.get(tp);
    return p != null ? p : progress.computeIfAbsent(tp, k -> new Progress());
  }

  /**
   * One partition's consecutive records in a poll: the partition, its seek epoch when the poll was chained, and what
   * {@link #handOut} found of it at {@link #changes} {@code checkedAt} (owned, same epoch, not paused; its
   * {@link Progress}), so the partition's map lookups are made again only after something changed, not per record.
   */
  private static final class Run {
    final TopicPartition tp;
    final int epoch;
    final Iterable<ConsumerRecord> records;
    long checkedAt = -1;
    Progress progress;

    Run(TopicPartition tp, int epoch, Iterable<ConsumerRecord> records) {
      this.tp = tp;
      this.epoch = epoch;
      this.records = records;
    }
  }

  GroupConsumerImpl(ClientImpl client, ConsumerOptions options) {
    this.context = client.context();
    this.vertx = client.vertx();
    this.retryLog = new RetryLog(LOG, "Consumer of group '" + options.group() + "'",
        () -> System.nanoTime() / 1_000_000);
    this.options = options;
    this.api = new ConsumerInstanceApi(client.vertx(), client.transport(), client.metadata(),
        client.requestTimeoutMs());
    this.liveness = new MemberLiveness(vertx, new Liveness(), options.heartbeatIntervalMs(),
        options.maxPollIntervalMs(), System::nanoTime);
  }

  @Override
  public Multi<ConsumerRecord> records() {
    return Multi.createFrom().deferred(() -> {
      if (!subscribed.compareAndSet(false, true)) {
        return Multi.createFrom().failure(new IllegalStateException("records() of a group consumer can be "
            + "subscribed only once"));
      }
      return Multi.createBy().repeating()
          .uni(() -> Unis.onContext(context, this::pollOnce))
          .until(Batch::end)
          .onItem().transformToIterable(Batch::runs)
          // Each run's records straight from the decoded list, the hand-out deciding at emission with the run at hand.
          .onItem().transformToMultiAndConcatenate(run -> Multi.createFrom().iterable(run.records)
              .select().where(r -> handOut(run, r)))
          // A stream that ended will ask for no record again: no heartbeat holds its partitions past its session.
          .onTermination().invoke(() -> context.runOnContext(v -> liveness.stop()));
    });
  }

  /** The stream's next poll: the one sent ahead if there is one, else a new one. */
  private Future<Batch> pollOnce() {
    streamPolls++;
    pollTimeoutLeft = false;
    Future<Batch> next = ahead.poll();
    if (next != null) {
      // Refill the queue: a poll ahead that completed before the stream took it sent none after it (the queue was
      // full then), and one still in flight while the records are flowing is followed by the next at once.
      topUp();
      return next;
    }
    if (closed) {
      return Future.succeededFuture(new Batch(List.of(), Map.of(), true));
    }
    return poll(false);
  }

  /**
   * Chains a poll on {@link #serial}. The seek epochs are taken now, when the poll is chained: a seek from now on
   * chains its request after this poll, so this poll's records of that partition come from the old position and must
   * be dropped (taken when the poll starts, a seek in between would let them through).
   */
  private Future<Batch> poll(boolean sentAhead) {
    Map<TopicPartition, Integer> epochs = Map.copyOf(seekEpochs);
    Future<Batch> polled = serial.transform(ar -> ensureCreated())
        .compose(v -> maybeAutoCommit())
        .compose(v -> {
          if (sentAhead && repositionNeeded) {
            // A poll before this one failed or re-read: the reposition waits for a poll the stream asks for once
            // every record polled before is handed out (see the class comment); this one answers nothing.
            return Future.<Batch>succeededFuture(new Batch(List.of(), Map.of(), false));
          }
          return (repositionNeeded ? reposition() : Future.<Void>succeededFuture()).compose(r -> send(epochs));
        })
        .recover(this::retryLater);
    serial = polled.transform(ar -> Future.succeededFuture());
    polled.onSuccess(this::maybePollAhead);
    return polled;
  }

  /** One poll request; its answer updates the assignment and flags a re-read for a reposition. */
  private Future<Batch> send(Map<TopicPartition, Integer> epochs) {
    pollRequests.incrementAndGet();
    return api.poll(options.fetchMaxWaitMs(), options.fetchMaxBytes())
        .compose(answer -> (answer.assignment() != null
            ? Future.succeededFuture(new ConsumerInstanceApi.Assigned(answer.assignment(), answer.membership()))
            : api.assigned()).map(assigned -> {
          updateAssignment(assigned.partitions());
          membership = assigned.membership();
          failures = 0;
          retryLog.succeeded();
          Batch batch = new Batch(answer.sections(), epochs, false);
          repositionNeeded |= rereads(batch);
          return batch;
        }))
        .onFailure(t -> repositionNeeded = true); // the broker may have moved positions past lost records
  }

  /**
   * Sends the next poll while the application takes this one's records, so the broker reads the next records
   * meanwhile instead of idling: only after a poll that brought records, at most {@link #AHEAD} ahead, and never while
   * the broker's positions are suspect ({@link #reposition} must see every record of this poll handed out first). Safe
   * because nothing is committed or remembered until {@link #handOut}; the records of the poll ahead of a partition
   * sought or revoked meanwhile are dropped by its epoch.
   */
  private void maybePollAhead(Batch batch) {
    flowing = !batch.sections().isEmpty() && !batch.end();
    topUp();
  }

  private void topUp() {
    if (flowing && !repositionNeeded && !closed && ahead.size() < AHEAD) {
      ahead.add(poll(true));
    }
  }

  /** Whether the batch brings records the application already had: the broker's positions went back. */
  private boolean rereads(Batch batch) {
    for (Section s : batch.sections()) {
      // A section's records come in offset order: its first is its lowest.
      TopicPartition tp = s.partition();
      Progress p = progress.get(tp);
      if (seekEpochs.getOrDefault(tp, 0).equals(batch.epochs().getOrDefault(tp, 0))
          && p != null && p.before(s.first())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Sets the broker's position of every partition it says the instance owns to {@link Progress#resumeAt}, or to the
   * group's commit (else the reset edge) where the client handed nothing out. The assignment read rejoins an
   * instance that a new coordinator restored; one that owns nothing (evicted) is moved nowhere: its next poll joins
   * and starts at the commits, and {@link #rereads} brings the consumer back here.
   */
  private Future<Void> reposition() {
    return api.assignment().compose(owned -> {
      Map<TopicPartition, StartPosition> moves = new HashMap<>();
      Set<TopicPartition> fromCommit = new HashSet<>();
      for (TopicPartition tp : owned) {
        Progress p = progress.get(tp);
        StartPosition at = p == null ? null : p.resumeAt();
        if (at != null) {
          moves.put(tp, at);
        } else {
          fromCommit.add(tp);
        }
      }
      Future<Void> commitsRead = fromCommit.isEmpty() ? Future.succeededFuture()
          : api.committed(fromCommit).map(commits -> {
            for (TopicPartition tp : fromCommit) {
              OffsetCommit last = commits.get(tp);
              moves.put(tp, last != null ? StartPosition.offset(last.lastProcessed() + 1)
                  : options.fromEarliest() ? StartPosition.beginning() : StartPosition.end());
            }
            return null;
          });
      return commitsRead.compose(v -> api.reposition(moves));
    }).<Void>map(v -> {
      repositionNeeded = false;
      return null;
    }).recover(t -> Future.failedFuture(ErrorCodes.codeOf(t) == ErrorCode.CONSUMER_STATE_CONFLICT
        // The instance's partitions changed between reading and moving them: read them again after a backoff.
        ? new SluiceException(ErrorCode.REBALANCE_IN_PROGRESS, "Partitions moved while repositioning: " + t) : t));
  }

  private Future<Void> ensureCreated() {
    if (created == null || created.failed()) {
      created = api.create(options);
      liveness.start();
    }
    return created;
  }

  /** What {@link MemberLiveness} keeps alive; on the client's context. */
  private final class Liveness implements MemberLiveness.Member {
    @Override
    public long activity() {
      long sum = streamPolls;
      for (Progress p : progress.values()) {
        sum += p.delivered; // moves with every record handed out, at no cost to the hand-out
      }
      return sum;
    }

    @Override
    public long pollRequests() {
      return pollRequests.get();
    }

    @Override
    public boolean joined() {
      ConsumerInstanceApi.Membership m = membership;
      return !closed && created != null && created.succeeded() && m != null && m.memberId() != null;
    }

    @Override
    public Future<Void> heartbeat() {
      return api.heartbeat();
    }

    @Override
    public void rejoin() {
      // After the polls in flight, whose answers carry older assignments; reading the assignment rejoins the member.
      Future<Void> rejoined = serial.transform(ar -> closed || !api.created() ? Future.succeededFuture()
          : api.assigned().map(assigned -> {
            updateAssignment(assigned.partitions());
            if (assigned.membership() != null) {
              membership = assigned.membership(); // no member id: evicted; the next poll joins, heartbeats wait
            }
            return (Void) null;
          }));
      serial = rejoined.transform(ar -> Future.succeededFuture());
      rejoined.onFailure(t -> LOG.log(Level.FINE, "Rejoin after a heartbeat failed; the next poll rejoins", t));
    }

    @Override
    public void leave() {
      leaveAfterPollTimeout();
    }
  }

  /**
   * Leaves the group after max.poll.interval.ms without a request: the instance is deleted (a dynamic member leaves at
   * once, a static one keeps its place for its session timeout, as Kafka's), its partitions are revoked, and the
   * next request creates a new instance that joins, starting at the group's commits.
   */
  private void leaveAfterPollTimeout() {
    Future<Void> left = serial.transform(ar -> {
      if (closed || created == null || membership == null) {
        return Future.succeededFuture();
      }
      pollTimeoutLeft = true;
      Future<Void> deleted = api.delete(CloseOptions.GroupMembershipOperation.DEFAULT);
      api.forget(); // the delete was sent with the old path; whatever comes next creates a new instance
      created = null;
      membership = null;
      flowing = false;
      repositionNeeded = false;
      updateAssignment(Set.of());
      return deleted.recover(t -> {
        LOG.log(Level.FINE, "Leaving the group after the poll timeout failed; the instance expires", t);
        return Future.succeededFuture();
      });
    });
    serial = left.transform(ar -> Future.succeededFuture());
  }

  /** An explicit commit between {@link #leaveAfterPollTimeout} and the next request: Kafka's CommitFailedException. */
  private Future<Void> refusedAfterPollTimeout() {
    return Future.failedFuture(new io.sluice.client.CommitFailedException(ErrorCode.UNKNOWN_MEMBER_ID, "Not committed:"
        + " this consumer left group '" + options.group() + "' after max.poll.interval.ms (" + options.maxPollIntervalMs()
        + " ms) without a request for records; its next request rejoins", null));
  }

  /** A retriable failure becomes an empty poll after a backoff; anything else fails the stream. */
  private Future<Batch> retryLater(Throwable t) {
    if (!ErrorCodes.retriable(t) || closed) {
      return closed ? Future.succeededFuture(new Batch(List.of(), Map.of(), true)) : Future.failedFuture(t);
    }
    failures++;
    long waitMs = Math.min(MAX_BACKOFF_MS, 50L << Math.min(failures, 10));
    retryLog.retrying(t, waitMs);
    Promise<Batch> later = Promise.promise();
    vertx.setTimer(waitMs, id -> later.complete(new Batch(List.of(), Map.of(), false)));
    return later.future();
  }

  /** Compares the broker's assignment with the last one and tells the listener what changed. */
  private void updateAssignment(Set<TopicPartition> owned) {
    Set<TopicPartition> old = assignment;
    if (old.equals(owned)) {
      return;
    }
    Set<TopicPartition> revoked = new HashSet<>(old);
    revoked.removeAll(owned);
    Set<TopicPartition> added = new HashSet<>(owned);
    added.removeAll(old);
    synchronized (handoutLock) {
      assignment = Set.copyOf(owned);
      changes++;
      for (TopicPartition tp : revoked) {
        // A partition that comes back later starts from the group's commit, not from what this member saw: records
        // of it polled before (the poll ahead's, or the rest of a poll being handed out) are never handed out, even
        // once it is owned again, or a record handed out after them would commit past the ones dropped meanwhile.
        seekEpochs.merge(tp, 1, Integer::sum);
        progress.remove(tp);
        committed.remove(tp);
        pausedAt.remove(tp);
      }
    }
    if (!revoked.isEmpty()) {
      callListener(() -> options.rebalanceListener().onPartitionsRevoked(Set.copyOf(revoked)));
    }
    if (!added.isEmpty()) {
      callListener(() -> options.rebalanceListener().onPartitionsAssigned(Set.copyOf(added)));
    }
  }

  private static void callListener(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "Rebalance listener failed", e);
    }
  }

  private Future<Void> maybeAutoCommit() {
    long now = System.currentTimeMillis();
    if (!options.enableAutoCommit() || now - lastCommitMs < options.autoCommitIntervalMs()) {
      return Future.succeededFuture();
    }
    lastCommitMs = now;
    return commitDelivered(false).recover(t -> {
      LOG.log(Level.FINE, "Auto-commit failed; the next one retries", t);
      return Future.succeededFuture();
    });
  }

  /**
   * Commits the last record handed out of every owned partition that moved since its last commit; {@code explicit}
   * (the application's {@link #commit()}) fails if the group took one of them away, as Kafka's commitSync does.
   */
  private Future<Void> commitDelivered(boolean explicit) {
    return commitOffsets(() -> {
      Map<TopicPartition, OffsetCommit> due = new HashMap<>();
      for (TopicPartition tp : assignment) {
        Progress p = progress.get(tp);
        long last = p == null ? Progress.NONE : p.delivered;
        Long done = committed.get(tp);
        if (last != Progress.NONE && (done == null || last > done)) {
          due.put(tp, OffsetCommit.of(last));
        }
      }
      return due;
    }, null, explicit);
  }

  /**
   * Commits one at a time, in call order: a commit resent after a lost answer must not land after a later one and
   * move the group's offset back. {@code offsets} is evaluated when the commit's turn comes.
   */
  private Future<Void> commitOffsets(Supplier<Map<TopicPartition, OffsetCommit>> offsets,
      ConsumerInstanceApi.Membership fenceAtCall, boolean explicit) {
    Future<Void> commit = commits.transform(ar -> {
      Map<TopicPartition, OffsetCommit> lastProcessed = offsets.get();
      if (lastProcessed.isEmpty() || !api.created()) {
        return Future.succeededFuture();
      }
      // Fenced by the membership the offsets were read under: the call's, or for the delivered offsets (taken now, of
      // the assignment now) the current one.
      ConsumerInstanceApi.Membership fence = fenceAtCall != null ? fenceAtCall : membership;
      return api.commit(lastProcessed, fence).map(v -> lastProcessed)
          .recover(t -> refused(t, lastProcessed, explicit))
          .<Void>map(done -> {
            done.forEach((tp, c) -> committed.put(tp, c.lastProcessed()));
            return null;
          });
    });
    commits = commit.transform(ar -> Future.succeededFuture());
    return commit;
  }

  /**
   * A commit the group refused. ILLEGAL_GENERATION: the group rebalanced since this consumer's last poll, so its
   * offsets may be of partitions another member owns now (Kafka's CommitFailedException; the next poll takes the new
   * assignment). UNKNOWN_MEMBER_ID: see {@link #commitAfterRejoin}.
   */
  private Future<Map<TopicPartition, OffsetCommit>> refused(Throwable t, Map<TopicPartition, OffsetCommit> lastProcessed,
      boolean explicit) {
    ErrorCode code = ErrorCodes.codeOf(t);
    if (code == ErrorCode.UNKNOWN_MEMBER_ID) {
      return commitAfterRejoin(lastProcessed, explicit);
    }
    if (code == ErrorCode.ILLEGAL_GENERATION) {
      return Future.failedFuture(new io.sluice.client.CommitFailedException(code, "Not committed: group '"
          + options.group() + "' rebalanced since this consumer last polled (" + t.getMessage() + "); its next poll"
          + " takes the new assignment", t));
    }
    return Future.failedFuture(t);
  }

  /**
   * After UNKNOWN_MEMBER_ID: the group's coordinator moved since the last poll and the instance's membership died
   * with the old one, or the member was evicted (it did not poll within its session timeout) and its instance joined
   * again as a new member. Reading the assignment rejoins the restored instance; the commit is then resent, as the
   * member now, for the partitions it still owns (the others' next owner starts at the group's older commit: at least
   * once). An explicit commit of a partition it lost fails whole (Kafka's CommitFailedException): the zombie's offsets
   * never overwrite the new owner's.
   */
  private Future<Map<TopicPartition, OffsetCommit>> commitAfterRejoin(Map<TopicPartition, OffsetCommit> lastProcessed,
      boolean explicit) {
    return api.assigned().compose(assigned -> {
      Set<TopicPartition> owned = assigned.partitions();
      Map<TopicPartition, OffsetCommit> stillOwned = new HashMap<>(lastProcessed);
      stillOwned.keySet().retainAll(owned);
      if (explicit && stillOwned.size() < lastProcessed.size()) {
        // The application asked for these commits: failing them all (Kafka's CommitFailedException) tells it so.
        Set<TopicPartition> lost = new java.util.TreeSet<>(java.util.Comparator.comparing(TopicPartition::toString));
        lost.addAll(lastProcessed.keySet());
        lost.removeAll(owned);
        return Future.failedFuture(new io.sluice.client.CommitFailedException(ErrorCode.UNKNOWN_MEMBER_ID,
            "Not committed: this consumer lost its membership of group '" + options.group() + "' and no longer owns "
            + lost, null));
      }
      return stillOwned.isEmpty() ? Future.succeededFuture(stillOwned)
          : api.commit(stillOwned, assigned.membership()).map(v -> stillOwned);
    });
  }

  @Override
  public Uni<Void> commit() {
    return Unis.onContext(context, () -> pollTimeoutLeft ? refusedAfterPollTimeout() : commitDelivered(true));
  }

  @Override
  public Uni<Void> commit(Map<TopicPartition, Long> lastProcessed) {
    Map<TopicPartition, OffsetCommit> commits = new HashMap<>();
    lastProcessed.forEach((tp, last) -> commits.put(tp, OffsetCommit.of(last)));
    return commitWithMetadata(commits);
  }

  @Override
  public Uni<Void> commitWithMetadata(Map<TopicPartition, OffsetCommit> commits) {
    Map<TopicPartition, OffsetCommit> copy = Map.copyOf(commits);
    return Unis.onContext(context, () -> pollTimeoutLeft ? refusedAfterPollTimeout() : created == null || closed
        // It was answered done and dropped: the instance that commits is made by the first poll.
        ? Future.failedFuture(new IllegalStateException("The consumer has not joined its group"
            + (closed ? ": it is closed" : ": subscribe to records() first")))
        : commitOffsets(() -> copy, membership, true));
  }

  @Override
  public io.sluice.client.GroupMetadata groupMetadata() {
    ConsumerInstanceApi.Membership m = membership;
    return m == null || m.memberId() == null ? io.sluice.client.GroupMetadata.of(options.group())
        : new io.sluice.client.GroupMetadata(options.group(), m.memberId(), m.generationId());
  }

  @Override
  public Uni<Map<TopicPartition, OffsetCommit>> committed(Set<TopicPartition> partitions) {
    Set<TopicPartition> copy = Set.copyOf(partitions);
    return Unis.onContext(context, () -> started().compose(v -> api.committed(copy)));
  }

  /** The instance, made now if {@link #records()} has not made it yet (reading commits needs no membership). */
  private Future<Void> started() {
    return closed ? Future.failedFuture(new IllegalStateException("The consumer is closed")) : ensureCreated();
  }

  @Override
  public Uni<Void> seek(TopicPartition partition, StartPosition position) {
    return Unis.onContext(context, () -> serialSeek(partition, position)
        .onSuccess(v -> pausedAt.replace(partition, NONE_HELD)));
  }

  /**
   * Moves the application's position at once (epoch and {@link Progress#seek}, so no record polled before is handed out
   * after), then the broker's after the operations before it (a poll in flight), before the polls after it. A failed
   * seek leaves the broker's position unknown: the next poll repositions first.
   */
  private Future<Void> serialSeek(TopicPartition partition, StartPosition position) {
    synchronized (handoutLock) {
      seekEpochs.merge(partition, 1, Integer::sum);
      progress(partition).seek = position;
      changes++;
    }
    Future<Void> seek = serial.transform(ar -> ensureCreated()).compose(v -> api.seek(partition, position))
        .recover(t -> ErrorCodes.codeOf(t) == ErrorCode.CONSUMER_STATE_CONFLICT
            ? seekAfterRejoin(partition, position, t) : Future.failedFuture(t))
        .onFailure(t -> repositionNeeded = true);
    serial = seek.transform(ar -> Future.succeededFuture());
    return seek;
  }

  /**
   * After CONSUMER_STATE_CONFLICT ("does not own"): a coordinator that took the group over since the last poll has
   * not rejoined the instance yet. Reading the assignment rejoins it; the seek is resent if the partition is owned.
   */
  private Future<Void> seekAfterRejoin(TopicPartition partition, StartPosition position, Throwable refused) {
    return api.assignment().compose(owned -> owned.contains(partition) ? api.seek(partition, position)
        : Future.failedFuture(refused));
  }

  @Override
  public void pause(Set<TopicPartition> partitions) {
    synchronized (handoutLock) {
      partitions.forEach(tp -> pausedAt.putIfAbsent(tp, NONE_HELD));
      changes++;
    }
  }

  @Override
  public Uni<Void> resume(Set<TopicPartition> partitions) {
    Set<TopicPartition> copy = Set.copyOf(partitions);
    return Unis.onContext(context, () -> {
      Future<Void> last = Future.succeededFuture();
      for (TopicPartition tp : copy) {
        // Nothing held back: the broker's position is the next record to hand out, so just stop holding back.
        if (pausedAt.remove(tp, NONE_HELD) || !pausedAt.containsKey(tp)) {
          continue;
        }
        long heldFrom = pausedAt.get(tp);
        last = serialSeek(tp, StartPosition.offset(heldFrom)).onSuccess(v -> pausedAt.remove(tp));
      }
      return last;
    });
  }

  @Override
  public Set<TopicPartition> paused() {
    return Set.copyOf(pausedAt.keySet());
  }

  @Override
  public Set<TopicPartition> assignment() {
    return assignment;
  }

  /** See {@link ClientImpl#consumerRequestUrl}; on the client's context. */
  URI requestUrl() {
    return api.requestUrl();
  }

  @Override
  public long pollRequests() {
    return pollRequests.get();
  }

  @Override
  public Uni<Void> close(CloseOptions closeOptions) {
    return Unis.onContext(context, () -> {
      if (closing == null) {
        synchronized (handoutLock) {
          closed = true;
        }
        liveness.stop();
        closing = serial.transform(ar -> options.enableAutoCommit() ? commitDelivered(false) : Future.succeededFuture())
            .transform(ar -> {
              if (ar.failed()) {
                LOG.log(Level.WARNING, "Commit on close failed", ar.cause());
              }
              Set<TopicPartition> owned = assignment;
              if (!owned.isEmpty()) {
                assignment = Set.of();
                callListener(() -> options.rebalanceListener().onPartitionsRevoked(owned));
              }
              return api.delete(closeOptions.groupMembershipOperation());
            });
      }
      return closing;
    });
  }

  /**
   * Decides at emission (when there is demand for the record) whether it is handed out; see the class comment.
   * Not in an iterator's hasNext: Mutiny asks that after each item to find the end, before there is demand.
   */
  private boolean handOut(Run run, ConsumerRecord r) {
    Progress checked = run.progress;
    if (run.checkedAt == changes && !closed && checked.seek == null) {
      // Fast path, without the lock (two CAS per record): nothing the run's checks read changed since they were made
      // (every such change bumps changes under the lock; a paused run's checkedAt is -1, never equal), not closed,
      // no seek to clear. It reads none of what a change changes, so a change made meanwhile orders after this
      // hand-out, as if it had waited for the lock: a seek leaves delivered beside its own position (resumeAt and
      // before() read the seek first), a revocation drops the Progress written here, a pause or close holds back
      // from the next record on.
      if (r.offset() <= checked.delivered) {
        return false; // handed out before: the broker's position went back (see the class comment)
      }
      Progress.DELIVERED.setRelease(checked, r.offset());
      return true;
    }
    synchronized (handoutLock) {
      if (closed) {
        return false;
      }
      if (run.checkedAt != changes) {
        TopicPartition tp = run.tp;
        if (!assignment.contains(tp) || seekEpochs.getOrDefault(tp, 0) != run.epoch) {
          return false;
        }
        run.progress = progress(tp);
        // A paused partition is looked up again at each record: the first held back is remembered below.
        run.checkedAt = pausedAt.containsKey(tp) ? -1 : changes;
      }
      Progress at = run.progress;
      if (at.before(r.offset())) {
        return false; // handed out before: the broker's position went back (see the class comment)
      }
      if (run.checkedAt == -1 && pausedAt.containsKey(run.tp)) {
        pausedAt.computeIfPresent(run.tp, (k, held) -> held == NONE_HELD ? r.offset() : held);
        return false;
      }
      at.delivered = r.offset();
      if (at.seek != null) {
        at.seek = null; // written only when set: an unneeded volatile write per record would cost a fence
      }
      return true;
    }
  }
}
