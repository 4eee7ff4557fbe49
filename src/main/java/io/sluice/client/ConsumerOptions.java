package io.sluice.client;

import java.util.List;
import java.util.Objects;

/**
 * What a {@link GroupConsumer} subscribes to and how it polls. Mutable while being configured; not thread-safe.
 * Names follow the Kafka consumer's settings they mirror.
 */
public final class ConsumerOptions {
  private final String group;
  private final List<String> topics;
  private boolean fromEarliest = true;
  private boolean enableAutoCommit = true;
  private long autoCommitIntervalMs = 5_000;
  private int fetchMaxBytes = 50 << 20;
  private int maxPartitionFetchBytes = 1 << 20;
  private long fetchMaxWaitMs = 500;
  private long sessionTimeoutMs = 10_000;
  /** Null: a third of the session timeout, whatever it is set to. */
  private Long heartbeatIntervalMs;
  private long maxPollIntervalMs = 300_000;
  private String assignor = "range";
  private String isolationLevel = ReaderOptions.READ_UNCOMMITTED;
  private String groupInstanceId;
  private RebalanceListener listener = new RebalanceListener() { };

  private ConsumerOptions(String group, List<String> topics) {
    this.group = Objects.requireNonNull(group, "group");
    this.topics = List.copyOf(topics);
    if (group.isEmpty() || this.topics.isEmpty()) {
      throw new IllegalArgumentException("a consumer needs a group name and at least one topic");
    }
  }

  /** A consumer of {@code group} subscribed to {@code topics}. */
  public static ConsumerOptions of(String group, List<String> topics) {
    return new ConsumerOptions(group, topics);
  }

  public String group() {
    return group;
  }

  public List<String> topics() {
    return topics;
  }

  /** {@code auto.offset.reset}: where a partition without a commit starts (true: earliest, false: latest). */
  public boolean fromEarliest() {
    return fromEarliest;
  }

  public ConsumerOptions fromEarliest(boolean fromEarliest) {
    this.fromEarliest = fromEarliest;
    return this;
  }

  /** {@code enable.auto.commit}, done by the client with the offsets it handed out (see {@link GroupConsumer}). */
  public boolean enableAutoCommit() {
    return enableAutoCommit;
  }

  public ConsumerOptions enableAutoCommit(boolean enableAutoCommit) {
    this.enableAutoCommit = enableAutoCommit;
    return this;
  }

  /** {@code auto.commit.interval.ms}. */
  public long autoCommitIntervalMs() {
    return autoCommitIntervalMs;
  }

  public ConsumerOptions autoCommitIntervalMs(long autoCommitIntervalMs) {
    this.autoCommitIntervalMs = ClientOptions.positive(autoCommitIntervalMs, "autoCommitIntervalMs");
    return this;
  }

  /**
   * {@code fetch.max.bytes}: the most bytes of records one poll asks for, whatever the partitions (50 MiB, Kafka's
   * default; the broker lowers a larger ask to its {@code http.max.fetch.bytes}, 16 MiB by default).
   */
  public int fetchMaxBytes() {
    return fetchMaxBytes;
  }

  public ConsumerOptions fetchMaxBytes(int fetchMaxBytes) {
    this.fetchMaxBytes = (int) ClientOptions.positive(fetchMaxBytes, "fetchMaxBytes");
    return this;
  }

  /**
   * {@code max.partition.fetch.bytes}: a poll asks this much per partition the consumer owns (1 MiB, Kafka's default),
   * within {@link #fetchMaxBytes()}; so a member of many partitions reads them in as few polls as a member of one
   * reads its one. Before its first answer names the assignment, a poll asks for one partition's share.
   */
  public int maxPartitionFetchBytes() {
    return maxPartitionFetchBytes;
  }

  public ConsumerOptions maxPartitionFetchBytes(int maxPartitionFetchBytes) {
    this.maxPartitionFetchBytes = (int) ClientOptions.positive(maxPartitionFetchBytes, "maxPartitionFetchBytes");
    return this;
  }

  /** How long the broker holds a poll that finds nothing (long poll); bounded by the broker's maximum. */
  public long fetchMaxWaitMs() {
    return fetchMaxWaitMs;
  }

  public ConsumerOptions fetchMaxWaitMs(long fetchMaxWaitMs) {
    if (fetchMaxWaitMs < 0) {
      throw new IllegalArgumentException("fetchMaxWaitMs must not be negative, got " + fetchMaxWaitMs);
    }
    this.fetchMaxWaitMs = fetchMaxWaitMs;
    return this;
  }

