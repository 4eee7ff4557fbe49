package io.sluice.client;

import java.util.Objects;

/**
 * What a {@link PartitionReader} reads and how much per request. Mutable while being configured; not thread-safe.
 */
public final class ReaderOptions {
  private final String topic;
  private final int partition;
  private StartPosition start = StartPosition.beginning();
  private int fetchMaxBytes = 1 << 20;
  private long fetchMaxWaitMs = 500;
  private String isolationLevel = READ_UNCOMMITTED;

  /** Kafka's {@code isolation.level} values: every record up to the high watermark (the default, as Kafka's). */
  public static final String READ_UNCOMMITTED = "read_uncommitted";
  /** Only committed transactions' records (and plain ones), up to the last stable offset. */
  public static final String READ_COMMITTED = "read_committed";

  private ReaderOptions(String topic, int partition) {
    this.topic = Objects.requireNonNull(topic, "topic");
    if (partition < 0) {
      throw new IllegalArgumentException("partition must not be negative, got " + partition);
    }
    this.partition = partition;
  }

  public static ReaderOptions of(String topic, int partition) {
    return new ReaderOptions(topic, partition);
  }

  public String topic() {
    return topic;
  }

  public int partition() {
    return partition;
  }

  public StartPosition start() {
    return start;
  }

  public ReaderOptions start(StartPosition start) {
    this.start = Objects.requireNonNull(start, "start");
    return this;
  }

  /** The most bytes of batches one fetch asks for (at least one batch is always returned). */
  public int fetchMaxBytes() {
    return fetchMaxBytes;
  }

  public ReaderOptions fetchMaxBytes(int fetchMaxBytes) {
    this.fetchMaxBytes = (int) ClientOptions.positive(fetchMaxBytes, "fetchMaxBytes");
    return this;
  }

  /** How long the broker holds a fetch that finds nothing new before answering empty (long poll). */
  public long fetchMaxWaitMs() {
    return fetchMaxWaitMs;
  }

  public ReaderOptions fetchMaxWaitMs(long fetchMaxWaitMs) {
    if (fetchMaxWaitMs < 0) {
      throw new IllegalArgumentException("fetchMaxWaitMs must not be negative, got " + fetchMaxWaitMs);
    }
    this.fetchMaxWaitMs = fetchMaxWaitMs;
    return this;
  }

  /** Kafka's {@code isolation.level}: {@link #READ_UNCOMMITTED} (the default) or {@link #READ_COMMITTED}. */
  public String isolationLevel() {
    return isolationLevel;
  }

  public ReaderOptions isolationLevel(String isolationLevel) {
    this.isolationLevel = checkIsolationLevel(isolationLevel);
    return this;
  }

  /** Whether the reader reads committed records only. */
  public boolean readCommitted() {
    return READ_COMMITTED.equals(isolationLevel);
  }

  /** {@code level} if it is one of Kafka's two isolation levels, else IllegalArgumentException. */
  static String checkIsolationLevel(String level) {
    if (!READ_COMMITTED.equals(level) && !READ_UNCOMMITTED.equals(level)) {
      throw new IllegalArgumentException("isolation.level must be read_committed or read_uncommitted, got " + level);
    }
    return level;
  }
}
