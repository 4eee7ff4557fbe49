package io.sluice.broker.cluster;

import io.sluice.broker.partition.PartitionManager;
import io.sluice.broker.partition.PartitionVerticle;
import io.sluice.broker.replication.ClusterAddresses;
import io.sluice.broker.replication.ReplicaFetchCodec;
import io.sluice.broker.replication.ReplicaFetchRequest;
import io.sluice.broker.replication.ReplicaFetchResponse;
import io.sluice.broker.replication.ReplicaFetchStats;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.function.Function;

/**
 * The leader side of replication: the one event-bus consumer on {@code sluice.broker.<id>.replica.fetch} that hands
 * each follower's fetch to the partition's verticle and replies with its answer. Errors are replied as
 * {@link ReplicaFetchResponse#error} (never as event-bus failures), so the follower can tell a stale epoch from a
 * broken link. Requests from one follower arrive in order; how many are in flight is bounded by the followers (one
 * per partition each).
 */
public final class ReplicationServer {
  private final Vertx vertx;
  private final int brokerId;
  private final Function<TopicPartition, Future<PartitionVerticle>> replicas;
  private final ReplicaFetchStats stats = new ReplicaFetchStats();
  private MessageConsumer<Buffer> consumer;

  public ReplicationServer(Vertx vertx, int brokerId, PartitionManager partitions) {
    this(vertx, brokerId, partitions::replica);
  }

  /** A server answering for the replicas {@code replicas} finds (tests host replicas without a manager). */
  public ReplicationServer(Vertx vertx, int brokerId, Function<TopicPartition, Future<PartitionVerticle>> replicas) {
    this.vertx = vertx;
    this.brokerId = brokerId;
    this.replicas = replicas;
  }

  /** Registers the consumer; completes once the registration reached the cluster. */
  public Future<Void> start() {
    consumer = vertx.eventBus().consumer(ClusterAddresses.replicaFetch(brokerId), msg -> {
      ReplicaFetchRequest request;
      try {
        request = ReplicaFetchCodec.decodeRequest(msg.body());
      } catch (RuntimeException e) {
        msg.reply(ReplicaFetchCodec.encode(ReplicaFetchResponse.error(ErrorCode.INVALID_REQUEST, e.toString())));
        return;
      }
      replicas.apply(request.tp()).compose(pv -> pv.replicaFetch(request)).onComplete(
          r -> reply(msg, r),
          t -> reply(msg, ReplicaFetchResponse.error(
              t instanceof SluiceException se ? se.errorCode() : ErrorCode.UNKNOWN_SERVER_ERROR,
              String.valueOf(t.getMessage()))));
    });
    return consumer.completion();
  }

  private void reply(Message<Buffer> msg, ReplicaFetchResponse response) {
    stats.answered(response.records().length());
    msg.reply(ReplicaFetchCodec.encode(response));
  }

  /** The counts of fetches answered here, for the metrics. */
  public ReplicaFetchStats stats() {
    return stats;
  }

  public Future<Void> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }
}
