package io.sluice.broker.partition;

import io.sluice.api.TopicPartition;

/**
 * What metrics show of one replica hosted here: a snapshot taken from any thread, each field as the log or the
 * leader bookkeeping last published it (they may be from slightly different instants).
 *
 * @param leader whether this broker leads the partition
 * @param logStartOffset the first offset the log holds
 * @param logEndOffset the offset the next appended record gets
 * @param highWatermark the end offset consumers may read up to (0 on a replica that never led or followed)
 * @param sizeBytes the bytes of every segment of the log
 */
public record ReplicaStats(TopicPartition tp, boolean leader, long logStartOffset, long logEndOffset,
    long highWatermark, long sizeBytes) {
}
