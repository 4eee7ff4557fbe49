package io.sluice.api;

import java.io.Serializable;
import java.util.List;

/**
 * A transactional id as its coordinator knows it (Kafka's DescribeTransactions; ListTransactions answers the same
 * for every id).
 *
 * @param state Kafka's name: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort
 * @param transactionStartTimeMs when the ongoing (or last) transaction added its first partition; -1 if none did
 * @param partitions the partitions the ongoing transaction wrote to (empty once it completed)
 */
public record TransactionDescription(String transactionalId, int coordinatorId, String state, long producerId,
    short producerEpoch, long transactionTimeoutMs, long transactionStartTimeMs, List<TopicPartition> partitions)
    implements Serializable {
}
