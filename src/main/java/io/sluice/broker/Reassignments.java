package io.sluice.broker;

import io.sluice.api.PartitionReassignmentInfo;
import io.sluice.api.TopicPartition;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionReassignment;
import io.sluice.broker.metadata.TopicState;
import io.sluice.broker.metadata.ZkMetadataStore;
import io.sluice.config.BrokerConfig;
import io.sluice.config.TopicConfigs;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Starting, replacing, cancelling and listing partition reassignments (Kafka's KIP-455) on any broker: the request is
 * checked against this broker's snapshot, then written into the topic's znode (conditionally, applied afresh to what
 * is stored); the controller carries it out (adds the target replicas, waits until they are all in the ISR, moves
 * leadership into the target, then writes the final replicas). Thread-safe.
 */
final class Reassignments {
  private static final System.Logger LOG = System.getLogger(Reassignments.class.getName());

  private final ZkMetadataStore metadata;
  private final TopicLimits limits;
  private final int defaultMinInsyncReplicas;
  private final long waitMs;

  Reassignments(BrokerConfig config, ZkMetadataStore metadata, TopicLimits limits, long waitMs) {
    this.metadata = metadata;
    this.limits = limits;
    this.defaultMinInsyncReplicas = config.minInsyncReplicas();
    this.waitMs = waitMs;
  }

  /** Starts (or replaces) a reassignment of {@code tp} to {@code target}; null cancels the one in progress. */
  Future<PartitionReassignmentInfo> alter(TopicPartition tp, List<Integer> target) {
    MetadataSnapshot s = metadata.snapshot();
    TopicState seen = partitionOf(s, tp);
    if (target == null) {
      requireInProgress(seen, tp);
    } else {
      check(s, seen, tp, target);
    }
    return metadata.rewriteTopic(tp.topic(), "the replicas of " + tp + " were reassigned", stored -> {
      if (!stored.topicId().equals(seen.topicId()) || !stored.assignment().containsKey(tp.partition())) {
        throw unknown(tp);
      }
      List<Integer> replicas = stored.assignment().get(tp.partition());
      PartitionReassignment current = stored.reassignments().get(tp.partition());
      if (target == null) {
        requireInProgress(stored, tp);
      }
      List<Integer> to = target != null ? target : current.original(replicas);
      return stored.withPartition(tp.partition(), PartitionReassignment.reassignTo(replicas, current, to));
    }).compose(written -> metadata.awaitSnapshot(snap -> shows(snap, written, tp), waitMs,
        "the reassignment of " + tp + " to appear")).map(snap -> {
          PartitionReassignmentInfo info = info(partitionOf(snap, tp), tp.partition());
          LOG.log(Level.INFO, (target == null ? "Cancelled the reassignment of " : "Reassigning ") + tp + ": " + info);
          return info;
        });
  }

  /** Every partition with a reassignment in progress, by topic and partition. */
  List<PartitionReassignmentInfo> list() {
    List<PartitionReassignmentInfo> out = new ArrayList<>();
    for (TopicState t : metadata.snapshot().topics().values()) {
      t.reassignments().keySet().forEach(p -> out.add(info(t, p)));
    }
    return out;
  }

  static PartitionReassignmentInfo info(TopicState t, int p) {
    PartitionReassignment r = t.reassignments().get(p);
    return new PartitionReassignmentInfo(t.tp(p), t.assignment().get(p), r == null ? List.of() : r.adding(),
        r == null ? List.of() : r.removing());
  }

  /** Whether {@code snap} shows what was written for {@code tp}, or what came of it since (completed, topic gone). */
  private static boolean shows(MetadataSnapshot snap, TopicState written, TopicPartition tp) {
    TopicState t = snap.topic(tp.topic()).orElse(null);
    if (t == null || !t.topicId().equals(written.topicId())) {
      return true;
    }
    PartitionReassignment r = written.reassignments().get(tp.partition());
    boolean same = Objects.equals(t.assignment().get(tp.partition()), written.assignment().get(tp.partition()))
        && Objects.equals(t.reassignments().get(tp.partition()), r);
    boolean completed = r != null && t.reassignments().get(tp.partition()) == null
        && t.assignment().get(tp.partition()).equals(r.target(written.assignment().get(tp.partition())));
    return same || completed;
  }

  /**
   * The target must be a non-empty list of distinct live brokers, at least the topic's {@code min.insync.replicas}
   * long (else no acks=all write could succeed), within {@code max.partitions.per.broker} on every broker it adds.
   */
  private void check(MetadataSnapshot s, TopicState topic, TopicPartition tp, List<Integer> target) {
    if (target.isEmpty()) {
      throw invalid(tp, "the target replica list is empty");
    }
    Set<Integer> distinct = new HashSet<>();
    for (Integer b : target) {
      if (b == null || !distinct.add(b)) {
        throw invalid(tp, "broker " + b + " appears twice in " + target);
      }
      if (!s.liveBrokerIds().contains(b)) {
        throw invalid(tp, "broker " + b + " is unknown or not alive (live brokers: " + s.liveBrokerIds() + ")");
      }
    }
    int minIsr = TopicConfigs.minInsyncReplicas(topic.configs(), defaultMinInsyncReplicas);
    if (target.size() < minIsr) {
      throw invalid(tp, target.size() + " replica(s) are fewer than the topic's min.insync.replicas (" + minIsr
          + "): no acks=all write could succeed");
    }
    List<Integer> adding = target.stream().filter(b -> !topic.assignment().get(tp.partition()).contains(b)).toList();
    limits.checkAdded(s, adding, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  }

  private static void requireInProgress(TopicState topic, TopicPartition tp) {
    if (!topic.reassignments().containsKey(tp.partition())) {
      throw new SluiceException(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, "Partition " + tp
          + " has no reassignment in progress to cancel");
    }
  }

  private static TopicState partitionOf(MetadataSnapshot s, TopicPartition tp) {
    TopicState t = s.topic(tp.topic()).orElseThrow(() -> unknown(tp));
    if (!t.assignment().containsKey(tp.partition()) || !t.isComplete()) {
      throw unknown(tp);
    }
    return t;
  }

  private static SluiceException unknown(TopicPartition tp) {
    return new SluiceException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Partition " + tp + " does not exist");
  }

  private static SluiceException invalid(TopicPartition tp, String why) {
    return new SluiceException(ErrorCode.INVALID_REPLICA_ASSIGNMENT, "Cannot reassign " + tp + ": " + why);
  }
}
