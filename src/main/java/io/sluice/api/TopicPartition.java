package io.sluice.api;

import java.io.Serializable;
import java.util.Objects;

/** A partition's identity: its topic name and its index in the topic. Immutable. */
public record TopicPartition(String topic, int partition) implements Serializable {
  public TopicPartition {
    Objects.requireNonNull(topic, "topic");
    if (partition < 0) {
      throw new IllegalArgumentException("partition must be >= 0: " + partition);
    }
  }

  /** The directory name of this partition's log under the data directory: {@code <topic>-<partition>}. */
  public String dirName() {
    return topic + "-" + partition;
  }

  @Override
  public String toString() {
    return dirName();
  }
}
