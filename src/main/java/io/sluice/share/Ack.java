package io.sluice.share;

import io.sluice.api.TopicPartition;
import java.io.Serializable;

/** One acknowledgement of a record a share-group member was handed. */
public record Ack(TopicPartition tp, long offset, SharePartition.AckType type) implements Serializable {
}
