package io.sluice.group;

import io.sluice.api.CommittedOffset;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Kafka's offsets retention ({@code offsets.retention.minutes}, KIP-211) on one coordinator, run every
 * {@code offsets.retention.check.interval.ms}:
 * <ul>
 *   <li>a group that had members and has none (nor consumer instances: an idle REST or WebSocket instance, a Connect
 *       sink's, counts as a member while it exists) loses every commit once it has been empty for the retention
 *       ({@link Group#emptySinceMs}, persisted);
 *   <li>a group that never had members (a standalone consumer's commits, an offset reset of a new group) loses each
 *       commit a retention after it was written;
 *   <li>a stable group whose members the broker assigns loses, a retention after it was written, each commit of a
 *       topic no member subscribes to; other groups with members keep everything (a member-assigned group's
 *       subscriptions are opaque bytes here, as Kafka's for a protocol type other than "consumer");
 *   <li>a group without members, instances or commits left goes, with a tombstone for its record if it has one.
 * </ul>
 * Unlike Kafka, an empty group's commit written after it became empty (an offset reset before its consumers come
 * back) is kept a retention from its writing, not from the group's emptying: Kafka would expire it at its next check.
 *
 * <p>Tombstones are appended like any commit (acks=all, through the offsets topic's partition), so followers, a
 * restarted coordinator and a new one after a failover agree. A group with a write or a rebalance in flight is left
 * for the next run (Kafka's pending offset commits): a commit appended before the tombstone would otherwise be
 * deleted by it on a reload while this coordinator kept it. Every tombstone of a run is decided and sent in one step
 * on the coordinator's context, so a commit accepted after the decision lands after its tombstone, and a commit seen
 * by the decision is not forgotten in memory when its tombstone is answered ({@link GroupCoordinator#forgetExpired}).
 */
final class OffsetExpiry {
  private static final System.Logger LOG = System.getLogger(OffsetExpiry.class.getName());
  /** Tombstones per appended batch: each at most ~0.5 KB (group id and topic name at most 249 chars each). */
  static final int MAX_BATCH_ENTRIES = 500;

  private final GroupCoordinator coordinator;
  private Future<Integer> running;

  OffsetExpiry(GroupCoordinator coordinator) {
    this.coordinator = coordinator;
  }

  /**
   * The commits of a group that have expired at {@code nowMs}. {@code g} is null for a group known only by its
   * commits; {@code topics} are the existing topics (a subscription's patterns are resolved against them).
   */
  static Map<TopicPartition, CommittedOffset> expired(Group g, boolean hasInstances,
      Map<TopicPartition, CommittedOffset> committed, List<String> topics, long nowMs, long retentionMs) {
    return expired(g, hasInstances, committed, topics, Set.of(), nowMs, retentionMs);
  }

  /** As above, and every commit of a {@code deleted} topic, whatever the group's members (Kafka's rule). */
  static Map<TopicPartition, CommittedOffset> expired(Group g, boolean hasInstances,
      Map<TopicPartition, CommittedOffset> committed, List<String> topics, Set<String> deleted, long nowMs,
      long retentionMs) {
    Map<TopicPartition, CommittedOffset> out = new TreeMap<>(Assignments.ORDER);
    if (!deleted.isEmpty()) {
      committed.forEach((tp, c) -> {
        if (deleted.contains(tp.topic())) {
          out.put(tp, c);
        }
      });
    }
    boolean members = g != null && !g.members().isEmpty();
    if (members) {
      if (g.isMemberAssigned() || g.state() != GroupState.STABLE) {
        return out;
      }
      Set<String> subscribed = new HashSet<>();
      g.resolvedSubscriptions(topics).values().forEach(subscribed::addAll);
      committed.forEach((tp, c) -> {
        if (!subscribed.contains(tp.topic()) && nowMs - c.commitTimestampMs() >= retentionMs) {
          out.put(tp, c);
        }
      });
      return out;
    }
    if (hasInstances) {
      return out;
    }
    boolean hadMembers = g != null && g.hadMembers();
    if (hadMembers && g.emptySinceMs() < 0) {
      return out; // not yet seen empty by the sweep: its retention has not started
    }
    long emptySince = hadMembers ? g.emptySinceMs() : Long.MIN_VALUE;
    committed.forEach((tp, c) -> {
      if (nowMs - Math.max(emptySince, c.commitTimestampMs()) >= retentionMs) {
        out.put(tp, c);
      }
    });
    return out;
  }

  /** On the coordinator context: one run, or the one already running. */
  Future<Integer> run() {
    // Checked by completion, not reset from a callback: a run may complete before it is assigned (topics answered
    // from the metadata snapshot, nothing to write).
    if (running == null || running.isComplete()) {
      running = coordinator.service().listTopics(RequestContext.SELF).compose(this::expire);
    }
    return running;
  }

  /** What one group loses in a run: its expired commits, and whether the group itself goes. */
  private record Expiring(String groupId, Map<TopicPartition, CommittedOffset> commits, boolean dead,
      boolean hasRecord) {
  }

  private Future<Integer> expire(List<String> topics) {
    long now = coordinator.nowMs();
    long retention = coordinator.config().offsetsRetentionMs();
    Map<Integer, List<Expiring>> byPartition = new TreeMap<>();
    int hollow = 0;
    for (String id : coordinator.groupIds()) {
      if (!coordinator.coordinates(id) || coordinator.busy(id)) {
        continue;
      }
      Expiring e = decide(id, topics, now, retention);
      if (e == null) {
        continue;
      }
      if (e.commits().isEmpty() && !e.hasRecord()) {
        coordinator.forgetIfHollow(id); // nothing written for it: nothing to delete
        hollow++;
      } else {
        byPartition.computeIfAbsent(coordinator.offsetsTopic().partitionFor(id), p -> new ArrayList<>()).add(e);
      }
    }
    List<Future<Integer>> writes = new ArrayList<>();
    byPartition.forEach((p, groups) -> writes.addAll(write(p, groups)));
    int forgotten = hollow;
    return Future.join(writes).transform(ar -> {
      int removed = forgotten + writes.stream().filter(Future::succeeded).mapToInt(Future::result).sum();
      writes.stream().filter(Future::failed).findFirst().ifPresent(f -> LOG.log(Level.WARNING, "Writing expired"
          + " commits' tombstones failed (the next check retries): " + f.cause()));
      if (removed > 0) {
        LOG.log(Level.INFO, "Offsets retention: removed " + removed + " expired commit(s) and group(s)");
      }
      return Future.succeededFuture(removed);
    });
  }

  /** Null when the group keeps everything. */
  private Expiring decide(String id, List<String> topics, long now, long retention) {
    Group g = coordinator.existingGroup(id).orElse(null);
    boolean instances = coordinator.hasInstances(id);
    Map<TopicPartition, CommittedOffset> committed = coordinator.committed(id);
    Map<TopicPartition, CommittedOffset> expired = expired(g, instances, committed, topics,
        coordinator.deletedTopics(), now, retention);
    boolean empty = (g == null || g.members().isEmpty()) && !instances;
    boolean waiting = g != null && g.hadMembers() && g.emptySinceMs() < 0;
    boolean dead = empty && !waiting && expired.size() == committed.size();
    if (!dead && expired.isEmpty()) {
      return null;
    }
    boolean hasRecord = g != null && (g.hadMembers() || g.generation() > 0);
    return new Expiring(id, expired, dead, dead && hasRecord);
  }

  /** Appends the partition's tombstones in batches, all sent now; each completes with what it removed. */
  private List<Future<Integer>> write(int partition, List<Expiring> groups) {
    List<Future<Integer>> out = new ArrayList<>();
    List<OffsetsTopic.Entry> batch = new ArrayList<>();
    List<Runnable> onWritten = new ArrayList<>();
    for (Expiring e : groups) {
      e.commits().forEach((tp, c) -> {
        batch.add(OffsetsTopic.offsetEntry(e.groupId(), tp, null));
        onWritten.add(() -> coordinator.forgetExpired(e.groupId(), tp, c));
      });
      if (e.hasRecord()) {
        OffsetsTopic.Entry tombstone = OffsetsTopic.groupTombstone(e.groupId());
        batch.add(tombstone);
        onWritten.add(() -> coordinator.apply(tombstone));
      } else if (e.dead()) {
        onWritten.add(() -> coordinator.forgetIfHollow(e.groupId()));
      }
      if (batch.size() >= MAX_BATCH_ENTRIES) {
        out.add(send(partition, batch, onWritten));
        batch.clear();
        onWritten.clear();
      }
    }
    if (!batch.isEmpty()) {
      out.add(send(partition, batch, onWritten));
    }
    return out;
  }

  private Future<Integer> send(int partition, List<OffsetsTopic.Entry> batch, List<Runnable> onWritten) {
    List<Runnable> apply = List.copyOf(onWritten);
    int n = batch.size();
    return coordinator.appendTo(partition, List.copyOf(batch)).map(offset -> {
      apply.forEach(Runnable::run);
      return n;
    });
  }
}
