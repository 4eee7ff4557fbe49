package io.sluice.client;

import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.Map;

/**
 * Topic and cluster administration. Failures carry an {@link io.sluice.errors.SluiceException} with the broker's
 * {@link io.sluice.errors.ErrorCode} (for example TOPIC_ALREADY_EXISTS, UNKNOWN_TOPIC_OR_PARTITION). Thread-safe.
 */
public interface Admin {

  /**
   * Creates a topic; {@code partitions} or {@code replicationFactor} of -1 take the cluster's defaults.
   * Emits the new topic's description.
   */
  Uni<TopicDescription> createTopic(String name, int partitions, int replicationFactor, Map<String, String> configs);

  Uni<Void> deleteTopic(String name);

  Uni<TopicDescription> describeTopic(String name);

  /**
   * Every config of the topic with the value in force and its source (Kafka's {@code describeConfigs} for a topic);
   * fails UNKNOWN_TOPIC_OR_PARTITION for an unknown topic.
   */
  Uni<List<TopicConfig>> describeTopicConfigs(String topic);

  /**
   * Applies {@code changes} to the topic's configs, all or none (Kafka's {@code incrementalAlterConfigs} for one
   * topic); every replica takes them at runtime. Emits every config as it is then. Fails INVALID_CONFIG naming the
   * config (unknown, a bad value, one a live topic cannot take), UNKNOWN_TOPIC_OR_PARTITION, or TOPIC_CONFIG_CONFLICT
   * (retriable).
   */
  default Uni<List<TopicConfig>> alterTopicConfigs(String topic, List<ConfigChange> changes) {
    return alterTopicConfigs(topic, changes, false);
  }

  /**
   * {@link #alterTopicConfigs(String, List)}; with {@code validateOnly} the changes are only checked and the configs
   * emitted as they would be.
   */
  Uni<List<TopicConfig>> alterTopicConfigs(String topic, List<ConfigChange> changes, boolean validateOnly);

  /** Topic names, sorted. */
  Uni<List<String>> listTopics();

  /**
   * The cluster's brokers. When the cluster does not publish its membership ({@code GET /cluster} answers 404),
   * the bootstrap brokers are listed with id -1.
   */
  Uni<ClusterDescription> describeCluster();

  /** A partition's log start offset and end offset (high watermark). */
  Uni<PartitionOffsets> offsets(String topic, int partition);

  /**
   * Creates or replaces {@code user}'s SCRAM credential of {@code mechanism} ({@code SCRAM-SHA-256} or
   * {@code SCRAM-SHA-512}) from {@code password}, salted and hashed {@code iterations} (4096 to 16384) times, as
   * Kafka's {@code Admin.alterUserScramCredentials} upsertion. Super users only while authentication is on.
   */
  Uni<Void> upsertUserScramCredential(String user, String mechanism, int iterations, String password);

  /** Deletes {@code user}'s credential of {@code mechanism} (Kafka's deletion); USER_NOT_FOUND when it has none. */
  Uni<Void> deleteUserScramCredential(String user, String mechanism);

  /**
   * Every user with a credential: user, then mechanism, then iterations (Kafka's
   * {@code describeUserScramCredentials}; never a secret).
   */
  Uni<Map<String, Map<String, Integer>>> describeUserScramCredentials();

  /**
   * Deletes every record of the partition below {@code offset} (-1: below the high watermark), as Kafka's
   * {@code Admin.deleteRecords}; completes with the low watermark, the partition's new log start on every in-sync
   * replica. Fails with OFFSET_OUT_OF_RANGE past the high watermark and POLICY_VIOLATION for a compacted topic.
   */
  Uni<Long> deleteRecords(String topic, int partition, long offset);

  /** Every consumer group with members, commits or instances ({@code GET /consumer-groups}). */
  Uni<List<GroupListing>> listGroups();

  /** Every transactional id of every coordinator (Kafka's listTransactions), sorted by id. */
  default Uni<List<TransactionDescription>> listTransactions() {
    return listTransactions(ListTransactionsOptions.all());
  }

  /** The transactional ids that pass {@code options}' filters (Kafka's listTransactions with options), by id. */
  Uni<List<TransactionDescription>> listTransactions(ListTransactionsOptions options);

  /**
   * The producers the leader of {@code topic}'s {@code partition} remembers, with the start offset of each one's open
   * transaction there (Kafka's describeProducers, KIP-664). Needs Read on the topic.
   */
  Uni<List<ProducerState>> describeProducers(String topic, int partition);

  /**
   * Writes an ABORT marker for the transaction {@code spec} names (Kafka's abortTransaction, KIP-664): how an operator
   * ends a hanging transaction that holds a partition's last stable offset back. Needs Alter (or ClusterAction) on the
   * cluster; fails INVALID_PRODUCER_EPOCH when the producer moved on to a newer epoch there.
   */
  Uni<Void> abortTransaction(AbortTransactionSpec spec);

  /** A transactional id's producer, state and open transaction (Kafka's describeTransactions for one id). */
  Uni<TransactionDescription> describeTransaction(String transactionalId);

