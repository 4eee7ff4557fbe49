package io.sluice.api;

import java.io.Serializable;
import io.sluice.api.TopicPartition;

/**
 * A long-poll read of one partition.
 *
 * @param readCommitted Kafka's isolation.level read_committed: the read stops at the last stable offset, and the
 *     result names the aborted transactions in its range; false (read_uncommitted) reads to the high watermark
 */
public record FetchRequest(TopicPartition tp, long offset, int maxBytes, int minBytes, long maxWaitMs,
    boolean readCommitted) implements Serializable {
  /** A read_uncommitted read. */
  public FetchRequest(TopicPartition tp, long offset, int maxBytes, int minBytes, long maxWaitMs) {
    this(tp, offset, maxBytes, minBytes, maxWaitMs, false);
  }
}
