package io.sluice.record;

import java.io.Serializable;

/**
 * An aborted transaction of one partition (Kafka's transaction index entry): its producer, the offset of its first
 * batch here, the offset of its ABORT marker, and the partition's last stable offset once the marker was written. A
 * read_committed reader drops the producer's records from {@code firstOffset} up to the marker (Kafka's
 * FetchResponse.AbortedTransactions carries the producer id and first offset). Serializable: a fetch result carries
 * them to the broker a read was forwarded from.
 */
public record AbortedTransaction(long producerId, long firstOffset, long lastOffset, long lastStableOffset)
    implements Serializable {
}
