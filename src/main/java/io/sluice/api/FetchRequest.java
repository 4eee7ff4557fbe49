package io.sluice.api;

import java.io.Serializable;
import io.sluice.api.TopicPartition;

/** A long-poll read of one partition. */
public record FetchRequest(TopicPartition tp, long offset, int maxBytes, int minBytes, long maxWaitMs) implements Serializable {
}
