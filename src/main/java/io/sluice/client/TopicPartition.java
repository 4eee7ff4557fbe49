package io.sluice.client;

import java.util.Objects;

/** A partition of a topic, as the group consumer and the group admin calls name it. Immutable. */
public record TopicPartition(String topic, int partition) {
  public TopicPartition {
    Objects.requireNonNull(topic, "topic");
    if (partition < 0) {
      throw new IllegalArgumentException("partition must not be negative, got " + partition);
    }
  }

  @Override
  public String toString() {
    return topic + "-" + partition;
  }
}
