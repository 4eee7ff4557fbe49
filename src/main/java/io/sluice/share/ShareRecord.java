package io.sluice.share;

import io.sluice.api.TopicPartition;
import io.sluice.record.Record;
import java.io.Serializable;

/** A record handed to a share-group member, with how many times it has been delivered (1 the first time). */
public record ShareRecord(TopicPartition tp, Record record, int deliveryCount) implements Serializable {
}
