package io.sluice.group;

/**
 * The states of a group, as Kafka's coordinator names them.
 *
 * <pre>
 *   EMPTY --join--> PREPARING_REBALANCE --assignment computed--> COMPLETING_REBALANCE --all members saw it--> STABLE
 *   STABLE / COMPLETING_REBALANCE --join, leave, session expiry, subscribed topic grew--> PREPARING_REBALANCE
 *   any --last member gone--> EMPTY
 * </pre>
 *
 * In a server-assigned group there is no join barrier to wait for: the coordinator computes the assignment itself as
 * soon as the previous owners' auto-commits are written, and CompletingRebalance lasts until every member has seen
 * it. In a member-assigned group (Kafka's protocol) PreparingRebalance lasts until every member rejoined or the
 * rebalance timeout passed, and CompletingRebalance until the leader member's sync brings the assignment.
 */
public enum GroupState {
  EMPTY, PREPARING_REBALANCE, COMPLETING_REBALANCE, STABLE;

  /** The name Kafka's tools print ("Empty", "PreparingRebalance", ...). */
  public String displayName() {
    return switch (this) {
      case EMPTY -> "Empty";
      case PREPARING_REBALANCE -> "PreparingRebalance";
      case COMPLETING_REBALANCE -> "CompletingRebalance";
      case STABLE -> "Stable";
    };
  }
}
