package io.sluice.group;

import io.vertx.core.Future;

/**
 * What the consumer layer does at the coordinator's turning points. Called on the coordinator's context.
 */
public interface GroupListener {
  GroupListener NONE = new GroupListener() {
  };

  /**
   * Before a new assignment is computed, while the old one still holds: members with auto-commit write the
   * positions of the partitions they may lose. The rebalance waits for the returned future (a failure is logged
   * and the rebalance goes on: the next owner then starts from the older commit, never from a later one).
   */
  default Future<Void> beforeRebalance(Group group) {
    return Future.succeededFuture();
  }

  /** After a new generation is installed: forget positions of partitions a member no longer owns. */
  default void afterRebalance(Group group) {
  }

  /** Every sweep interval, after sessions were checked: expire idle consumer instances. */
  default void sweep(long nowMs) {
  }

  /**
   * After {@link OffsetsTopic} partition {@code partition} (of {@code partitions}) was loaded here: restore the consumer
   * instances of its groups ({@link GroupCoordinator#persistedInstances}).
   */
  default void partitionLoaded(int partition, int partitions) {
  }

  /** After leadership of {@code partition} moved away: forget the consumer instances of its groups. */
  default void partitionUnloaded(int partition, int partitions) {
  }
}
