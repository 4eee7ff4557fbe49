package io.sluice.api;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/** A topic as the cluster knows it: topic-level config overrides and every partition's replicas. */
public record TopicMetadata(String name, Map<String, String> configs, List<PartitionMetadata> partitions) implements Serializable {

  /** One partition: its leader broker id (-1 when none) and its replicas in assignment order. */
  public record PartitionMetadata(int partition, int leader, int leaderEpoch, List<ReplicaInfo> replicas) implements Serializable {
  }

  /** One replica of a partition. */
  public record ReplicaInfo(int broker, boolean leader, boolean inSync) implements Serializable {
  }

  public int partitionCount() {
    return partitions.size();
  }
}
