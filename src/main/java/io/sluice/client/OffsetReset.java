package io.sluice.client;

import java.util.List;
import java.util.Objects;

/**
 * What {@link Admin#resetGroupOffsets} moves a group's commits to: the earliest or latest offset, an exact offset,
 * or the first record at or after a timestamp; on the given topics (empty: every topic the group has commits on), or
 * on the given partitions only.
 * A dry run only reports. The broker refuses a reset of a group with members (NON_EMPTY_GROUP).
 */
public record OffsetReset(To to, long value, List<String> topics, List<TopicPartition> partitions, boolean dryRun) {
  /** The kind of target; {@code value} is the offset or timestamp for OFFSET and TIMESTAMP. */
  public enum To { EARLIEST, LATEST, OFFSET, TIMESTAMP }

  public OffsetReset {
    Objects.requireNonNull(to, "to");
    topics = List.copyOf(topics);
    partitions = List.copyOf(partitions);
    if (!topics.isEmpty() && !partitions.isEmpty()) {
      throw new IllegalArgumentException("a reset names topics or partitions, not both");
    }
  }

  public static OffsetReset earliest() {
    return new OffsetReset(To.EARLIEST, 0, List.of(), List.of(), false);
  }

  public static OffsetReset latest() {
    return new OffsetReset(To.LATEST, 0, List.of(), List.of(), false);
  }

  public static OffsetReset toOffset(long offset) {
    return new OffsetReset(To.OFFSET, offset, List.of(), List.of(), false);
  }

  public static OffsetReset toTimestamp(long timestampMs) {
    return new OffsetReset(To.TIMESTAMP, timestampMs, List.of(), List.of(), false);
  }

  /** The same reset limited to {@code topics}. */
  public OffsetReset onTopics(List<String> topics) {
    return new OffsetReset(to, value, topics, partitions, dryRun);
  }

  /** The same reset limited to {@code partitions} (each must exist, or the broker answers 404). */
  public OffsetReset onPartitions(List<TopicPartition> partitions) {
    return new OffsetReset(to, value, topics, partitions, dryRun);
  }

  /** The same reset as a dry run: the broker reports what would change and changes nothing. */
  public OffsetReset asDryRun() {
    return new OffsetReset(to, value, topics, partitions, true);
  }

  /**
   * One partition's outcome: the commit before (null if none), the commit after, and how many records the group
   * skips or reads again because of it.
   */
  public record Result(TopicPartition partition, Long currentOffset, long newOffset, long recordsSkipped,
      long recordsReplayed) {
  }
}
