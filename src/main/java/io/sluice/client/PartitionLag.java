package io.sluice.client;

/**
 * A group's progress on one partition: the committed offset as Kafka counts it (the next record the group will
 * read, {@code next_offset} of {@code GET /consumer-groups/{g}/lags}; null without a
 * commit), the log end offset and their difference (null when either is unknown).
 */
public record PartitionLag(TopicPartition partition, Long committedOffset, Long logEndOffset, Long lag) {
}
