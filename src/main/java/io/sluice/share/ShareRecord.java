package io.sluice.share;

import io.sluice.api.TopicPartition;
import io.sluice.record.Record;

/** A record handed to a share-group member, with how many times it has been delivered (1 the first time). */
record ShareRecord(TopicPartition tp, Record record, int deliveryCount) {
}
