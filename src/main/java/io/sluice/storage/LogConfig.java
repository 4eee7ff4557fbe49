package io.sluice.storage;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A partition log's settings, under Kafka's topic-level names (the broker-level defaults carry a {@code log.}
 * prefix). Immutable.
 *
 * <p>Durability default: {@code flush.messages} and {@code flush.ms} are unset (never), as in Kafka: appends
 * reach the OS page cache and are fsynced when a segment rolls, at clean shutdown and on {@link
 * PartitionLog#flush()}. A process crash ({@code kill -9}) loses nothing that was appended; a power loss can
 * lose what was written since the last fsync on this replica (up to a whole active segment, {@code
 * segment.bytes}), which replication to other brokers covers. Recovery then cuts the log back to its last
 * valid batch. Set {@code flush.messages} or {@code flush.ms} to bound that loss on a single replica.
 *
 * @param segmentBytes {@code segment.bytes}: roll the active segment before it would exceed this size
 * @param segmentMs {@code segment.ms}: roll once the active segment's first batch is older than this
 * @param indexIntervalBytes {@code index.interval.bytes}: bytes of log between two offset index entries
 * @param maxMessageBytes {@code max.message.bytes}: the largest batch accepted
 * @param retentionMs {@code retention.ms}: delete segments whose newest record is older; -1 keeps forever
 * @param retentionBytes {@code retention.bytes}: delete oldest segments while the log is larger; -1 no limit
 * @param flushMessages {@code flush.messages}: fsync after this many records; Long.MAX_VALUE never
 * @param flushMs {@code flush.ms}: fsync when the last fsync is older than this; Long.MAX_VALUE never
 * @param fileDeleteDelayMs {@code file.delete.delay.ms}: how long a deleted segment's channel stays open
 * @param compact {@code cleanup.policy} contains {@code compact}: {@link LogCleaner} keeps only the latest record
 *     per key in closed segments, and the log tolerates the offset gaps this leaves (recovery, follower appends)
 * @param deleteRetentionMs {@code delete.retention.ms}: how long a tombstone (null value) outlives the records it
 *     deletes before the cleaner drops it, measured from the tombstone's timestamp
 * @param producerIdExpirationMs {@code producer.id.expiration.ms} (a broker setting in Kafka): an idempotent
 *     producer that has not appended to the partition for this long is forgotten (see {@link ProducerStateTracker})
 * @param producerIdMaxPerPartition {@code producer.id.max.per.partition} (Sluice's own, a broker setting): the
 *     idempotent producers a partition remembers at most, so that batches stamped with ever new producer ids cannot
 *     fill the heap; a leader refuses a batch that would add one more, a follower or a rebuild forgets the idlest
 * @param timestamps {@code message.timestamp.type}, {@code message.timestamp.before.max.ms} and
 *     {@code message.timestamp.after.max.ms}: checked, or stamped, by a leader as it appends
 * @param compressionType {@code compression.type}: {@code producer} keeps each batch's codec, {@code uncompressed},
 *     {@code gzip}, {@code snappy}, {@code lz4} or {@code zstd} has a leader recompress batches in another codec
 * @param minCompactionLagMs {@code min.compaction.lag.ms}: a segment holding a record younger than this is not
 *     compacted (nor is any after it), so a consumer within that lag of the head sees every update
 * @param maxCompactionLagMs {@code max.compaction.lag.ms}: a compacted log's active segment rolls once its first
 *     record is this old, so no record waits longer than this (plus a cleaner pass) to be compacted
 */
public record LogConfig(int segmentBytes, long segmentMs, int indexIntervalBytes, int maxMessageBytes,
    long retentionMs, long retentionBytes, long flushMessages, long flushMs, long fileDeleteDelayMs,
    boolean compact, long deleteRetentionMs, long producerIdExpirationMs, int producerIdMaxPerPartition,
    MessageTimestamps timestamps, String compressionType, long minCompactionLagMs, long maxCompactionLagMs) {

  public static final String COMPRESSION_TYPE = "compression.type";
  /** Kafka's topic-level values: the broker keeps the producer's codec, or writes every batch in one. */
  public static final List<String> COMPRESSION_TYPES = List.of("producer", "uncompressed",
      "gzip", "snappy", "lz4", "zstd");

  /** Kafka's {@code delete.retention.ms} default: one day. */
  public static final long DEFAULT_DELETE_RETENTION_MS = 24L * 3600 * 1000;
  /** Kafka's {@code producer.id.expiration.ms} default: one day. */
  public static final long DEFAULT_PRODUCER_ID_EXPIRATION_MS = 24L * 3600 * 1000;
  /**
   * About 4 to 8 MiB of heap per partition when full (some 220 bytes a producer with one remembered batch, 400 with
   * five); a new producer id every 4 seconds for a whole {@code producer.id.expiration.ms} on one partition.
   */
  public static final int DEFAULT_PRODUCER_ID_MAX_PER_PARTITION = 20_000;

  public static final LogConfig DEFAULT = new LogConfig(1 << 30, 7L * 24 * 3600 * 1000, 4096, 1_048_588,
      7L * 24 * 3600 * 1000, -1L, Long.MAX_VALUE, Long.MAX_VALUE, 60_000L);

  /** A {@code cleanup.policy=delete} config (no compaction), tombstones kept {@link #DEFAULT_DELETE_RETENTION_MS}. */
  public LogConfig(int segmentBytes, long segmentMs, int indexIntervalBytes, int maxMessageBytes, long retentionMs,
      long retentionBytes, long flushMessages, long flushMs, long fileDeleteDelayMs) {
    this(segmentBytes, segmentMs, indexIntervalBytes, maxMessageBytes, retentionMs, retentionBytes, flushMessages,
        flushMs, fileDeleteDelayMs, false, DEFAULT_DELETE_RETENTION_MS, DEFAULT_PRODUCER_ID_EXPIRATION_MS);
  }

  /** With at most {@link #DEFAULT_PRODUCER_ID_MAX_PER_PARTITION} producers remembered per partition. */
  public LogConfig(int segmentBytes, long segmentMs, int indexIntervalBytes, int maxMessageBytes, long retentionMs,
      long retentionBytes, long flushMessages, long flushMs, long fileDeleteDelayMs, boolean compact,
      long deleteRetentionMs, long producerIdExpirationMs) {
    this(segmentBytes, segmentMs, indexIntervalBytes, maxMessageBytes, retentionMs, retentionBytes, flushMessages,
        flushMs, fileDeleteDelayMs, compact, deleteRetentionMs, producerIdExpirationMs,
        DEFAULT_PRODUCER_ID_MAX_PER_PARTITION);
  }

  /** With Kafka's default {@link MessageTimestamps}. */
  public LogConfig(int segmentBytes, long segmentMs, int indexIntervalBytes, int maxMessageBytes, long retentionMs,
      long retentionBytes, long flushMessages, long flushMs, long fileDeleteDelayMs, boolean compact,
      long deleteRetentionMs, long producerIdExpirationMs, int producerIdMaxPerPartition) {
    this(segmentBytes, segmentMs, indexIntervalBytes, maxMessageBytes, retentionMs, retentionBytes, flushMessages,
        flushMs, fileDeleteDelayMs, compact, deleteRetentionMs, producerIdExpirationMs, producerIdMaxPerPartition,
        MessageTimestamps.DEFAULT, "producer", 0L, Long.MAX_VALUE);
  }

  /** This config with at most {@code max} idempotent producers remembered per partition. */
  public LogConfig withProducerIdMaxPerPartition(int max) {
    return new LogConfig(segmentBytes, segmentMs, indexIntervalBytes, maxMessageBytes, retentionMs, retentionBytes,
        flushMessages, flushMs, fileDeleteDelayMs, compact, deleteRetentionMs, producerIdExpirationMs, max,
        timestamps, compressionType, minCompactionLagMs, maxCompactionLagMs);
  }

  public LogConfig {
    if (segmentBytes < 1024) {
      throw new IllegalArgumentException("segment.bytes must be at least 1024: " + segmentBytes);
    }
    if (segmentMs <= 0 || indexIntervalBytes <= 0 || maxMessageBytes <= 0 || flushMessages <= 0 || flushMs <= 0) {
      throw new IllegalArgumentException("segment.ms, index.interval.bytes, max.message.bytes, flush.messages and"
          + " flush.ms must be positive");
    }
    if (deleteRetentionMs < 0 || producerIdExpirationMs <= 0) {
      throw new IllegalArgumentException("delete.retention.ms must not be negative (" + deleteRetentionMs
          + ") and producer.id.expiration.ms must be positive (" + producerIdExpirationMs + ")");
    }
    Objects.requireNonNull(timestamps, "timestamps");
    if (minCompactionLagMs < 0 || maxCompactionLagMs < 1 || minCompactionLagMs > maxCompactionLagMs) {
      throw new IllegalArgumentException("min.compaction.lag.ms (" + minCompactionLagMs + ") must be at least 0 and"
          + " at most max.compaction.lag.ms (" + maxCompactionLagMs + "), which must be at least 1");
    }
    if (!COMPRESSION_TYPES.contains(compressionType)) {
      throw new IllegalArgumentException(COMPRESSION_TYPE + " must be one of " + COMPRESSION_TYPES + ", got '"
          + compressionType + "'");
    }
    if (producerIdMaxPerPartition <= 0) {
      throw new IllegalArgumentException("producer.id.max.per.partition must be positive: " + producerIdMaxPerPartition);
    }
  }

  /**
   * Overrides this config's values with those named in {@code props} (topic-level names such as
   * {@code segment.bytes}); unknown keys are ignored here, the broker validates them.
   */
  public LogConfig with(Map<String, ?> props) {
    Object policy = props.get("cleanup.policy");
    boolean compactNow = policy == null ? compact : policy.toString().contains("compact");
    // Kafka: with cleanup.policy=compact alone nothing is deleted by age or size; "compact,delete" does both.
    boolean deleteToo = policy == null || policy.toString().contains("delete");
    return new LogConfig(
        (int) num(props, "segment.bytes", segmentBytes),
        num(props, "segment.ms", segmentMs),
        (int) num(props, "index.interval.bytes", indexIntervalBytes),
        (int) num(props, "max.message.bytes", maxMessageBytes),
        deleteToo ? num(props, "retention.ms", retentionMs) : -1L,
        deleteToo ? num(props, "retention.bytes", retentionBytes) : -1L,
        num(props, "flush.messages", flushMessages),
        num(props, "flush.ms", flushMs),
        num(props, "file.delete.delay.ms", fileDeleteDelayMs),
        compactNow,
        num(props, "delete.retention.ms", deleteRetentionMs),
        producerIdExpirationMs, producerIdMaxPerPartition, timestampsWith(props),
        props.containsKey(COMPRESSION_TYPE) ? props.get(COMPRESSION_TYPE).toString().trim() : compressionType,
        num(props, "min.compaction.lag.ms", minCompactionLagMs),
        num(props, "max.compaction.lag.ms", maxCompactionLagMs));
  }

  /**
   * How old the active segment may grow before it rolls: {@code segment.ms}, and for a compacted log at most
   * {@code max.compaction.lag.ms} (Kafka's {@code maxSegmentMs}).
   */
  public long rollAgeMs() {
    return compact ? Math.min(segmentMs, maxCompactionLagMs) : segmentMs;
  }

  /** The codec a leader writes every batch in; null for {@code producer} (each batch as it came). */
  public io.sluice.record.CompressionType recompressTo() {
    return switch (compressionType) {
      case "producer" -> null;
      case "uncompressed" -> io.sluice.record.CompressionType.NONE;
      default -> io.sluice.record.CompressionType.forName(compressionType);
    };
  }

  private MessageTimestamps timestampsWith(Map<String, ?> props) {
    Object type = props.get(MessageTimestamps.TYPE);
    return new MessageTimestamps(type == null ? timestamps.type() : MessageTimestamps.parseType(type.toString()),
        num(props, MessageTimestamps.BEFORE_MAX_MS, timestamps.beforeMaxMs()),
        num(props, MessageTimestamps.AFTER_MAX_MS, timestamps.afterMaxMs()));
  }

  private static long num(Map<String, ?> props, String key, long dflt) {
    Object v = props.get(key);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Number n) {
      return n.longValue();
    }
    try {
      return Long.parseLong(v.toString().trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("Configuration " + key + " must be a number, got '" + v + "'", e);
    }
  }
}
