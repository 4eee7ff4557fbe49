package io.sluice.client;

import java.util.List;

/**
 * A partition's replicas and its reassignment, as Kafka's {@code PartitionReassignment}: while one is in progress
 * {@code replicas} is the target followed by the replicas leaving; {@code addingReplicas} and {@code removingReplicas}
 * are empty when none is.
 */
public record PartitionReassignment(TopicPartition partition, List<Integer> replicas, List<Integer> addingReplicas,
    List<Integer> removingReplicas) {
  public PartitionReassignment {
    replicas = List.copyOf(replicas);
    addingReplicas = List.copyOf(addingReplicas);
    removingReplicas = List.copyOf(removingReplicas);
  }
}
