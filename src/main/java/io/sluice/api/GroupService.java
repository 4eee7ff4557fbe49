package io.sluice.api;

import io.vertx.core.Future;
import java.util.List;
import java.util.Map;

/**
 * Group coordination, whatever the protocol the members speak: membership (join, sync, heartbeat, leave),
 * committed offsets, and administration. Each broker runs one group coordinator (a broker service) whose state every
 * listener shares; the implementation listeners get routes each call to the group's coordinator, the leader of its
 * {@code __consumer_offsets} partition, on any broker.
 *
 * <p>Two kinds of group (see {@link JoinGroupRequest}): <b>member-assigned</b>, Kafka's group protocol, for a Kafka
 * wire listener and the streams task assignor: members join with protocols and metadata, the coordinator holds the
 * joins until every known member has rejoined (or {@code rebalanceTimeoutMs} passed, dropping the stragglers), answers
 * them with a new generation, the leader member computes the assignment and sends it in {@link #sync}, and each
 * member's sync answers with its part. <b>Server-assigned</b>: the coordinator computes the assignment with a
 * server-side assignor; the REST v2 consumer instances are such members.
 *
 * <p>Fencing: a member id unknown to the group fails UNKNOWN_MEMBER_ID (it left, or missed its session timeout:
 * rejoin with an empty member id); a sync, heartbeat or commit of another generation fails ILLEGAL_GENERATION; a
 * heartbeat or sync while the group prepares a rebalance fails REBALANCE_IN_PROGRESS (rejoin); a member of the other
 * kind, or with no protocol in common with the group, fails INCONSISTENT_GROUP_PROTOCOL; a static member
 * ({@link JoinGroupRequest#groupInstanceId}, server-assigned groups) replaced by a newer one with its instance id is
 * fenced (FENCED_INSTANCE_ID, at the consumer instance). A group whose coordinator
 * is elsewhere or moving fails NOT_COORDINATOR (retriable); membership is not kept across a coordinator move (members
 * rejoin, as after a Kafka coordinator failover without the group record), committed offsets and generations are.
 *
 * <p>Arguments and results are {@code Serializable} records, so a call crosses brokers unchanged ({@code BrokerRpc}).
 * Futures complete on the caller's context.
 */
public interface GroupService {
  /** The protocol type reported for server-assigned groups. */
  String SERVER_ASSIGNED = "sluice-server";

  /**
   * Joins or rejoins. Member-assigned: completes when the rebalance's join phase completes (at most the group's
   * largest rebalance timeout), at once for a known member whose protocols did not change while the group is not
   * rebalancing. Server-assigned: completes once the assignment is computed, with it.
   */
  Future<JoinGroupResult> join(RequestContext caller, JoinGroupRequest request);

  /**
   * The member's assignment for {@code generation}. The leader's sync installs every member's assignment; the others
   * wait for it (at most the rebalance timeout, after which the members that did not sync are dropped and the group
   * rebalances again). In a stable group it answers at once.
   */
  Future<SyncGroupResult> sync(RequestContext caller, SyncGroupRequest request);

  /** Keeps the membership alive; fails REBALANCE_IN_PROGRESS when the member must rejoin. */
  Future<Void> heartbeat(RequestContext caller, String groupId, String memberId, int generation);

  /** Leaves the group; the others rebalance. Fails UNKNOWN_MEMBER_ID for a member not in the group. */
  Future<Void> leave(RequestContext caller, String groupId, String memberId);

  /**
   * Commits offsets. {@code memberId} null with {@code generation} -1 commits from outside the group protocol
   * (manual assignment), allowed only while the group has no members. Fails UNKNOWN_TOPIC_OR_PARTITION for a
   * partition that does not exist, without writing any.
   */
  Future<Void> commit(RequestContext caller, String groupId, String memberId, int generation,
      Map<TopicPartition, OffsetCommit> offsets);

  /** The commits of {@code partitions} (every partition with a commit when null) that have one. */
  Future<Map<TopicPartition, CommittedOffset>> fetchOffsets(RequestContext caller, String groupId,
      List<TopicPartition> partitions);

  /** Every group of every coordinator. */
  Future<List<GroupListing>> list(RequestContext caller);

  /** Fails GROUP_ID_NOT_FOUND for a group without members, commits or consumer instances. */
  Future<GroupDescription> describe(RequestContext caller, String groupId);

  /** Committed and owned partitions with their log ends; fails GROUP_ID_NOT_FOUND like {@link #describe}. */
  Future<List<PartitionLag>> lags(RequestContext caller, String groupId);

  /** Moves the commits of a group without members; fails NON_EMPTY_GROUP while it has some. */
  Future<List<OffsetReset.Outcome>> resetOffsets(RequestContext caller, String groupId, OffsetReset reset);

  /**
   * Deletes commits (Kafka's OffsetDelete), all asked or none, and answers each partition asked for with the commit it
   * deleted. Fails GROUP_ID_NOT_FOUND like {@link #describe}; GROUP_SUBSCRIBED_TO_TOPIC while an active member
   * subscribes to a topic named; NON_EMPTY_GROUP for a member-assigned group with members (their subscriptions are
   * opaque here); UNKNOWN_TOPIC_OR_PARTITION for a partition that neither exists nor has a commit.
   */
  Future<List<OffsetDelete.Outcome>> deleteOffsets(RequestContext caller, String groupId, OffsetDelete delete);

  /**
   * Deletes a group without members with all its commits (Kafka's DeleteGroups); it is no longer listed, and a group
   * of that name later starts empty. Fails GROUP_ID_NOT_FOUND for an unknown group, NON_EMPTY_GROUP while it has
   * members or consumer instances (nothing is deleted), INVALID_GROUP_ID for a name no group can have.
   */
  Future<Void> deleteGroup(RequestContext caller, String groupId);
}
