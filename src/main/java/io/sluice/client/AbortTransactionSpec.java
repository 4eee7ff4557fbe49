package io.sluice.client;

/**
 * Kafka's {@code AbortTransactionSpec}: the transaction of producer {@code producerId} at {@code producerEpoch} open
 * on {@code partition}, as {@link Admin#describeProducers} shows it, for {@link Admin#abortTransaction}.
 *
 * @param coordinatorEpoch written into the ABORT marker (0 when unknown)
 */
public record AbortTransactionSpec(TopicPartition partition, long producerId, int producerEpoch,
    int coordinatorEpoch) {
}
