package io.sluice.group;

import io.sluice.config.BrokerConfig;

/**
 * Settings of the group coordinator and the consumer instances it hosts.
 *
 * @param offsetsTopicPartitions partitions of {@link OffsetsTopic#NAME} when this broker creates it
 * @param offsetsTopicReplicationFactor its replication factor; -1 takes min(3, brokers the cluster has had)
 * @param minSessionTimeoutMs smallest {@code session.timeout.ms} a consumer may ask for
 * @param maxSessionTimeoutMs largest {@code session.timeout.ms} a consumer may ask for
 * @param defaultSessionTimeoutMs the session timeout of a consumer that names none (clamped to the bounds)
 * @param instanceTimeoutMs a consumer instance unused this long is deleted (it leaves its group)
 * @param offsetsTopicSegmentBytes {@code segment.bytes} of {@link OffsetsTopic#NAME} when this broker creates it
 * @param maxRebalanceTimeoutMs largest rebalance timeout a member of a member-assigned group may ask for: how long
 *     a rebalance may wait for the members to rejoin, and then for the leader's assignment
 * @param maxInstances consumer instances (HTTP and WebSocket) this broker hosts at most: each holds memory until it is
 *     deleted or expires, so a client creating them in a loop must not be able to take the heap
 * @param maxOffsetMetadataBytes the metadata string of a commit may be this many bytes (UTF-8) at most: it is kept in
 *     the coordinator's memory and in the offsets topic for every partition of the group
 * @param maxSubscriptionEntries topics named by the subscriptions and partitions named by the manual assignments of
 *     the instances this broker hosts, in total, at most: each instance could otherwise name as many as its
 *     persisted record holds (about 1 MB), times {@code maxInstances}
 * @param offsetsRetentionMs {@code offsets.retention.minutes} in ms: how long the commits of a group without members
 *     (or of a standalone consumer, from each commit) are kept ({@link OffsetExpiry})
 * @param offsetsRetentionCheckIntervalMs how often the coordinator looks for expired commits and groups
 */
