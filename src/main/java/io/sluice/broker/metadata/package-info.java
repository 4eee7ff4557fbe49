/**
 * Cluster metadata in ZooKeeper under {@code /sluice}: brokers, topics, partition leadership (layout in {@link
 * io.sluice.broker.metadata.ZkPaths}), followed into an immutable in-memory {@link
 * io.sluice.broker.metadata.MetadataSnapshot} by {@link io.sluice.broker.metadata.ZkMetadataStore}.
 */
package io.sluice.broker.metadata;
