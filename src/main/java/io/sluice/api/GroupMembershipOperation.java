package io.sluice.api;

/**
 * What closing a consumer does to its group membership: Kafka 4's {@code CloseOptions.GroupMembershipOperation}.
 * {@link #DEFAULT} leaves the group for a dynamic member and stays for a static one (KIP-345: a static member's close
 * keeps its partitions reserved until its session times out, so a restart within it causes no rebalance).
 */
public enum GroupMembershipOperation {
  /** Dynamic members leave (the others rebalance); static members stay until their session timeout. */
  DEFAULT,
  /** Leave at once, static or not: the others rebalance now. */
  LEAVE_GROUP,
  /** Stay until the session timeout, static or not. */
  REMAIN_IN_GROUP
}
