package io.sluice.api;

import java.io.Serializable;
import java.util.List;

/**
 * Where to move a member-less group's commits.
 *
 * @param to {@code earliest}, {@code latest}, {@code offset} (clamped into the log) or {@code timestamp} (the first
 *     record at or after it, the end if none)
 * @param offset for {@code offset}; -1 otherwise
 * @param timestampMs for {@code timestamp}; -1 otherwise
 * @param topics the topics to reset (every partition), or null for the partitions with commits
 * @param partitions the partitions to reset instead (Kafka's {@code --topic t:0,1}), or null
 * @param dryRun plan only, write nothing
 */
public record OffsetReset(String to, long offset, long timestampMs, List<String> topics,
    List<TopicPartition> partitions, boolean dryRun) implements Serializable {
  public OffsetReset {
    topics = topics == null ? null : List.copyOf(topics);
    partitions = partitions == null ? null : List.copyOf(partitions);
  }

  /**
   * What a reset did (or would do) to one partition.
   *
   * @param currentOffset the commit before (next offset to read), or null without one
   */
  public record Outcome(TopicPartition partition, Long currentOffset, long newOffset, long recordsSkipped,
      long recordsReplayed) implements Serializable {
  }
}