public record GroupConfig(int offsetsTopicPartitions, int offsetsTopicReplicationFactor, long minSessionTimeoutMs,
    long maxSessionTimeoutMs, long defaultSessionTimeoutMs, long instanceTimeoutMs, int offsetsTopicSegmentBytes,
    long maxRebalanceTimeoutMs, int maxInstances, int maxOffsetMetadataBytes, int maxSubscriptionEntries,
    long offsetsRetentionMs, long offsetsRetentionCheckIntervalMs) {

  /** Default {@code group.max.rebalance.timeout.ms}: Kafka's default {@code max.poll.interval.ms}. */
  public static final long DEFAULT_MAX_REBALANCE_TIMEOUT_MS = 300_000;

  /** Default {@code offsets.topic.segment.bytes}: 4 MiB (Kafka: 100 MiB); see {@link OffsetsTopic}. */
  public static final int DEFAULT_OFFSETS_TOPIC_SEGMENT_BYTES = 4 << 20;

  /** Default {@code consumer.max.instances}: about 15 MB of instances. */
  public static final int DEFAULT_MAX_INSTANCES = 10_000;

  /**
   * Default {@code consumer.max.subscription.entries}: a subscribed topic of a 241-character name held about 470
   * bytes of the coordinator's heap (the instance's set and its persisted copy), so about 50 MB at most.
   */
  public static final int DEFAULT_MAX_SUBSCRIPTION_ENTRIES = 100_000;

  /** Kafka's default {@code offset.metadata.max.bytes}. */
  public static final int DEFAULT_MAX_OFFSET_METADATA_BYTES = 4_096;

  /** Kafka's default {@code offsets.retention.minutes}: 7 days. */
  public static final int DEFAULT_OFFSETS_RETENTION_MINUTES = 7 * 24 * 60;

  /** Kafka's default {@code offsets.retention.check.interval.ms}: 10 minutes. */
  public static final long DEFAULT_OFFSETS_RETENTION_CHECK_INTERVAL_MS = 600_000;

  /** Kafka's consumer default for {@code session.timeout.ms}. */
  public static final long KAFKA_DEFAULT_SESSION_TIMEOUT_MS = 45_000;

  public static GroupConfig defaults() {
    return new GroupConfig(8, -1, 6_000, 1_800_000, KAFKA_DEFAULT_SESSION_TIMEOUT_MS, 300_000,
        DEFAULT_OFFSETS_TOPIC_SEGMENT_BYTES,
        DEFAULT_MAX_REBALANCE_TIMEOUT_MS, DEFAULT_MAX_INSTANCES, DEFAULT_MAX_OFFSET_METADATA_BYTES,
        DEFAULT_MAX_SUBSCRIPTION_ENTRIES, DEFAULT_OFFSETS_RETENTION_MINUTES * 60_000L,
        DEFAULT_OFFSETS_RETENTION_CHECK_INTERVAL_MS);
  }

  public static GroupConfig from(BrokerConfig c) {
    long min = c.getLong(BrokerConfig.GROUP_MIN_SESSION_TIMEOUT_MS);
    long max = c.getLong(BrokerConfig.GROUP_MAX_SESSION_TIMEOUT_MS);
    return new GroupConfig(c.getInt(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS),
        c.getInt(BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR), min, max,
        Math.max(min, Math.min(max, KAFKA_DEFAULT_SESSION_TIMEOUT_MS)),
        c.getLong(BrokerConfig.CONSUMER_INSTANCE_TIMEOUT_MS), c.getInt(BrokerConfig.OFFSETS_TOPIC_SEGMENT_BYTES),
        c.getLong(BrokerConfig.GROUP_MAX_REBALANCE_TIMEOUT_MS), c.getInt(BrokerConfig.CONSUMER_MAX_INSTANCES),
        c.getInt(BrokerConfig.OFFSET_METADATA_MAX_BYTES), c.getInt(BrokerConfig.CONSUMER_MAX_SUBSCRIPTION_ENTRIES),
        c.getInt(BrokerConfig.OFFSETS_RETENTION_MINUTES) * 60_000L,
        c.getLong(BrokerConfig.OFFSETS_RETENTION_CHECK_INTERVAL_MS));
  }

  public GroupConfig withSessionTimeouts(long minMs, long maxMs, long defaultMs) {
    return new GroupConfig(offsetsTopicPartitions, offsetsTopicReplicationFactor, minMs, maxMs, defaultMs,
        instanceTimeoutMs, offsetsTopicSegmentBytes, maxRebalanceTimeoutMs, maxInstances, maxOffsetMetadataBytes,
        maxSubscriptionEntries, offsetsRetentionMs, offsetsRetentionCheckIntervalMs);
  }

  public GroupConfig withInstanceTimeoutMs(long ms) {
    return new GroupConfig(offsetsTopicPartitions, offsetsTopicReplicationFactor, minSessionTimeoutMs,
        maxSessionTimeoutMs, defaultSessionTimeoutMs, ms, offsetsTopicSegmentBytes, maxRebalanceTimeoutMs,
        maxInstances, maxOffsetMetadataBytes, maxSubscriptionEntries, offsetsRetentionMs,
        offsetsRetentionCheckIntervalMs);
  }

  public GroupConfig withOffsetsTopicPartitions(int n) {
    return new GroupConfig(n, offsetsTopicReplicationFactor, minSessionTimeoutMs, maxSessionTimeoutMs,
        defaultSessionTimeoutMs, instanceTimeoutMs, offsetsTopicSegmentBytes, maxRebalanceTimeoutMs, maxInstances,
        maxOffsetMetadataBytes, maxSubscriptionEntries, offsetsRetentionMs, offsetsRetentionCheckIntervalMs);
  }

  /** How often session and instance timeouts and subscribed topics' partition counts are checked. */
  public long sweepIntervalMs() {
    return Math.max(50, Math.min(1_000, minSessionTimeoutMs / 4));
  }
}
