package io.sluice.client;

import java.util.Objects;

/**
 * How {@link GroupConsumer#close(CloseOptions)} treats the group membership, as Kafka 4's {@code CloseOptions}.
 * Immutable.
 */
public final class CloseOptions {
  /** Kafka's {@code CloseOptions.GroupMembershipOperation}. */
  public enum GroupMembershipOperation {
    /**
     * A dynamic member leaves (the others rebalance now); a static one ({@link ConsumerOptions#groupInstanceId})
     * stays, its partitions reserved until its session timeout, so a restart within it causes no rebalance.
     */
    DEFAULT,
    /** Leave the group now, static or not. */
    LEAVE_GROUP,
    /** Stay in the group until the session timeout, static or not. */
    REMAIN_IN_GROUP
  }

  private static final CloseOptions DEFAULTS = new CloseOptions(GroupMembershipOperation.DEFAULT);
  private final GroupMembershipOperation operation;

  private CloseOptions(GroupMembershipOperation operation) {
    this.operation = Objects.requireNonNull(operation, "operation");
  }

  public static CloseOptions defaults() {
    return DEFAULTS;
  }

  public static CloseOptions groupMembershipOperation(GroupMembershipOperation operation) {
    return new CloseOptions(operation);
  }

  public GroupMembershipOperation groupMembershipOperation() {
    return operation;
  }
}
