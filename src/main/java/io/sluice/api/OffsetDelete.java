package io.sluice.api;

import java.io.Serializable;
import java.util.List;

/**
 * Which of a group's commits to delete (Kafka's OffsetDelete): exactly one of {@code topics}, {@code partitions} or
 * {@code all}. A group without a commit on a partition then starts it at its consumers' {@code auto.offset.reset}.
 *
 * @param topics every partition of these topics (and the commits left on partitions of a topic since deleted), or null
 * @param partitions these partitions (each must exist or have a commit), or null
 * @param all every partition the group has a commit on
 */
public record OffsetDelete(List<String> topics, List<TopicPartition> partitions, boolean all)
    implements Serializable {
  public OffsetDelete {
    topics = topics == null ? null : List.copyOf(topics);
    partitions = partitions == null ? null : List.copyOf(partitions);
    if ((topics != null ? 1 : 0) + (partitions != null ? 1 : 0) + (all ? 1 : 0) != 1) {
      throw new IllegalArgumentException("name topics, partitions or all, exactly one of them");
    }
  }

  public static OffsetDelete allCommits() {
    return new OffsetDelete(null, null, true);
  }

  public static OffsetDelete of(List<TopicPartition> partitions) {
    return new OffsetDelete(null, partitions, false);
  }

  /**
   * One partition asked for.
   *
   * @param deletedOffset the commit deleted (the next offset the group would have read), or null: it had none
   */
  public record Outcome(TopicPartition partition, Long deletedOffset) implements Serializable {
  }
}
