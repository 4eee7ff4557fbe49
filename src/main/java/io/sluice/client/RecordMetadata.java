package io.sluice.client;

/**
 * Where a sent record was written: its partition and offset (-1 with acks=0, whose writes are not answered) and
 * the timestamp it carries.
 */
public record RecordMetadata(String topic, int partition, long offset, long timestamp) {
}
