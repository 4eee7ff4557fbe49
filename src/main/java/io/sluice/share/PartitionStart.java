package io.sluice.share;

import io.sluice.api.TopicPartition;
import java.io.Serializable;

/** A share-partition's start offset after a reset. */
public record PartitionStart(TopicPartition tp, long startOffset) implements Serializable {
}
