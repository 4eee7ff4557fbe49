package io.sluice.api;

import io.sluice.api.TopicPartition;
import io.sluice.api.acl.AclBinding;
import io.sluice.api.acl.AclBindingFilter;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.ResourceType;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the front ends (the HTTP API, WebSocket, later Kafka's wire protocol) ask of the broker: the seam
 * between protocol handling and partition ownership. Whether a partition is hosted here or on another broker
 * is this service's business, not the caller's.
 *
 * <p>Every method is asynchronous and never blocks the calling thread; returned futures complete on the
 * caller's Vert.x context when there is one. Failures carry an {@link io.sluice.errors.SluiceException} whose
 * {@link io.sluice.errors.ErrorCode} the front end maps to its own status.
 */
public interface BrokerService {

  /** Names of all topics, sorted. */
  Future<List<String>> listTopics(RequestContext caller);

  /**
   * Creates a topic. Fails with TOPIC_ALREADY_EXISTS, INVALID_TOPIC_EXCEPTION (name not valid as Kafka
   * defines names), INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR, or INVALID_REQUEST for a bad config.
   */
  Future<TopicMetadata> createTopic(RequestContext caller, NewTopic request);

  /** Fails with UNKNOWN_TOPIC_OR_PARTITION if there is no such topic. */
  Future<TopicMetadata> describeTopic(RequestContext caller, String topic);

  /**
   * Like {@link #describeTopic} but creates the topic with the broker defaults when it does not exist and
   * {@code auto.create.topics.enable} is true.
   */
  Future<TopicMetadata> metadataForProduce(RequestContext caller, String topic);

  /**
   * Grows a topic to {@code count} partitions (Kafka's CreatePartitions); existing partitions keep their data and
   * replicas, so keyed records may now hash elsewhere. Fails with UNKNOWN_TOPIC_OR_PARTITION, INVALID_PARTITIONS
   * (count not larger than today's, or above the maximum) or INVALID_REPLICATION_FACTOR (too few live brokers).
   */
  Future<TopicMetadata> createPartitions(RequestContext caller, String topic, int count);

  /**
   * Every topic-level config of {@code topic} with the value in force and where it comes from (Kafka's
   * DescribeConfigs). Fails with UNKNOWN_TOPIC_OR_PARTITION if there is no such topic.
   */
  Future<List<TopicConfigEntry>> describeTopicConfigs(RequestContext caller, String topic);

  /**
   * Alters a topic's configs, all of {@code changes} or none (Kafka's IncrementalAlterConfigs for one topic), and
   * answers the configs as they are then; with {@code validateOnly} checks the changes and answers the configs as
   * they would be, writing nothing. Every replica takes the change without reopening. Fails with
   * UNKNOWN_TOPIC_OR_PARTITION, INVALID_CONFIG (unknown name, bad value, a config a live topic cannot take) or
   * TOPIC_CONFIG_CONFLICT (retriable).
   */
  Future<List<TopicConfigEntry>> alterTopicConfigs(RequestContext caller, String topic,
      List<ConfigAlteration> changes, boolean validateOnly);

  /** Deletes a topic and its data. Fails with UNKNOWN_TOPIC_OR_PARTITION if there is no such topic. */
  Future<Void> deleteTopic(RequestContext caller, String topic);

  /**
   * Appends one or more whole v2 batches to a partition, assigning offsets. With {@link Acks#NONE} the future
   * may complete before the append does.
   */
  Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks);

  /**
   * {@link #produce(RequestContext, TopicPartition, ByteBuffer, Acks)} by the producer of {@code transactionalId}
   * (Kafka's ProduceRequest.transactionalId; null when the request names none). With
   * {@code transaction.partition.verification.enable} the leader asks the id's coordinator before it appends the first
   * transactional batch of a producer's transaction (KIP-890 part 1) and refuses it INVALID_TXN_STATE (48) unless the
   * partition was added to that ongoing transaction; a transactional batch with no id is refused the same way.
   */
  default Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks,
      String transactionalId) {
    return produce(caller, tp, batches, acks);
  }

  /**
   * {@link #produce(RequestContext, TopicPartition, ByteBuffer, Acks)} by the coordinator of an internal topic's
   * partition, which it loaded as that partition's leader at {@code leaderEpoch} (Kafka's coordinators write only the
   * partitions they lead): refused FENCED_LEADER_EPOCH (74) once the partition's leader is at a newer epoch, and
   * UNKNOWN_LEADER_EPOCH (75) while it is at an older one, so a coordinator whose partition moved cannot write into
   * the new leader's log behind the new coordinator's back. Forwarded to the leader like a produce.
   */
  default Future<ProduceResult> produceAtLeaderEpoch(RequestContext caller, TopicPartition tp, ByteBuffer batches,
      Acks acks, int leaderEpoch) {
    return Future.failedFuture(new UnsupportedOperationException("produceAtLeaderEpoch"));
  }

  /**
   * Long-poll fetch: completes as soon as at least {@code minBytes} of committed records at or after
   * {@code offset} are there, or when {@code maxWaitMs} passes (possibly empty).
   */
  Future<FetchResult> fetch(RequestContext caller, FetchRequest request);

  /** The partition's log start offset and high watermark (end offset visible to consumers). */
  Future<OffsetRange> offsets(RequestContext caller, TopicPartition tp);

  /** The first offset whose timestamp is at or after {@code timestampMs}; empty if none. */
  Future<OptionalLong> offsetForTimestamp(RequestContext caller, TopicPartition tp, long timestampMs);

  /**
   * Kafka's DeleteRecords: deletes every record of {@code tp} below {@code offset} (-1: below the high watermark),
   * which must not pass the high watermark; completes with the low watermark (the smallest log start among the
   * in-sync replicas) once it reaches {@code offset}. Refused for a topic whose {@code cleanup.policy} does not
   * include {@code delete} (POLICY_VIOLATION).
   */
  Future<Long> deleteRecords(RequestContext caller, TopicPartition tp, long offset);

  /** A new idempotent producer's id and epoch, unique across the cluster. */
  Future<ProducerIdentity> initProducerId(RequestContext caller);

  /**
   * Writes {@code marker}'s control batch as the leader of each of its partitions (forwarded to the leader when it
   * is another broker), with acks=all; answers the partitions whose marker was not written, each with its error
   * (an empty map: every marker is written and replicated).
   */
  default Future<Map<TopicPartition, ErrorCode>> writeTxnMarkers(RequestContext caller, TxnMarker marker) {
    return Future.failedFuture(new UnsupportedOperationException("writeTxnMarkers"));
  }

  /** The producers the partition's leader remembers (Kafka's DescribeProducers); forwarded to the leader. */
  default Future<List<ProducerState>> describeProducers(RequestContext caller, TopicPartition tp) {
    return Future.failedFuture(new UnsupportedOperationException("describeProducers"));
  }

  /**
   * An operator's abort of the transaction of {@code producer} open on {@code tp} (Kafka's Admin.abortTransaction,
   * KIP-664): writes an ABORT marker there, so a hanging transaction stops holding the last stable offset back.
   * Fails with the partition's error (INVALID_PRODUCER_EPOCH when the producer moved on to a newer epoch).
   */
  default Future<Void> abortTransaction(RequestContext caller, TopicPartition tp, ProducerIdentity producer,
      int coordinatorEpoch) {
    return writeTxnMarkers(caller, new TxnMarker(producer.producerId(), producer.producerEpoch(), coordinatorEpoch,
        false, List.of(tp))).compose(failed -> failed.isEmpty() ? Future.<Void>succeededFuture()
            : Future.<Void>failedFuture(new SluiceException(failed.get(tp), "The ABORT marker of"
                + " producer " + producer.producerId() + " (epoch " + producer.producerEpoch() + ") was not written to "
                + tp + ": " + failed.get(tp))));
  }

  /** The cluster's id, controller and brokers. */
  Future<ClusterDescription> describeCluster(RequestContext caller);

  /**
   * Kafka's UnregisterBroker ({@code kafka-cluster.sh unregister --id N}): forgets broker {@code brokerId} retired for
   * good, so that it no longer shows in {@link #describeCluster} nor counts towards internal topics' replication
   * factor ({@link ClusterDescription#internalTopicReplicationFactor}). Refused BROKER_STILL_ALIVE while it is
   * registered, BROKER_HOLDS_REPLICAS while a partition names it as a replica, BROKER_ID_NOT_REGISTERED (102) for an
   * id the cluster does not know. Cluster Alter. A broker of that id that starts later is recorded again.
   */
  Future<Void> unregisterBroker(RequestContext caller, int brokerId);

  /**
   * Kafka's AlterPartitionReassignments for one partition: moves {@code tp}'s replicas to {@code target} (the first
   * becomes its preferred leader), replacing a reassignment in progress; {@code null} cancels the one in progress
   * (NO_REASSIGNMENT_IN_PROGRESS if none is). Completes once this broker's metadata shows the reassignment started
   * (or cancelled), with the partition's replicas and reassignment then; the controller completes the move.
   */
  Future<PartitionReassignmentInfo> alterPartitionReassignment(RequestContext caller, TopicPartition tp,
      List<Integer> target);

  /** Kafka's ListPartitionReassignments: every partition with a reassignment in progress. */
  Future<List<PartitionReassignmentInfo>> listPartitionReassignments(RequestContext caller);

  /** Kafka's ElectLeaders: one result per partition of {@code partitions} (empty: every partition of every topic). */
  Future<List<ElectionResult>> electLeaders(RequestContext caller, ElectionType type, List<TopicPartition> partitions);

  /**
   * Why this broker should not be sent traffic now (no ZooKeeper session, rejoining the cluster, no controller), or
   * empty when it may: {@code GET /ready}. Cheap, any thread. Not a default method: a decorator that forgot to
   * delegate it made {@code /ready} answer 200 on a broker without ZooKeeper.
   */
  Optional<String> notReadyReason();

  /**
   * The cluster's ACLs that {@code filter} matches (Kafka's DescribeAcls; Cluster Describe). These three are answered
   * by the caller policy, which holds the authorizer: behind it (and with the authorizer off) they fail
   * SECURITY_DISABLED, as Kafka without an authorizer does.
   */
  default Future<List<AclBinding>> describeAcls(RequestContext caller, AclBindingFilter filter) {
    return Future.failedFuture(securityDisabled());
  }

  /** Adds ACLs (Kafka's CreateAcls; Cluster Alter); completes once this broker applies them. */
  default Future<Void> createAcls(RequestContext caller, List<AclBinding> bindings) {
    return Future.failedFuture(securityDisabled());
  }

  /** Deletes the ACLs {@code filter} matches and answers them (Kafka's DeleteAcls; Cluster Alter). */
  default Future<List<AclBinding>> deleteAcls(RequestContext caller, AclBindingFilter filter) {
    return Future.failedFuture(securityDisabled());
  }

  /**
   * Succeeds when the caller may do {@code op} on the resource, fails with the resource type's AUTHORIZATION_FAILED
   * otherwise: for services outside this contract (Connect's and Streams' APIs) that are guarded by the ACLs too.
   * Always succeeds with the authorizer off.
   */
  default Future<Void> authorize(RequestContext caller, ResourceType type, String name, AclOperation op) {
    return Future.succeededFuture();
  }

  private static SluiceException securityDisabled() {
    return new SluiceException(ErrorCode.SECURITY_DISABLED,
        "ACLs are off on this broker: set authorizer.enable=true to use them");
  }
}
