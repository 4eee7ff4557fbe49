/**
 * The broker core: everything between the storage engine and the front ends.
 *
 * <ul>
 *   <li>{@link io.sluice.broker.Broker} starts and stops a broker: embedded or external ZooKeeper, a clustered
 *       Vert.x on {@code ZookeeperClusterManager}, the storage engine's {@link
 *       io.sluice.storage.LogManager}, the metadata cache, the partitions, the HTTP front end ({@link
 *       io.sluice.api.Listener}s, the broker services ({@link io.sluice.broker.spi.BrokerComponent}).</li>
 *   <li>{@link io.sluice.api.BrokerService} is what front ends call; {@link io.sluice.broker.LocalBrokerService}
 *       implements it for the partitions this broker leads.</li>
 *   <li>{@code io.sluice.broker.metadata}: the znode layout ({@link io.sluice.broker.metadata.ZkPaths}), the
 *       in-memory snapshot of it and the writes to it.</li>
 *   <li>{@code io.sluice.broker.partition}: one {@link io.sluice.broker.partition.PartitionVerticle} per led
 *       partition, owning its log, and the {@link io.sluice.broker.partition.PartitionManager} that keeps them in
 *       line with the metadata.</li>
 * </ul>
 *
 * <p>Threading everywhere: no blocking call on an event loop. Disk work runs on the {@code sluice-storage} worker
 * executor, ZooKeeper calls on {@code sluice-zookeeper}; state lives on one event-loop context per owner (the
 * metadata context, each partition's context) and is reached by hopping onto it.
 */
package io.sluice.broker;