  /** A group's state and members; fails with a 404 code for an unknown group. */
  Uni<GroupDescription> describeGroup(String group);

  /**
   * Removes the static members holding {@code groupInstanceIds} (Kafka's {@code removeMembersFromConsumerGroup}):
   * the group rebalances at once instead of waiting for their session timeouts. Fails UNKNOWN_MEMBER_ID when one is
   * not held (the others named before it are removed).
   */
  Uni<Void> removeMembersFromConsumerGroup(String group, List<String> groupInstanceIds);

  /** Committed offset, log end and lag per partition the group has commits on or owns. */
  Uni<List<PartitionLag>> groupLags(String group);

  /** Moves (or with {@link OffsetReset#dryRun()} only reports moving) a memberless group's commits. */
  Uni<List<OffsetReset.Result>> resetGroupOffsets(String group, OffsetReset reset);

  /**
   * Deletes the group's commits on {@code partitions} (Kafka's {@code deleteConsumerGroupOffsets}), so the group starts
   * them at its consumers' {@code auto.offset.reset}. Emits the commits deleted (next offsets; a partition that had
   * none is absent). All or none: fails GROUP_SUBSCRIBED_TO_TOPIC while an active member subscribes to one of their
   * topics, GROUP_ID_NOT_FOUND for an unknown group, UNKNOWN_TOPIC_OR_PARTITION for a partition that neither exists
   * nor has a commit.
   */
  Uni<Map<TopicPartition, Long>> deleteGroupOffsets(String group, List<TopicPartition> partitions);

  /** {@link #deleteGroupOffsets} of every partition the group has a commit on. */
  Uni<Map<TopicPartition, Long>> deleteAllGroupOffsets(String group);

  /**
   * Deletes a group without members with all its commits (Kafka's {@code deleteConsumerGroups}); it is no longer
   * listed, and a group of the same name later starts empty. Fails NON_EMPTY_GROUP while it has members or consumer
   * instances (a {@link GroupConsumer} not yet closed; nothing is deleted), GROUP_ID_NOT_FOUND for an unknown group.
   */
  Uni<Void> deleteGroup(String group);

  /**
   * {@link #deleteGroup} of each group, all at once; emits one {@link GroupDeletion} per group, in the order given,
   * once every group is answered: one group's refusal does not stop the others.
   */
  Uni<List<GroupDeletion>> deleteGroups(List<String> groups);

  /**
   * Adds ACLs, all or none if one is malformed (Kafka's {@code createAcls}); completes once the broker applies them
   * (every broker within moments). Fails CLUSTER_AUTHORIZATION_FAILED without Cluster Alter, SECURITY_DISABLED when
   * the broker's authorizer is off.
   */
  Uni<Void> createAcls(List<AclBinding> bindings);

  /** The ACLs {@code filter} matches (Kafka's {@code describeAcls}; Cluster Describe). */
  Uni<List<AclBinding>> describeAcls(AclBindingFilter filter);

  /** Deletes the ACLs {@code filter} matches and emits them (Kafka's {@code deleteAcls}; Cluster Alter). */
  Uni<List<AclBinding>> deleteAcls(AclBindingFilter filter);

  /**
   * Moves a partition's replicas to {@code target}, the first its preferred leader (Kafka's
   * {@code Admin.alterPartitionReassignments}); replaces one in progress. Emits the reassignment as started; the
   * controller completes it once every target replica is in sync.
   */
  Uni<PartitionReassignment> alterPartitionReassignment(TopicPartition partition, java.util.List<Integer> target);

  /** Cancels a partition's reassignment in progress: back to its original replicas (NO_REASSIGNMENT_IN_PROGRESS). */
  Uni<PartitionReassignment> cancelPartitionReassignment(TopicPartition partition);

  /** Every partition with a reassignment in progress (Kafka's {@code Admin.listPartitionReassignments}). */
  Uni<java.util.List<PartitionReassignment>> listPartitionReassignments();

  /**
   * Elects the leaders of {@code partitions} (empty: every partition), as Kafka's {@code Admin.electLeaders}; emits
   * one result per partition.
   */
  Uni<java.util.List<LeaderElection>> electLeaders(LeaderElection.Type type, java.util.List<TopicPartition> partitions);

  /** The client quotas matching {@code filter} (Kafka's describeClientQuotas), as the broker asked holds them. */
  Uni<List<ClientQuotas.Entry>> describeClientQuotas(ClientQuotas.Filter filter);

  /** Sets and removes client quotas, all or nothing (Kafka's alterClientQuotas); every broker applies them soon after. */
  default Uni<Void> alterClientQuotas(List<ClientQuotas.Alteration> alterations) {
    return alterClientQuotas(alterations, false);
  }

  /** As {@link #alterClientQuotas(List)}; with {@code validateOnly} only checked. */
  Uni<Void> alterClientQuotas(List<ClientQuotas.Alteration> alterations, boolean validateOnly);
}
