package io.sluice.streams;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.http.HttpListener;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.zookeeper.ZookeeperClusterManager;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The one-broker setup the streams tests share: one HTTP instance, a 100 ms commit interval, loops watched. */
final class StreamsBroker {
  private StreamsBroker() {
  }

  /** Starts a broker with its data under {@code dir}, {@code extra} settings on top, its loops watched by guard. */
  static Broker start(Path dir, BlockedThreadGuard guard, Map<String, Object> extra) throws Exception {
    Map<String, Object> settings = new HashMap<>(Map.of(BrokerConfig.HTTP_INSTANCES, 1,
        BrokerConfig.STREAMS_COMMIT_INTERVAL_MS, 100));
    settings.putAll(extra);
    BrokerConfig config = TestBrokers.config(dir.resolve("data"), settings);
    Broker broker = Broker.builder(config).listener(HttpListener::new).vertxOptions(BlockedThreadGuard::testOptions)
        .start().await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    guard.watch(broker.vertx());
    return broker;
  }

  /** The broker's stream definitions and checkpoints in ZooKeeper, as the service keeps them. */
  static StreamStore store(Broker broker) {
    ZookeeperClusterManager cm = (ZookeeperClusterManager) ((VertxInternal) broker.vertx()).clusterManager();
    return new StreamStore(cm.getCuratorFramework().usingNamespace("sluice"));
  }
}
