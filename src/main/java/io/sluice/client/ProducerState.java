package io.sluice.client;

/**
 * A producer as a partition's leader remembers it (Kafka's {@code ProducerState}, from
 * {@link Admin#describeProducers}).
 *
 * @param lastSequence the last sequence written here in the producer's epoch; -1 if none
 * @param lastAppendTimeMs the leader's clock at the producer's last append here (Kafka's lastTimestamp is the batch's)
 * @param currentTransactionStartOffset the first offset of the producer's open transaction here; -1 if none
 * @param coordinatorEpoch the coordinator epoch of the producer's last transaction marker here; -1 if none
 */
public record ProducerState(long producerId, int producerEpoch, long lastSequence, long lastAppendTimeMs,
    long currentTransactionStartOffset, int coordinatorEpoch) {
}
