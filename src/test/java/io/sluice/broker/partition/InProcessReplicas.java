package io.sluice.broker.partition;

import io.sluice.broker.cluster.ReplicationServer;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.replication.ReplicaFetcher;
import io.sluice.broker.replication.ReplicaLinks;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.storage.LogConfig;
import io.sluice.storage.LogManager;
import io.sluice.storage.PartitionLog;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * Replicas of one partition on several "brokers" inside one non-clustered Vert.x: each broker has its own data
 * directory and {@link LogManager}, its replica is a real {@link PartitionVerticle}, and followers fetch from the
 * leader through a real {@link ReplicationServer}, over each broker's own {@link ReplicaLinks} (found through the local
 * event bus), as brokers do. ZooKeeper is replaced by {@link #state}:
 * the leader's conditional ISR writes apply to it and are pushed to every running replica, as the metadata cache
 * would.
 */
final class InProcessReplicas implements AutoCloseable {
  static final TopicPartition TP = new TopicPartition("replicated", 0);

  final Vertx vertx;
  private final WorkerExecutor storage;
  private final Path root;
  private final List<Integer> replicas;
  private final Map<Integer, LogConfig> configs = new ConcurrentHashMap<>();
  private final Map<Integer, LogManager> stores = new ConcurrentHashMap<>();
  private final Map<Integer, PartitionVerticle> running = new ConcurrentHashMap<>();
  private final Map<Integer, String> deployments = new ConcurrentHashMap<>();
  private final Map<Integer, ReplicationServer> servers = new ConcurrentHashMap<>();
  private final Map<Integer, ReplicaLinks> links = new ConcurrentHashMap<>();
  private final Map<Integer, HighWatermarkCheckpointer> checkpointers = new ConcurrentHashMap<>();
  /** {@code replica.lag.time.max.ms} of replicas started from now on. */
  long replicaLagTimeMaxMs = 300;
  /** Every ISR the leader wrote, in order. */
  final List<List<Integer>> isrWrites = new CopyOnWriteArrayList<>();
  private PartitionState state;

  InProcessReplicas(Path root, List<Integer> replicas, int leader, BlockedThreadGuard guard) {
    this.root = root;
    this.replicas = List.copyOf(replicas);
    VertxOptions options = new VertxOptions().setEventLoopPoolSize(2);
    BlockedThreadGuard.testOptions(options);
    this.vertx = Vertx.vertx(options);
    guard.watch(vertx);
    this.storage = vertx.createSharedWorkerExecutor("sluice-storage-test", 2);
    this.state = new PartitionState(leader, 0, List.of(leader), 0);
  }

  void config(int broker, LogConfig config) {
    configs.put(broker, config);
  }

  /** Opens (or reopens) {@code broker}'s data directory and deploys its replica with the current state. */
  void start(int broker) throws Exception {
    LogManager store = stores.computeIfAbsent(broker, b -> LogManager.open(root.resolve("broker-" + b)));
    checkpointers.computeIfAbsent(broker, b -> {
      HighWatermarkCheckpointer c = new HighWatermarkCheckpointer(vertx, store, storage, () -> {
        PartitionVerticle v = running.get(b);
        return v == null ? Map.of() : Map.of(TP, v.highWatermark());
      }, 50);
      c.start();
      return c;
    });
    PartitionVerticle.Replication replication = new PartitionVerticle.Replication(broker,
        root.resolve("broker-" + broker).resolve(TP.dirName()), replicaLagTimeMaxMs, 10_000, this::writeIsr,
        new ReplicaFetcher.Options(1 << 20, 100, 20), links.computeIfAbsent(broker, b -> new ReplicaLinks(vertx)));
    PartitionVerticle verticle = new PartitionVerticle(TP, store, configs.getOrDefault(broker, LogConfig.DEFAULT),
        settings(), storage, 50, replication);
    deployments.put(broker, await(vertx.deployVerticle(verticle)));
    running.put(broker, verticle);
    if (!servers.containsKey(broker)) {
      ReplicationServer server = new ReplicationServer(vertx, broker, tp -> {
        PartitionVerticle v = running.get(broker);
        return v == null ? Future.failedFuture("broker " + broker + " hosts no replica") : Future.succeededFuture(v);
      });
      await(server.start());
      servers.put(broker, server);
    }
  }

  /** Undeploys {@code broker}'s replica: its log is closed cleanly, the data directory stays. */
  void stop(int broker) throws Exception {
    running.remove(broker);
    await(vertx.undeploy(deployments.remove(broker)));
  }

  /** Undeploys {@code broker}'s replica and closes its whole data directory, as a clean broker shutdown does. */
  void shutdown(int broker) throws Exception {
    PartitionVerticle v = running.get(broker);
    stop(broker);
    await(checkpointers.remove(broker).stop(Map.of(TP, v.highWatermark())));
    stores.remove(broker).close();
  }

  /** What ZooKeeper holds for the partition from now on (e.g. as a whole cluster's restart finds it). */
  synchronized void resetState(int leader, List<Integer> isr) {
    state = new PartitionState(leader, state.leaderEpoch(), isr, state.zkVersion() + 1);
  }

  /**
   * Copies {@code broker}'s data directory, as it is now, to {@code targetRoot}: with the replica idle (nothing
   * produced or copied meanwhile) this is the disk a {@code kill -9} would leave: no clean-shutdown marker, and the
   * high watermark checkpoint as the periodic writer last wrote it.
   */
  void copyDataDir(int broker, Path targetRoot) throws IOException {
    Path from = root.resolve("broker-" + broker);
    Path to = targetRoot.resolve("broker-" + broker);
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else if (!p.getFileName().toString().equals("LOCK")) {
          Files.copy(p, target);
        }
      }
    }
  }

  PartitionVerticle replica(int broker) {
    return running.get(broker);
  }

  /** {@code broker}'s log (open while its replica runs); reads are safe from any thread. */
  PartitionLog log(int broker) {
    return stores.get(broker).openLog(TP, configs.getOrDefault(broker, LogConfig.DEFAULT));
  }

  synchronized List<Integer> isr() {
    return state.isr();
  }

  private synchronized PartitionVerticle.Settings settings() {
    return new PartitionVerticle.Settings(state.leader(), state.leaderEpoch(), state.isr(), replicas, 1,
        state.zkVersion());
  }

  /** ZooKeeper's conditional write of the partition state, then the metadata cache's push to every replica. */
  private Future<Boolean> writeIsr(TopicPartition tp, PartitionState next) {
    PartitionVerticle.Settings pushed;
    synchronized (this) {
      if (next.zkVersion() != state.zkVersion()) {
        return Future.succeededFuture(false);
      }
      state = new PartitionState(next.leader(), next.leaderEpoch(), next.isr(), state.zkVersion() + 1);
      isrWrites.add(List.copyOf(next.isr()));
      pushed = settings();
    }
    running.values().forEach(v -> v.updateSettings(pushed));
    return Future.succeededFuture(true);
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  /** Polls {@code condition} until it holds or 30 s pass. */
  static void awaitCondition(String what, BooleanSupplier condition) {
    Awaitility.await(what).atMost(Duration.ofSeconds(30)).until(condition::getAsBoolean);
  }

  @Override
  public void close() throws Exception {
    checkpointers.values().forEach(HighWatermarkCheckpointer::abandon);
    for (Integer broker : new ArrayList<>(deployments.keySet())) {
      stop(broker);
    }
    stores.values().forEach(LogManager::close);
    vertx.close().await(30, TimeUnit.SECONDS);
  }
}
