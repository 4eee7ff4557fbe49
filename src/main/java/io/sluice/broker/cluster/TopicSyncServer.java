package io.sluice.broker.cluster;

import io.sluice.api.TopicPartition;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.ZkMetadataStore;
import io.sluice.broker.partition.PartitionManager;
import io.sluice.broker.replication.ClusterAddresses;
import io.sluice.broker.rpc.BrokerRpc;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Answers another broker's {@link TopicSync} once this broker shows its topic change: the metadata snapshot has it
 * and the partition manager has opened (or closed) this broker's replicas, so a call for the topic that reaches this
 * broker, from a client or forwarded, finds what the changing broker found. Topics are matched by id: a topic
 * deleted and created again under its name is another topic, and a snapshot still holding the old one does not
 * answer for the new one.
 */
public final class TopicSyncServer {
  /** The remote operations; each completes once this broker shows the change, or fails after {@code timeoutMs}. */
  public interface Peer {
    /** The topic {@code topicId} is in the snapshot with at least {@code partitions} partitions, its replicas open. */
    Future<Void> awaitShown(String topic, String topicId, int partitions, long timeoutMs);

    /** No topic {@code topicId} in the snapshot, its replicas here closed. */
    Future<Void> awaitGone(String topic, String topicId, int partitions, long timeoutMs);
  }

  private final Vertx vertx;
  private final int brokerId;
  private final ZkMetadataStore metadata;
  private final Supplier<PartitionManager> partitions;
  private MessageConsumer<?> consumer;

  /**
   * @param partitions the partition manager, null while the broker starts: it is served from before the broker
   *     registers (a broker seen alive answers), and a starting broker opens the replicas of every topic in its
   *     snapshot before it serves a partition call
   */
  public TopicSyncServer(Vertx vertx, int brokerId, ZkMetadataStore metadata, Supplier<PartitionManager> partitions) {
    this.vertx = vertx;
    this.brokerId = brokerId;
    this.metadata = metadata;
    this.partitions = partitions;
  }

  public Future<Void> start() {
    Peer peer = new Peer() {
      @Override
      public Future<Void> awaitShown(String topic, String topicId, int count, long timeoutMs) {
        return metadata.awaitSnapshot(s -> shows(s, topic, topicId, count), timeoutMs,
                "topic '" + topic + "' (id " + topicId + ") to show with " + count + " partition(s)")
            .compose(s -> whenPartitions(pm -> pm.whenHosted(tps(topic, count))));
      }

      @Override
      public Future<Void> awaitGone(String topic, String topicId, int count, long timeoutMs) {
        return metadata.awaitSnapshot(s -> !holds(s, topic, topicId), timeoutMs,
                "topic '" + topic + "' (id " + topicId + ") to go")
            .compose(s -> whenPartitions(pm -> pm.whenRemoved(tps(topic, count))));
      }
    };
    return BrokerRpc.on(vertx).serve(ClusterAddresses.topicSync(brokerId), Peer.class, peer, Future::succeededFuture)
        .map(c -> {
          consumer = c;
          return null;
        });
  }

  private Future<Void> whenPartitions(Function<PartitionManager, Future<Void>> done) {
    PartitionManager pm = partitions.get();
    return pm == null ? Future.succeededFuture() : done.apply(pm);
  }

  public Future<Void> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  /** Whether {@code s} holds topic {@code topicId} whole (every partition's state read) with {@code count} or more. */
  static boolean shows(MetadataSnapshot s, String topic, String topicId, int count) {
    return s.topic(topic).filter(t -> t.topicId().equals(topicId) && t.isComplete() && t.partitionCount() >= count)
        .isPresent();
  }

  /** Whether {@code s} holds topic {@code topicId}, whole or not. */
  static boolean holds(MetadataSnapshot s, String topic, String topicId) {
    return s.topic(topic).filter(t -> t.topicId().equals(topicId)).isPresent();
  }

  private static List<TopicPartition> tps(String topic, int count) {
    return IntStream.range(0, count).mapToObj(p -> new TopicPartition(topic, p)).toList();
  }
}
