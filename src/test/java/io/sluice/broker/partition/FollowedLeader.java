package io.sluice.broker.partition;

import io.sluice.api.TopicPartition;
import io.sluice.broker.replication.ReplicaFetchRequest;
import io.sluice.broker.replication.ReplicaFetchResponse;
import io.sluice.broker.replication.ReplicaTransport;
import io.sluice.broker.replication.ReplicaFetcher;
import io.sluice.storage.LogConfig;
import io.sluice.storage.LogManager;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Partition t-0 led by broker 1, with replicas 1 and 2 both in sync, on a Vert.x of its own over a
 * {@link GatedStorage}: for the tests of what a leader answers its followers, which the test plays itself.
 * Registered as an extension ({@code @RegisterExtension final FollowedLeader leader = new FollowedLeader()}), it
 * opens the gate and closes the Vert.x and the log after each test.
 */
final class FollowedLeader implements AfterEachCallback {
  static final TopicPartition TP = new TopicPartition("t", 0);
  static final List<Integer> REPLICAS = List.of(1, 2);

  final Vertx vertx = Vertx.vertx();
  final GatedStorage storage = new GatedStorage(vertx);
  private LogManager store;

  /** Deploys the leader's partition verticle with its log under {@code dir}; it keeps no recent appends. */
  PartitionVerticle deploy(Path dir) throws Exception {
    return deploy(dir, new FollowerFetchCache(0));
  }

  /** Deploys the leader's partition verticle with its log under {@code dir}, keeping recent appends in {@code cache}. */
  PartitionVerticle deploy(Path dir, FollowerFetchCache cache) throws Exception {
    store = LogManager.open(dir);
    PartitionVerticle.Replication replication = new PartitionVerticle.Replication(1, dir.resolve(TP.dirName()),
        60_000, 5_000, (tp, next) -> Future.succeededFuture(true), ReplicaFetcher.Options.DEFAULT, () -> true,
        () -> ReplicaFetchRequest.UNKNOWN_BROKER_EPOCH, ReplicaTransport.EVENT_BUS,
        PartitionVerticle.IsrEligibility.ANY, cache);
    PartitionVerticle pv = new PartitionVerticle(TP, store, LogConfig.DEFAULT,
        new PartitionVerticle.Settings(1, 1, REPLICAS, REPLICAS, 1, 0), storage, 60_000, replication);
    get(vertx.deployVerticle(pv));
    return pv;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    storage.open();
    get(vertx.close());
    if (store != null) {
      store.close();
    }
  }

  static ByteBuffer bytes(ReplicaFetchResponse response) {
    return ByteBuffer.wrap(response.records().getBytes());
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
