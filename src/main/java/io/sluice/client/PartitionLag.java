package io.sluice.client;

/**
 * A group's progress on one partition: the committed offset (the next record the group will read; null without a
 * commit), the log end offset and their difference (null when either is unknown).
 */
public record PartitionLag(TopicPartition partition, Long committedOffset, Long logEndOffset, Long lag) {
}