  /**
   * {@code session.timeout.ms}: a member the broker hears nothing from (no poll, no heartbeat) for this long is removed
   * from the group. Must be above {@link #heartbeatIntervalMs()} when that is set.
   */
  public long sessionTimeoutMs() {
    return sessionTimeoutMs;
  }

  public ConsumerOptions sessionTimeoutMs(long sessionTimeoutMs) {
    ClientOptions.positive(sessionTimeoutMs, "sessionTimeoutMs");
    if (heartbeatIntervalMs != null) {
      checkHeartbeat(heartbeatIntervalMs, sessionTimeoutMs);
    }
    this.sessionTimeoutMs = sessionTimeoutMs;
    return this;
  }

  /**
   * {@code heartbeat.interval.ms}: how often the consumer tells the group it is alive while it is not polling (a
   * busy application, or a subscriber with no demand), so that the group keeps its partitions with it. Defaults to a
   * third of {@link #sessionTimeoutMs()}; must be below it.
   */
  public long heartbeatIntervalMs() {
    return heartbeatIntervalMs != null ? heartbeatIntervalMs : Math.max(1, sessionTimeoutMs / 3);
  }

  public ConsumerOptions heartbeatIntervalMs(long heartbeatIntervalMs) {
    ClientOptions.positive(heartbeatIntervalMs, "heartbeatIntervalMs");
    checkHeartbeat(heartbeatIntervalMs, sessionTimeoutMs);
    this.heartbeatIntervalMs = heartbeatIntervalMs;
    return this;
  }

  private static void checkHeartbeat(long heartbeatIntervalMs, long sessionTimeoutMs) {
    if (heartbeatIntervalMs >= sessionTimeoutMs) {
      throw new IllegalArgumentException("heartbeatIntervalMs (" + heartbeatIntervalMs + ") must be below "
          + "sessionTimeoutMs (" + sessionTimeoutMs + "): the group would drop the member between two heartbeats");
    }
  }

  /**
   * {@code max.poll.interval.ms}: once the application has neither asked for records nor taken any for this long
   * (checked every {@link #heartbeatIntervalMs()}), the consumer leaves the group, as Kafka's does when its poll
   * timeout expires: its partitions go to the other members, and its next request rejoins (an explicit commit in
   * between fails with {@link CommitFailedException}). Default 300,000 (five minutes).
   */
  public long maxPollIntervalMs() {
    return maxPollIntervalMs;
  }

  public ConsumerOptions maxPollIntervalMs(long maxPollIntervalMs) {
    this.maxPollIntervalMs = ClientOptions.positive(maxPollIntervalMs, "maxPollIntervalMs");
    return this;
  }

  /** {@code partition.assignment.strategy}: range, roundrobin or sticky. */
  public String assignor() {
    return assignor;
  }

  public ConsumerOptions assignor(String assignor) {
    this.assignor = Objects.requireNonNull(assignor, "assignor");
    return this;
  }

  /**
   * {@code group.instance.id} (Kafka's KIP-345): makes the consumer a static member. A consumer started again with
   * the same id within {@link #sessionTimeoutMs()} of the last one's close (or crash) gets its partitions back and
   * the group does not rebalance; two consumers running with one id fence the older (FENCED_INSTANCE_ID). Null
   * (the default): a dynamic member.
   */
  public String groupInstanceId() {
    return groupInstanceId;
  }

  public ConsumerOptions groupInstanceId(String groupInstanceId) {
    this.groupInstanceId = groupInstanceId;
    return this;
  }

  public RebalanceListener rebalanceListener() {
    return listener;
  }

  public ConsumerOptions rebalanceListener(RebalanceListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /**
   * Kafka's {@code isolation.level}: {@link ReaderOptions#READ_UNCOMMITTED} (the default) reads every record to the
   * high watermark; {@link ReaderOptions#READ_COMMITTED} reads to the last stable offset and never delivers a record
   * of an aborted transaction (the broker leaves them out of the group's polls).
   */
  public String isolationLevel() {
    return isolationLevel;
  }

  public ConsumerOptions isolationLevel(String isolationLevel) {
    this.isolationLevel = ReaderOptions.checkIsolationLevel(isolationLevel);
    return this;
  }
}
