package io.sluice.client.impl;

import io.sluice.client.ConsumerOptions;
import io.sluice.client.OffsetCommit;
import io.sluice.client.StartPosition;
import io.sluice.client.TopicPartition;
import io.sluice.client.impl.ConsumerInstanceApi.Section;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The group consumer's polls and seeks: what moves the broker's positions of the instance. Confined to the client's
 * context.
 *
 * <p><b>Serial server operations.</b> Polls and seeks move the broker's position of the instance, and a poll that
 * returns after a seek overwrites it; so they run one at a time, chained on {@link #serial}. Each seek (and each
 * resume that moves a position back) bumps the partition's seek epoch at once ({@link HandOut}), and so does a
 * revocation; a poll snapshots the epochs when it is chained, and its records of a partition whose epoch moved since
 * are dropped.
 *
 * <p><b>Two polls ahead.</b> After a poll that brought records the next one is sent at once ({@link #maybePollAhead}),
 * up to {@link #AHEAD} beyond the one the stream is handing out, so the broker reads while the client decodes and the
 * application takes the records. Nothing is committed or remembered of a record until it is handed out, so a
 * committed offset never passes a record the application was not given; a poll ahead is not sent while the positions
 * are suspect (below), one that finds them suspect when its turn comes sends nothing, and its records of a partition
 * sought or revoked meanwhile are dropped.
 *
 * <p><b>Failover without duplicates or gaps.</b> The broker keeps the instance's positions at the group's
 * coordinator, and they can move without the client seeing records: a poll whose answer was lost (the broker that
 * took it died, or the coordinator moved while it was there) moved them past records never handed out, and a
 * coordinator that died took them along (its successor starts each partition at the group's commit). So the client
 * keeps its own position per partition ({@link HandOut#resumeAt}): the offset after the last record handed out, or
 * the last seek. A poll that fails in any way marks the positions suspect, and before the next poll
 * {@link #reposition} sets every partition the broker says the instance owns back to it, or, for a partition the
 * client has handed nothing out of, to the group's commit (else the {@code auto.offset.reset} edge). A record below its
 * partition's position (a re-read after the coordinator restarted at the commit) is never handed out again, and also
 * triggers a reposition so the rest is not read twice.
 */
final class PollLoop {
  private static final Logger LOG = Logger.getLogger(PollLoop.class.getName());
  private static final long MAX_BACKOFF_MS = 1_000;
  /**
   * Polls sent ahead of the one being handed out. Two: with one, the next poll left only after the previous answer
   * was read and decoded, so the broker idled while the client decoded and the client waited while the broker read.
   */
  static final int AHEAD = 2;

  private final Vertx vertx;
  private final ConsumerOptions options;
  private final ConsumerInstanceApi api;
  private final HandOut handOut;
  private final GroupMembership membership;
  private final GroupCommits commits;
  private final SerialChain serial;
  private final RetryLog retryLog;
  private final AtomicLong pollRequests = new AtomicLong();
  /** Polls sent ahead ({@link #maybePollAhead}), oldest first, to be the stream's next; at most {@link #AHEAD}. */
  private final ArrayDeque<Future<Batch>> ahead = new ArrayDeque<>(AHEAD);
  /** Whether the last poll that completed brought records: then polls go ahead ({@link #maybePollAhead}). */
  private boolean flowing;
  /** Whether the broker's positions may differ from {@link HandOut#resumeAt} (see the class comment). */
  private boolean repositionNeeded;
  private int failures;
  /** The stream's requests for a poll ({@link #next}): with the records handed out, the application's activity. */
  private long streamPolls;

  /** One poll's records, a {@link Section} per partition, and the seek epochs they were polled under. */
  record Batch(List<Section> sections, Map<TopicPartition, Integer> epochs, boolean end) {
    static final Batch EMPTY = new Batch(List.of(), Map.of(), false);
    static final Batch END = new Batch(List.of(), Map.of(), true);

    /** A {@link HandOut.Run} per section, made when the stream takes the poll (not per record). */
    List<HandOut.Run> runs() {
      List<HandOut.Run> out = new ArrayList<>(sections.size());
      for (Section s : sections) {
        out.add(new HandOut.Run(s.partition(), epochs.getOrDefault(s.partition(), 0), s.records()));
      }
      return out;
    }
  }

  PollLoop(Vertx vertx, ConsumerOptions options, ConsumerInstanceApi api, HandOut handOut,
      GroupMembership membership, GroupCommits commits, SerialChain serial) {
    this.vertx = vertx;
    this.options = options;
    this.api = api;
    this.handOut = handOut;
    this.membership = membership;
    this.commits = commits;
    this.serial = serial;
    this.retryLog = new RetryLog(LOG, "Consumer of group '" + options.group() + "'",
        () -> System.nanoTime() / 1_000_000);
  }

  long pollRequests() {
    return pollRequests.get();
  }

  long streamPolls() {
    return streamPolls;
  }

  /** The instance left its group: the next one starts at the group's commits, so nothing goes ahead or moves back. */
  void forgetPositions() {
    flowing = false;
    repositionNeeded = false;
  }

  /** The stream's next poll: the one sent ahead if there is one, else a new one. */
  Future<Batch> next() {
    streamPolls++;
    membership.requested();
    Future<Batch> next = ahead.poll();
    if (next != null) {
      // Refill the queue: a poll ahead that completed before the stream took it sent none after it (the queue was
      // full then), and one still in flight while the records are flowing is followed by the next at once.
      topUp();
      return next;
    }
    if (handOut.closed()) {
      return Future.succeededFuture(Batch.END);
    }
    return poll(false);
  }

  /**
   * Chains a poll. The seek epochs are taken now, when the poll is chained: a seek from now on chains its request
   * after this poll, so this poll's records of that partition come from the old position and must be dropped (taken
   * when the poll starts, a seek in between would let them through).
   */
  private Future<Batch> poll(boolean sentAhead) {
    Map<TopicPartition, Integer> epochs = handOut.epochs();
    Future<Batch> polled = serial.then(() -> membership.ensureCreated()
        .compose(v -> commits.maybeAutoCommit())
        .compose(v -> {
          if (sentAhead && repositionNeeded) {
            // A poll before this one failed or re-read: the reposition waits for a poll the stream asks for once
            // every record polled before is handed out (see the class comment); this one answers nothing.
            return Future.succeededFuture(Batch.EMPTY);
          }
          return (repositionNeeded ? reposition() : Future.<Void>succeededFuture()).compose(r -> send(epochs));
        })
        .recover(this::retryLater));
    polled.onSuccess(this::maybePollAhead);
    return polled;
  }

  /** One poll request; its answer updates the assignment and flags a re-read for a reposition. */
  private Future<Batch> send(Map<TopicPartition, Integer> epochs) {
    pollRequests.incrementAndGet();
    return api.poll(options.fetchMaxWaitMs(), pollBytes(options, handOut.assignment().size()))
        .compose(answer -> (answer.assignment() != null
            ? Future.succeededFuture(new ConsumerInstanceApi.Assigned(answer.assignment(), answer.membership()))
            : api.assigned()).map(assigned -> {
          membership.took(assigned);
          failures = 0;
          retryLog.succeeded();
          repositionNeeded |= handOut.rereads(answer.sections(), epochs);
          return new Batch(answer.sections(), epochs, false);
        }))
        .onFailure(t -> repositionNeeded = true); // the broker may have moved positions past lost records
  }

  /**
   * What a poll asks for: {@link ConsumerOptions#maxPartitionFetchBytes} per partition owned (the broker shares a
   * poll's bytes equally among the partitions it reads), within {@link ConsumerOptions#fetchMaxBytes}, as a Kafka
   * consumer's fetch. One fixed size for any number of partitions gave each of six a sixth of a partition reader's
   * share: six times the polls for the same records, each paying a round trip, the coordinator's routing and a
   * worker's hand-offs on the broker (docs/benchmarks.md, issue 16, twenty-seventh session, h-g6).
   */
  static int pollBytes(ConsumerOptions options, int owned) {
    return (int) Math.min(options.fetchMaxBytes(), (long) Math.max(1, owned) * options.maxPartitionFetchBytes());
  }

  /**
   * Sends the next poll while the application takes this one's records, so the broker reads the next records
   * meanwhile instead of idling: only after a poll that brought records, at most {@link #AHEAD} ahead, and never while
   * the broker's positions are suspect ({@link #reposition} must see every record of this poll handed out first). Safe
   * because nothing is committed or remembered until {@link HandOut#handOut}; the records of the poll ahead of a
   * partition sought or revoked meanwhile are dropped by its epoch.
   */
  private void maybePollAhead(Batch batch) {
    flowing = !batch.sections().isEmpty() && !batch.end();
    topUp();
  }

  private void topUp() {
    if (flowing && !repositionNeeded && !handOut.closed() && ahead.size() < AHEAD) {
      ahead.add(poll(true));
    }
  }

  /**
   * Sets the broker's position of every partition it says the instance owns to {@link HandOut#resumeAt}, or to the
   * group's commit (else the reset edge) where the client handed nothing out. The assignment read rejoins an
   * instance that a new coordinator restored; one that owns nothing (evicted) is moved nowhere: its next poll joins
   * and starts at the commits, and {@link HandOut#rereads} brings the consumer back here.
   */
  private Future<Void> reposition() {
    return api.assignment().compose(owned -> {
      Map<TopicPartition, StartPosition> moves = new HashMap<>();
      Set<TopicPartition> fromCommit = new HashSet<>();
      for (TopicPartition tp : owned) {
        StartPosition at = handOut.resumeAt(tp);
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

  /** A retriable failure becomes an empty poll after a backoff; anything else fails the stream. */
  private Future<Batch> retryLater(Throwable t) {
    if (!ErrorCodes.retriable(t) || handOut.closed()) {
      return handOut.closed() ? Future.succeededFuture(Batch.END) : Future.failedFuture(t);
    }
    failures++;
    long waitMs = Math.min(MAX_BACKOFF_MS, 50L << Math.min(failures, 10));
    retryLog.retrying(t, waitMs);
    Promise<Batch> later = Promise.promise();
    vertx.setTimer(waitMs, id -> later.complete(Batch.EMPTY));
    return later.future();
  }

  /**
   * Moves the application's position at once ({@link HandOut#seek}, so no record polled before is handed out after),
   * then the broker's after the operations before it (a poll in flight), before the polls after it. A failed seek
   * leaves the broker's position unknown: the next poll repositions first.
   */
  Future<Void> seek(TopicPartition partition, StartPosition position) {
    handOut.seek(partition, position);
    return serial.then(() -> membership.ensureCreated().compose(v -> api.seek(partition, position))
        .recover(t -> ErrorCodes.codeOf(t) == ErrorCode.CONSUMER_STATE_CONFLICT
            ? seekAfterRejoin(partition, position, t) : Future.failedFuture(t))
        .onFailure(t -> repositionNeeded = true));
  }

  /**
   * After CONSUMER_STATE_CONFLICT ("does not own"): a coordinator that took the group over since the last poll has
   * not rejoined the instance yet. Reading the assignment rejoins it; the seek is resent if the partition is owned.
   */
  private Future<Void> seekAfterRejoin(TopicPartition partition, StartPosition position, Throwable refused) {
    return api.assignment().compose(owned -> owned.contains(partition) ? api.seek(partition, position)
        : Future.failedFuture(refused));
  }
}
