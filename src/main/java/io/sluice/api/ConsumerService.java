package io.sluice.api;

import io.sluice.api.CommittedOffset;
import io.sluice.api.Subscription;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * Consumer instances (Kafka REST v2) and group administration in the REST API's JSON shapes, as the HTTP and
 * WebSocket front ends ask for them. The instances live at their group's coordinator and are members of its
 * server-assigned groups through the {@link GroupService}; other protocols use the {@link GroupService} directly. Every call names the group, so an implementation can route
 * it to the group's coordinating broker (the leader of its {@code __consumer_offsets} partition);
 * {@link LocalConsumerService} serves the groups coordinated here. Arguments and results are plain data (records,
 * JSON), so a forwarding implementation can carry them over the event bus.
 *
 * <p>Futures complete on the caller's context. Failures carry a {@link io.sluice.errors.SluiceException}:
 * CONSUMER_INSTANCE_NOT_FOUND for an unknown (deleted, expired) instance, CONSUMER_STATE_CONFLICT for an operation
 * the instance's state forbids, ILLEGAL_GENERATION / REBALANCE_IN_PROGRESS / UNKNOWN_MEMBER_ID for a commit the
 * group refuses. Offsets given to and returned by {@link #commit} and {@link #committed} are the next offsets to
 * read (Kafka's convention; the REST layer converts).
 */
public interface ConsumerService {

  /**
   * Creates an instance from its settings (REST v2 names: {@code name}, {@code format}, {@code auto.offset.reset},
   * ...) and answers its name (chosen by the broker when the settings name none); fails CONSUMER_ALREADY_EXISTS if
   * the name is taken in the group, INVALID_REQUEST for a bad setting.
   */
  Future<String> create(RequestContext caller, String group, JsonObject settings);

  /** {@link #delete(RequestContext, String, String, GroupMembershipOperation)} with its DEFAULT. */
  default Future<Void> delete(RequestContext caller, String group, String name) {
    return delete(caller, group, name, GroupMembershipOperation.DEFAULT);
  }

  /**
   * Forgets the instance (committing first with auto-commit). A dynamic member leaves the group (the others
   * rebalance); a static one ({@code group.instance.id}) stays, its partitions reserved until its session timeout or
   * a new instance with its instance id takes them over, unless {@code operation} is LEAVE_GROUP (Kafka 4's close).
   */
  Future<Void> delete(RequestContext caller, String group, String name, GroupMembershipOperation operation);

  /**
   * Removes the static member holding {@code groupInstanceId} (Kafka's removeMembersFromConsumerGroup): the group
   * rebalances. Fails UNKNOWN_MEMBER_ID when no member holds it.
   */
  Future<Void> removeStaticMember(RequestContext caller, String group, String groupInstanceId);

  /**
   * The instance's settings as created, with every default filled in (REST v2 names: {@code format}, which decides
   * how its records are answered, {@code auto.offset.reset}, ...).
   */
  Future<JsonObject> config(RequestContext caller, String group, String name);

  Future<Void> subscribe(RequestContext caller, String group, String name, Subscription subscription);

  /** The subscription, or null when there is none. */
  Future<Subscription> subscription(RequestContext caller, String group, String name);

  Future<Void> unsubscribe(RequestContext caller, String group, String name);

  /** Takes the partitions without the group protocol (no rebalancing; commits only while the group is empty). */
  Future<Void> assign(RequestContext caller, String group, String name, List<TopicPartition> partitions);

  /** The partitions the instance owns now: its manual assignment or its current group assignment. */
  Future<List<TopicPartition>> assignment(RequestContext caller, String group, String name);

  /**
   * The instance's member id, generation and owned partitions: what its client names with a fenced commit. A restored
   * instance not yet in the group rejoins first, as {@link #assignment} does, and so does a member the group moved on
   * without (a rebalance it has not joined: what {@link #memberHeartbeat} answers REBALANCE_IN_PROGRESS or
   * ILLEGAL_GENERATION for).
   */
  Future<InstanceMembership> membership(RequestContext caller, String group, String name);

  /**
   * Long poll across the owned partitions: answers as soon as records are there, or empty after {@code timeoutMs}
   * (the instance's {@code consumer.request.timeout.ms} when negative). Also the heartbeat: joins the group when the
   * instance is not (yet, or no longer) a member.
   */
  Future<List<ConsumedRecord>> poll(RequestContext caller, String group, String name, long timeoutMs, int maxBytes, int maxRecords);

  /**
   * {@link #poll} that answers the log's stored batches as they are, per partition, instead of decoded records: the
   * broker neither decodes nor re-encodes a record, and the position of each partition moves past its last batch
   * ({@link PolledBatches}). Same long poll, heartbeat and join as {@link #poll}; no record limit.
   */
  Future<List<PolledBatches>> pollBatches(RequestContext caller, String group, String name, long timeoutMs, int maxBytes);

  /**
   * {@link #poll} and the instance's {@link #membership} right after it, before anything else runs on the instance,
   * in one call: what a records frame or a framed answer names, at one round trip to the coordinator.
   */
  Future<MemberRead<List<ConsumedRecord>>> pollAsMember(RequestContext caller, String group, String name,
      long timeoutMs, int maxBytes, int maxRecords);

  /** {@link #pollBatches} and the instance's membership right after it, in one call ({@link #pollAsMember}). */
  Future<MemberRead<List<PolledBatches>>> pollBatchesAsMember(RequestContext caller, String group, String name,
      long timeoutMs, int maxBytes);

  /** Keeps the membership alive without reading (a WebSocket consumer with no credit left). */
  Future<Void> heartbeat(RequestContext caller, String group, String name);

  /**
   * Kafka's Heartbeat for the instance's group member: keeps its session alive without joining or reading, for a
   * client that is not polling. Fails, as Kafka's Heartbeat does, with REBALANCE_IN_PROGRESS while the group rebalances
   * without the member (preparing, or completing a generation the member has not joined; the heartbeat counted),
   * ILLEGAL_GENERATION for another generation otherwise, UNKNOWN_MEMBER_ID once it is not in the group (evicted, or a
   * coordinator that took the group over has not seen it yet): each tells the client to rejoin ({@link #membership}
   * rejoins; so does a poll). An instance outside
   * the group protocol (manual assignment, or no subscription) has no session to keep: it succeeds.
   */
  Future<Void> memberHeartbeat(RequestContext caller, String group, String name);

  /** Commits {@code nextOffsets} with their metadata, or with null the positions reached by the polls so far. */
  default Future<Void> commit(RequestContext caller, String group, String name,
      Map<TopicPartition, OffsetCommit> nextOffsets) {
    return commit(caller, group, name, nextOffsets, null);
  }

  /**
   * {@link #commit(RequestContext, String, String, Map)} fenced by {@code fence} (null: by the instance's own member id
   * and generation now) as Kafka fences an OffsetCommit: UNKNOWN_MEMBER_ID unless {@code fence} names the instance's
   * member and it is still in the group, ILLEGAL_GENERATION unless it names the group's generation,
   * REBALANCE_IN_PROGRESS while the group rebalances, FENCED_INSTANCE_ID for a static member a newer one replaced.
   */
  Future<Void> commit(RequestContext caller, String group, String name, Map<TopicPartition, OffsetCommit> nextOffsets,
      InstanceMembership fence);

  /** Committed offsets of {@code partitions} (all owned partitions when null) that have one. */
  default Future<Map<TopicPartition, CommittedOffset>> committed(RequestContext caller, String group, String name,
      List<TopicPartition> partitions) {
    return committed(caller, group, name, partitions, false);
  }

  /**
   * Like {@link #committed(RequestContext, String, String, List)}; with {@code requireStable} (Kafka's
   * require_stable) it fails UNSTABLE_OFFSET_COMMIT (retriable) while offsets of one of the partitions are pending in
   * a transaction (sent with sendOffsetsToTransaction, not yet committed or aborted).
   */
  Future<Map<TopicPartition, CommittedOffset>> committed(RequestContext caller, String group, String name,
      List<TopicPartition> partitions, boolean requireStable);

  /** Moves positions to the given offsets. */
  Future<Void> seek(RequestContext caller, String group, String name, Map<TopicPartition, Long> offsets);

  /** Moves each position to the first offset whose timestamp is at or after the given one (the end if none). */
  Future<Void> seekToTimestamp(RequestContext caller, String group, String name, Map<TopicPartition, Long> timestampsMs);

  Future<Void> seekToBeginning(RequestContext caller, String group, String name, List<TopicPartition> partitions);

  Future<Void> seekToEnd(RequestContext caller, String group, String name, List<TopicPartition> partitions);

  /** {@code [{"group_id", "state"}]}. */
  Future<JsonArray> listGroups(RequestContext caller);

  /** {@code {"group_id", "state", "generation", "assignor", "members": [{"member_id", "instance_id", "partitions"}]}}. */
  Future<JsonObject> describeGroup(RequestContext caller, String group);

  /** {@code [{"topic", "partition", "committed_offset", "next_offset", "log_end_offset", "lag"}]}. */
  Future<JsonArray> lags(RequestContext caller, String group);

  /** Resets a group without members; see {@link io.sluice.group.GroupAdmin#resetOffsets}. */
  Future<JsonArray> resetOffsets(RequestContext caller, String group, JsonObject request);

  /**
   * Deletes commits ({@code {"topics"} | {"partitions"} | {"all": true}}); {@code [{"topic", "partition",
   * "next_offset"}]}, the commit deleted or null. See {@link GroupService#deleteOffsets}.
   */
  Future<JsonArray> deleteOffsets(RequestContext caller, String group, JsonObject request);

  /** Deletes a group without members or instances; see {@link GroupService#deleteGroup}. */
  Future<Void> deleteGroup(RequestContext caller, String group);
}
