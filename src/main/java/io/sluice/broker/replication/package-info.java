/**
 * Replication between brokers over the clustered event bus: the replica fetch messages and their codec, the
 * follower's fetch loop ({@link io.sluice.broker.replication.ReplicaFetcher}) and the leader's view of its
 * followers' progress ({@link io.sluice.broker.replication.FollowerTracker}). Knows nothing of partition verticles:
 * a follower is reached through {@link io.sluice.broker.replication.FollowerLog}.
 */
package io.sluice.broker.replication;
