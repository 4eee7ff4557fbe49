package io.sluice.api;

import java.io.Serializable;
import java.util.List;

/**
 * A member asks to join a group (or to rejoin it: a heartbeat that answers REBALANCE_IN_PROGRESS means rejoin). Two
 * kinds of group, never mixed (the first member decides; a member of the other kind fails
 * INCONSISTENT_GROUP_PROTOCOL):
 * <ul>
 *   <li><b>member-assigned</b> (Kafka's group protocol, {@link #memberAssigned}): members send a protocol type and
 *   protocols with opaque metadata; the coordinator waits until every known member has rejoined (or the rebalance
 *   timeout passed, dropping the others), then answers every join with the new generation and tells the leader member
 *   everyone's metadata; the leader computes the assignment and sends it with {@link GroupService#sync}.
 *   <li><b>server-assigned</b> ({@link #serverAssigned}): members send a subscription and name a server-side assignor
 *   ({@code range}, {@code roundrobin}, {@code sticky}); the coordinator computes the assignment itself and the join
 *   answers with the member's partitions (the REST v2 consumer instances).
 * </ul>
 *
 * @param groupId the group
 * @param memberId the member's id from an earlier join, or empty for a new member (the coordinator chooses one)
 * @param clientId the client's name for itself; member ids start with it
 * @param sessionTimeoutMs the member is dropped after this long without a heartbeat (or join or sync)
 * @param rebalanceTimeoutMs how long the coordinator waits for members to rejoin during a rebalance, and for the
 *     leader's assignment after it (member-assigned groups)
 * @param protocolType member-assigned: the kind of protocol ({@code consumer}, {@code connect}, {@code streams});
 *     null for server-assigned
 * @param protocols member-assigned: the protocols the member supports, preferred first; empty for server-assigned
 * @param assignor server-assigned: the server-side assignor's name; null for member-assigned
 * @param subscription server-assigned: what the member subscribes to; null for member-assigned
 * @param groupInstanceId Kafka's {@code group.instance.id} (KIP-345) of a static member, or null for a dynamic one:
 *     a static member that rejoins (with an empty member id) takes over the member holding the id, its partitions
 *     and generation, without a rebalance; the member it replaced is fenced (FENCED_INSTANCE_ID)
 */
public record JoinGroupRequest(String groupId, String memberId, String clientId, long sessionTimeoutMs,
    long rebalanceTimeoutMs, String protocolType, List<GroupProtocol> protocols, String assignor,
    Subscription subscription, String groupInstanceId) implements Serializable {

  /** A dynamic member's join. */
  public JoinGroupRequest(String groupId, String memberId, String clientId, long sessionTimeoutMs,
      long rebalanceTimeoutMs, String protocolType, List<GroupProtocol> protocols, String assignor,
      Subscription subscription) {
    this(groupId, memberId, clientId, sessionTimeoutMs, rebalanceTimeoutMs, protocolType, protocols, assignor,
        subscription, null);
  }

  public JoinGroupRequest {
    memberId = memberId == null ? "" : memberId;
    clientId = clientId == null ? "" : clientId;
    protocols = protocols == null ? List.of() : List.copyOf(protocols);
    if (sessionTimeoutMs <= 0 || rebalanceTimeoutMs <= 0) {
      throw new IllegalArgumentException("session and rebalance timeouts must be positive");
    }
    if ((subscription == null) == (protocolType == null)) {
      throw new IllegalArgumentException("a join is either member-assigned (protocol type and protocols) or"
          + " server-assigned (subscription and assignor)");
    }
    if (protocolType != null && protocols.isEmpty()) {
      throw new IllegalArgumentException("a member-assigned join needs at least one protocol");
    }
  }

  /** Kafka's JoinGroup: the leader member will compute the assignment. */
  public static JoinGroupRequest memberAssigned(String groupId, String memberId, String clientId,
      long sessionTimeoutMs, long rebalanceTimeoutMs, String protocolType, List<GroupProtocol> protocols) {
    return new JoinGroupRequest(groupId, memberId, clientId, sessionTimeoutMs, rebalanceTimeoutMs, protocolType,
        protocols, null, null);
  }

  /** The coordinator computes the assignment with server-side assignor {@code assignor}. */
  public static JoinGroupRequest serverAssigned(String groupId, String memberId, String clientId,
      long sessionTimeoutMs, String assignor, Subscription subscription) {
    return new JoinGroupRequest(groupId, memberId, clientId, sessionTimeoutMs, sessionTimeoutMs, null, List.of(),
        assignor, subscription);
  }

  /** This join as a static member's with {@code group.instance.id} {@code id} (null: dynamic). */
  public JoinGroupRequest withGroupInstanceId(String id) {
    return new JoinGroupRequest(groupId, memberId, clientId, sessionTimeoutMs, rebalanceTimeoutMs, protocolType,
        protocols, assignor, subscription, id);
  }

  public boolean isMemberAssigned() {
    return protocolType != null;
  }
}
