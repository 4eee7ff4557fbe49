package io.sluice.client.impl;

import io.sluice.client.CloseOptions;
import io.sluice.client.CommitFailedException;
import io.sluice.client.ConsumerOptions;
import io.sluice.client.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.vertx.core.Future;
import java.util.HashSet;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The group consumer's membership: the instance at the broker (made by the first request that needs it, and again
 * after leaving), the member id and generation its assignment belongs to, rejoining when a heartbeat says the group
 * moved on, leaving after max.poll.interval.ms without a request ({@link MemberLiveness} decides when), and the
 * rebalance listener's calls when the assignment changes. Confined to the client's context, but for
 * {@link #current}, which any thread may read.
 */
final class GroupMembership {
  private static final Logger LOG = Logger.getLogger(GroupMembership.class.getName());

  private final ConsumerInstanceApi api;
  private final ConsumerOptions options;
  private final HandOut handOut;
  private final GroupCommits commits;
  /** Shared with {@link PollLoop}: a rejoin or a leave waits for the polls in flight, whose answers are older. */
  private final SerialChain serial;
  private final MemberLiveness liveness;
  /**
   * The member id and generation the assignment belongs to, from the poll answer that brought it (null before one,
   * or from a broker that does not say): commits and groupMetadata name it so that the group refuses them once it
   * rebalanced without this consumer seeing it. Written on the client's context with the assignment.
   */
  private volatile ConsumerInstanceApi.Membership membership;
  private Future<Void> created;
  /** Left the group after max.poll.interval.ms without a request ({@link #leaveAfterPollTimeout}), until the next. */
  private boolean pollTimeoutLeft;

  GroupMembership(ConsumerInstanceApi api, ConsumerOptions options, HandOut handOut, GroupCommits commits,
      SerialChain serial, MemberLiveness liveness) {
    this.api = api;
    this.options = options;
    this.handOut = handOut;
    this.commits = commits;
    this.serial = serial;
    this.liveness = liveness;
  }

  /** The instance, made now if it was not (or its making failed); the liveness timer starts with the first. */
  Future<Void> ensureCreated() {
    if (created == null || created.failed()) {
      created = api.create(options);
      liveness.start();
    }
    return created;
  }

  /** Whether an instance was asked for since the consumer started or last left its group. */
  boolean asked() {
    return created != null;
  }

  ConsumerInstanceApi.Membership current() {
    return membership;
  }

  /** Whether the consumer is in its group now: joined by a poll, not evicted, not left, not closed. */
  boolean joined() {
    ConsumerInstanceApi.Membership m = membership;
    return !handOut.closed() && created != null && created.succeeded() && m != null && m.memberId() != null;
  }

  /** The application asked for records: a commit after a poll timeout is refused only until then. */
  void requested() {
    pollTimeoutLeft = false;
  }

  boolean leftAfterPollTimeout() {
    return pollTimeoutLeft;
  }

  /** A poll's answer: its assignment and the membership it belongs to. */
  void took(ConsumerInstanceApi.Assigned assigned) {
    updateAssignment(assigned.partitions());
    membership = assigned.membership();
  }

  /** A heartbeat said the group moved on: reading the assignment, after the polls in flight, rejoins the member. */
  void rejoin() {
    Future<Void> rejoined = serial.then(() -> handOut.closed() || !api.created() ? Future.succeededFuture()
        : api.assigned().map(assigned -> {
          updateAssignment(assigned.partitions());
          if (assigned.membership() != null) {
            membership = assigned.membership(); // no member id: evicted; the next poll joins, heartbeats wait
          }
          return (Void) null;
        }));
    rejoined.onFailure(t -> LOG.log(Level.FINE, "Rejoin after a heartbeat failed; the next poll rejoins", t));
  }

  /**
   * Leaves the group after max.poll.interval.ms without a request: the instance is deleted (a dynamic member leaves at
   * once, a static one keeps its place for its session timeout, as Kafka's), its partitions are revoked, and the
   * next request creates a new instance that joins, starting at the group's commits. {@code forgetPositions}: the
   * new instance's positions are the group's commits, not what the polls knew of the old one.
   */
  void leaveAfterPollTimeout(Runnable forgetPositions) {
    serial.then(() -> {
      if (handOut.closed() || created == null || membership == null) {
        return Future.succeededFuture();
      }
      pollTimeoutLeft = true;
      Future<Void> deleted = api.delete(CloseOptions.GroupMembershipOperation.DEFAULT);
      api.forget(); // the delete was sent with the old path; whatever comes next creates a new instance
      created = null;
      membership = null;
      forgetPositions.run();
      updateAssignment(Set.of());
      return deleted.recover(t -> {
        LOG.log(Level.FINE, "Leaving the group after the poll timeout failed; the instance expires", t);
        return Future.succeededFuture();
      });
    });
  }

  /** An explicit commit between {@link #leaveAfterPollTimeout} and the next request: Kafka's CommitFailedException. */
  <T> Future<T> refusedAfterPollTimeout() {
    return Future.failedFuture(new CommitFailedException(ErrorCode.UNKNOWN_MEMBER_ID, "Not committed:"
        + " this consumer left group '" + options.group() + "' after max.poll.interval.ms (" + options.maxPollIntervalMs()
        + " ms) without a request for records; its next request rejoins", null));
  }

  /** On close: the listener is told that every partition is revoked. */
  void revokeAll() {
    Set<TopicPartition> owned = handOut.dropAssignment();
    if (!owned.isEmpty()) {
      callListener(() -> options.rebalanceListener().onPartitionsRevoked(owned));
    }
  }

  /** Compares the broker's assignment with the last one and tells the listener what changed. */
  private void updateAssignment(Set<TopicPartition> owned) {
    Set<TopicPartition> old = handOut.assignment();
    if (old.equals(owned)) {
      return;
    }
    Set<TopicPartition> revoked = new HashSet<>(old);
    revoked.removeAll(owned);
    Set<TopicPartition> added = new HashSet<>(owned);
    added.removeAll(old);
    handOut.reassign(owned, revoked);
    commits.forget(revoked);
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
}
