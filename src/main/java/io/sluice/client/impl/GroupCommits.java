package io.sluice.client.impl;

import io.sluice.client.CommitFailedException;
import io.sluice.client.ConsumerOptions;
import io.sluice.client.OffsetCommit;
import io.sluice.client.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.vertx.core.Future;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The group consumer's commits: of what was handed out ({@link HandOut}), by the application or by auto-commit, or
 * of offsets the application names; one at a time in call order, fenced by the membership the offsets belong to.
 * Confined to the client's context.
 */
final class GroupCommits {
  private static final Logger LOG = Logger.getLogger(GroupCommits.class.getName());

  private final ConsumerInstanceApi api;
  private final ConsumerOptions options;
  private final HandOut handOut;
  /** The membership the current assignment belongs to ({@link GroupMembership#current}). */
  private final Supplier<ConsumerInstanceApi.Membership> membership;
  /** The last offset committed of each owned partition: a commit sends only what moved since. */
  private final Map<TopicPartition, Long> committed = new ConcurrentHashMap<>();
  private final SerialChain commits = new SerialChain();
  private long lastCommitMs;

  GroupCommits(ConsumerInstanceApi api, ConsumerOptions options, HandOut handOut,
      Supplier<ConsumerInstanceApi.Membership> membership) {
    this.api = api;
    this.options = options;
    this.handOut = handOut;
    this.membership = membership;
  }

  /** Revoked partitions: their next owner's commits are not this member's to skip. */
  void forget(Set<TopicPartition> revoked) {
    committed.keySet().removeAll(revoked);
  }

  /** Before a poll, once {@code autoCommitIntervalMs} passed: a failure is left to the next one. */
  Future<Void> maybeAutoCommit() {
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
   * (the application's commit()) fails if the group took one of them away, as Kafka's commitSync does.
   */
  Future<Void> commitDelivered(boolean explicit) {
    return commitOffsets(() -> {
      Map<TopicPartition, OffsetCommit> due = new HashMap<>();
      for (TopicPartition tp : handOut.assignment()) {
        long last = handOut.delivered(tp);
        Long done = committed.get(tp);
        if (last >= 0 && (done == null || last > done)) {
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
  Future<Void> commitOffsets(Supplier<Map<TopicPartition, OffsetCommit>> offsets,
      ConsumerInstanceApi.Membership fenceAtCall, boolean explicit) {
    return commits.then(() -> {
      Map<TopicPartition, OffsetCommit> lastProcessed = offsets.get();
      if (lastProcessed.isEmpty() || !api.created()) {
        return Future.succeededFuture();
      }
      // Fenced by the membership the offsets were read under: the call's, or for the delivered offsets (taken now, of
      // the assignment now) the current one.
      ConsumerInstanceApi.Membership fence = fenceAtCall != null ? fenceAtCall : membership.get();
      return api.commit(lastProcessed, fence).map(v -> lastProcessed)
          .recover(t -> refused(t, lastProcessed, explicit))
          .<Void>map(done -> {
            done.forEach((tp, c) -> committed.put(tp, c.lastProcessed()));
            return null;
          });
    });
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
      return Future.failedFuture(new CommitFailedException(code, "Not committed: group '"
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
        Set<TopicPartition> lost = new TreeSet<>(Comparator.comparing(TopicPartition::toString));
        lost.addAll(lastProcessed.keySet());
        lost.removeAll(owned);
        return Future.failedFuture(new CommitFailedException(ErrorCode.UNKNOWN_MEMBER_ID,
            "Not committed: this consumer lost its membership of group '" + options.group() + "' and no longer owns "
            + lost, null));
      }
      return stillOwned.isEmpty() ? Future.succeededFuture(stillOwned)
          : api.commit(stillOwned, assigned.membership()).map(v -> stillOwned);
    });
  }
}
