package io.sluice.api;

import java.io.Serializable;
import io.sluice.record.Record;

/** A record returned by a poll, with the partition it came from. */
public record ConsumedRecord(String topic, int partition, Record record) implements Serializable {
}
