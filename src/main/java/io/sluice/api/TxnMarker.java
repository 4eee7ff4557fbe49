package io.sluice.api;

import java.io.Serializable;
import java.util.List;

/**
 * The end of a transaction, written by its coordinator into every partition the transaction wrote to (Kafka's
 * WriteTxnMarkers): a COMMIT or ABORT control batch of the producer's id and epoch.
 */
public record TxnMarker(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
    List<TopicPartition> partitions) implements Serializable {
}
