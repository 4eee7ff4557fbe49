package io.sluice.api;

import java.io.Serializable;

/** An offset to commit: the next offset the group reads (Kafka's convention) and the client's metadata string. */
public record OffsetCommit(long nextOffset, String metadata) implements Serializable {
  public OffsetCommit {
    if (nextOffset < 0) {
      throw new IllegalArgumentException("a committed offset cannot be negative: " + nextOffset);
    }
    metadata = metadata == null ? "" : metadata;
  }

  /** {@code nextOffsets} as commits with no metadata, in the same order. */
  public static java.util.Map<TopicPartition, OffsetCommit> withoutMetadata(java.util.Map<TopicPartition, Long> next) {
    java.util.Map<TopicPartition, OffsetCommit> out = new java.util.LinkedHashMap<>();
    next.forEach((tp, o) -> out.put(tp, new OffsetCommit(o, "")));
    return out;
  }
}
