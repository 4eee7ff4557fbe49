package io.sluice.broker;

import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.TopicState;
import io.sluice.config.BrokerConfig;
import io.sluice.config.TopicConfigs;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The limits one client's topic creation or growth must stay within, so that no client can take every broker's file
 * descriptors (each hosted replica keeps at least one segment file open) or make a topic no acks=all write can ever
 * reach: {@code max.partitions.per.topic}, {@code max.partitions.per.broker} (replicas hosted, over every topic) and
 * a replication factor at least the topic's {@code min.insync.replicas}. Pure; thread-safe.
 */
final class TopicLimits {
  private final int maxPartitionsPerTopic;
  private final int maxPartitionsPerBroker;
  private final int defaultMinInsyncReplicas;

  TopicLimits(BrokerConfig config) {
    this.maxPartitionsPerTopic = config.getInt(BrokerConfig.MAX_PARTITIONS_PER_TOPIC);
    this.maxPartitionsPerBroker = config.getInt(BrokerConfig.MAX_PARTITIONS_PER_BROKER);
    this.defaultMinInsyncReplicas = config.minInsyncReplicas();
  }

  /** @throws SluiceException INVALID_PARTITIONS naming the limit when {@code count} is over it */
  void checkPartitionCount(String topic, int count) {
    if (count > maxPartitionsPerTopic) {
      throw new SluiceException(ErrorCode.INVALID_PARTITIONS, "Topic '" + topic + "' would have " + count
          + " partitions; the limit is " + maxPartitionsPerTopic + " (max.partitions.per.topic)");
    }
  }

  /**
   * Checks a topic about to be created: its partition count, its replicas on each broker, and that its replication
   * factor can satisfy its {@code min.insync.replicas}.
   *
   * @throws SluiceException INVALID_PARTITIONS or INVALID_REPLICATION_FACTOR naming what is over which limit
   */
  void checkCreate(MetadataSnapshot snapshot, TopicState planned) {
    checkPartitionCount(planned.name(), planned.partitionCount());
    int minIsr = TopicConfigs.minInsyncReplicas(planned.configs(), defaultMinInsyncReplicas);
    if (planned.replicationFactor() < minIsr) {
      throw new SluiceException(ErrorCode.INVALID_REPLICATION_FACTOR, "Replication factor "
          + planned.replicationFactor() + " of topic '" + planned.name() + "' is below its min.insync.replicas ("
          + minIsr + "): no acks=all write could ever succeed");
    }
    checkBrokers(snapshot, planned.assignment(), Map.of());
  }

  /** Checks {@code current} grown to {@code grown}: the partition count and the new replicas on each broker. */
  void checkGrow(MetadataSnapshot snapshot, TopicState current, TopicState grown) {
    checkPartitionCount(grown.name(), grown.partitionCount());
    checkBrokers(snapshot, grown.assignment(), current.assignment());
  }

  private void checkBrokers(MetadataSnapshot snapshot, Map<Integer, List<Integer>> assignment,
      Map<Integer, List<Integer>> alreadyCounted) {
    Map<Integer, Integer> added = new TreeMap<>();
    assignment.forEach((p, replicas) -> {
      if (!alreadyCounted.containsKey(p)) {
        replicas.forEach(b -> added.merge(b, 1, Integer::sum));
      }
    });
    checkCounts(snapshot, added, ErrorCode.INVALID_PARTITIONS);
  }

  /** Checks one more replica on each of {@code brokers} (a reassignment's additions) against the per-broker limit. */
  void checkAdded(MetadataSnapshot snapshot, List<Integer> brokers, ErrorCode code) {
    Map<Integer, Integer> added = new TreeMap<>();
    brokers.forEach(b -> added.merge(b, 1, Integer::sum));
    checkCounts(snapshot, added, code);
  }

  private void checkCounts(MetadataSnapshot snapshot, Map<Integer, Integer> added, ErrorCode code) {
    Map<Integer, Integer> hosted = hostedReplicas(snapshot);
    added.forEach((broker, n) -> {
      int total = hosted.getOrDefault(broker, 0) + n;
      if (total > maxPartitionsPerBroker) {
        throw new SluiceException(code, "Broker " + broker + " would host " + total
            + " partition replicas (" + hosted.getOrDefault(broker, 0) + " now, " + n + " more); the limit is "
            + maxPartitionsPerBroker + " (max.partitions.per.broker)");
      }
    });
  }

  private static Map<Integer, Integer> hostedReplicas(MetadataSnapshot snapshot) {
    Map<Integer, Integer> hosted = new TreeMap<>();
    for (TopicState topic : snapshot.topics().values()) {
      topic.assignment().values().forEach(replicas -> replicas.forEach(b -> hosted.merge(b, 1, Integer::sum)));
    }
    return hosted;
  }
}
