package io.sluice.api;

import java.io.Serializable;
import java.util.List;

/**
 * A partition's replicas and its reassignment (Kafka's ListPartitionReassignments entry): while one is in progress
 * {@code replicas} is the target followed by the replicas that leave; {@code addingReplicas} and
 * {@code removingReplicas} are empty when none is.
 */
public record PartitionReassignmentInfo(TopicPartition partition, List<Integer> replicas, List<Integer> addingReplicas,
    List<Integer> removingReplicas) implements Serializable {
  public PartitionReassignmentInfo {
    replicas = List.copyOf(replicas);
    addingReplicas = List.copyOf(addingReplicas);
    removingReplicas = List.copyOf(removingReplicas);
  }

  /** Whether replicas are still being added or removed. */
  public boolean inProgress() {
    return !addingReplicas.isEmpty() || !removingReplicas.isEmpty();
  }
}
