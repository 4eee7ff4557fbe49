package io.sluice.api;

import java.io.Serializable;
import java.util.List;

/**
 * The outcome of a produce to one partition: the base offset of each appended batch, in request order. With
 * acks=0 the offsets are unknown and the list is empty. {@code logAppendTimeMs} is the time the leader stamped on the
 * batches when the topic's {@code message.timestamp.type} is LogAppendTime, else -1 (Kafka's produce answer).
 */
public record ProduceResult(List<Long> batchBaseOffsets, long logAppendTimeMs) implements Serializable {
}
