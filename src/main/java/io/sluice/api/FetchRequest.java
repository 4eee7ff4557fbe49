package io.sluice.api;

import java.io.Serializable;
import io.sluice.api.TopicPartition;

/**
 * A long-poll read of one partition.
 *
 * @param readCommitted Kafka's isolation.level read_committed: the read stops at the last stable offset, and the
 *     result names the aborted transactions in its range; false (read_uncommitted) reads to the high watermark
 * @param clientRack the consumer's {@code client.rack} (KIP-392), null when it gave none: with the broker's
 *     {@code replica.selector.class} Kafka's RackAwareReplicaSelector, an in-sync follower of that rack may answer
 *     a read_uncommitted read
 */
public record FetchRequest(TopicPartition tp, long offset, int maxBytes, int minBytes, long maxWaitMs,
    boolean readCommitted, String clientRack) implements Serializable {

  /** A read_uncommitted read for a consumer without a rack: the leader answers. */
  public FetchRequest(TopicPartition tp, long offset, int maxBytes, int minBytes, long maxWaitMs) {
    this(tp, offset, maxBytes, minBytes, maxWaitMs, false, null);
  }

  /** A read for a consumer without a rack. */
  public FetchRequest(TopicPartition tp, long offset, int maxBytes, int minBytes, long maxWaitMs,
      boolean readCommitted) {
    this(tp, offset, maxBytes, minBytes, maxWaitMs, readCommitted, null);
  }

  /** A read_uncommitted read for a consumer in {@code clientRack} (null: none). */
  public FetchRequest(TopicPartition tp, long offset, int maxBytes, int minBytes, long maxWaitMs,
      String clientRack) {
    this(tp, offset, maxBytes, minBytes, maxWaitMs, false, clientRack);
  }
}
