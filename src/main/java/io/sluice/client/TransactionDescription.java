package io.sluice.client;

import java.util.List;

/**
 * A transactional id as its coordinator knows it (Kafka's {@code TransactionDescription}; the listing fills
 * {@code transactionalId}, {@code producerId}, {@code state} and {@code coordinatorId} only).
 *
 * @param state Kafka's name: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort
 * @param transactionStartTimeMs when the open (or last) transaction added its first partition; -1 if none did
 * @param partitions the partitions of the open transaction
 */
public record TransactionDescription(String transactionalId, int coordinatorId, String state, long producerId,
    int producerEpoch, long transactionTimeoutMs, long transactionStartTimeMs, List<TopicPartition> partitions) {
}
