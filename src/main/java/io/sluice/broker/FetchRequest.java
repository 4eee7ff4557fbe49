package io.sluice.broker;

import io.sluice.storage.TopicPartition;

/** A long-poll read of one partition. */
public record FetchRequest(TopicPartition tp, long offset, int maxBytes, int minBytes, long maxWaitMs) {
}
