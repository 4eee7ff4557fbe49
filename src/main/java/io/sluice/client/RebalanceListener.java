package io.sluice.client;

import java.util.Set;

/**
 * Told when a {@link GroupConsumer}'s assignment changes. Both methods run on the client's event-loop context and
 * must not block it; an exception they throw is logged and otherwise ignored.
 *
 * <p>The group rebalances at the broker: the consumer learns of a new assignment after the poll that joined the new
 * generation, by comparing {@code GET .../assignments} with the previous answer. So {@link #onPartitionsRevoked}
 * comes after the partitions have already moved: a commit for them may be refused, and records of them that were
 * delivered but not committed are delivered again to their new owner (at least once). Only the changed partitions
 * are named (cooperative style), not the whole old and new assignment.
 */
public interface RebalanceListener {

  /** The consumer no longer owns {@code partitions}; also called with the whole assignment on close. */
  default void onPartitionsRevoked(Set<TopicPartition> partitions) {
  }

  /** The consumer now owns {@code partitions} (in addition to those it kept). */
  default void onPartitionsAssigned(Set<TopicPartition> partitions) {
  }
}
