package io.sluice.client;

import java.util.List;
import java.util.Map;

/** A topic as the cluster described it: config overrides and each partition's leader and replicas. */
public record TopicDescription(String name, Map<String, String> configs, List<PartitionInfo> partitions) {

  public TopicDescription {
    configs = Map.copyOf(configs);
    partitions = List.copyOf(partitions);
  }

  public int partitionCount() {
    return partitions.size();
  }

  /**
   * One partition.
   *
   * @param leader the leader's broker id, -1 when there is none
   * @param replicas broker ids in assignment order
   * @param inSyncReplicas the replicas in sync with the leader
   */
  public record PartitionInfo(int partition, int leader, List<Integer> replicas, List<Integer> inSyncReplicas) {
    public PartitionInfo {
      replicas = List.copyOf(replicas);
      inSyncReplicas = List.copyOf(inSyncReplicas);
    }
  }
}
