package io.sluice.api;

import java.io.Serializable;

/**
 * An idempotent or transactional producer as a partition's leader remembers it (Kafka's DescribeProducers, KIP-664):
 * how an operator finds the producer whose open transaction holds a partition's last stable offset back.
 *
 * @param lastSequence the last sequence number written by the producer here; -1 if none in its current epoch
 * @param lastAppendTimeMs the leader's clock at the producer's last append here (after a restart: the time the
 *     state was read back); Kafka's lastTimestamp is the batch's own timestamp instead
 * @param currentTransactionStartOffset the first offset of the producer's open transaction here; -1 if none
 * @param coordinatorEpoch the coordinator epoch of the producer's last transaction marker here; -1 if none
 */
public record ProducerState(long producerId, short producerEpoch, long lastSequence, long lastAppendTimeMs,
    long currentTransactionStartOffset, int coordinatorEpoch) implements Serializable {
}
