package io.sluice.client;

import java.util.Objects;

/**
 * A group's commit of one partition: the last record processed (the group resumes after it) and a free metadata
 * string kept with it (Kafka's {@code OffsetAndMetadata}, whose offset is the next one to read: here one less). The
 * broker bounds the metadata by {@code offset.metadata.max.bytes}. Immutable.
 */
public record OffsetCommit(long lastProcessed, String metadata) {
  public OffsetCommit {
    if (lastProcessed < 0) {
      throw new IllegalArgumentException("lastProcessed must not be negative, got " + lastProcessed);
    }
    Objects.requireNonNull(metadata, "metadata");
  }

  /** A commit without metadata (the empty string, as Kafka's). */
  public static OffsetCommit of(long lastProcessed) {
    return new OffsetCommit(lastProcessed, "");
  }
}
