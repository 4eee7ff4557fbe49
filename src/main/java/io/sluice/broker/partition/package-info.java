/**
 * Hosted partitions: one {@link io.sluice.broker.partition.PartitionVerticle} per partition replica on this broker (leader or follower),
 * serialising its log's writes and parking long-poll fetches, deployed and removed by the {@link
 * io.sluice.broker.partition.PartitionManager} as the metadata changes.
 */
package io.sluice.broker.partition;
