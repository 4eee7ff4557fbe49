package io.sluice.client;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/** A rebalance listener that records its calls, for the group consumer's tests; thread-safe. */
final class RecordingRebalanceListener implements RebalanceListener {
  final List<Set<TopicPartition>> assigned = new CopyOnWriteArrayList<>();
  final List<Set<TopicPartition>> revoked = new CopyOnWriteArrayList<>();

  @Override
  public void onPartitionsAssigned(Set<TopicPartition> partitions) {
    assigned.add(partitions);
  }

  @Override
  public void onPartitionsRevoked(Set<TopicPartition> partitions) {
    revoked.add(partitions);
  }
}
