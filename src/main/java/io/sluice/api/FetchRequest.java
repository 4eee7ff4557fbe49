package io.sluice.api;

import java.io.Serializable;
import io.sluice.api.TopicPartition;

/**
 * A long-poll read of one partition.
 *
 * @param clientRack the consumer's {@code client.rack} (KIP-392), null when it gave none: with the broker's
 *     {@code replica.selector.class} Kafka's RackAwareReplicaSelector, an in-sync follower of that rack may answer
 */
public record FetchRequest(TopicPartition tp, long offset, int maxBytes, int minBytes, long maxWaitMs,
    String clientRack) implements Serializable {

  /** A read for a consumer without a rack: the leader answers. */
  public FetchRequest(TopicPartition tp, long offset, int maxBytes, int minBytes, long maxWaitMs) {
    this(tp, offset, maxBytes, minBytes, maxWaitMs, null);
  }
}
