/**
 * What ties brokers into one cluster: the {@link io.sluice.broker.cluster.Controller} (elected with a Curator
 * LeaderLatch, fenced by the controller epoch znode's version), the leader side of replication
 * ({@link io.sluice.broker.cluster.ReplicationServer}), forwarding of client requests to partition leaders
 * ({@link io.sluice.broker.cluster.ForwardingBrokerService}, {@link io.sluice.broker.cluster.ForwardServer}), waiting
 * until a topic change has reached every live broker ({@link io.sluice.broker.cluster.TopicSync},
 * {@link io.sluice.broker.cluster.TopicSyncServer}) and
 * the cluster-wide facts behind {@code GET /cluster} ({@link io.sluice.broker.cluster.ClusterMetadata}).
 */
package io.sluice.broker.cluster;
