package io.sluice.broker.testing;

import io.sluice.api.Listener;
import io.sluice.broker.Broker;
import io.sluice.config.BrokerConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Starts brokers for tests: loopback only, OS-chosen ports, small pools, blocked-loop guard on. */
public final class TestBrokers {
  public static final long START_TIMEOUT_S = 60;

  private TestBrokers() {
  }

  /** The config of a test broker on {@code dataDir} with an embedded ZooKeeper, plus {@code extra}. */
  public static BrokerConfig config(Path dataDir, Map<String, ?> extra) {
    Map<String, Object> values = new HashMap<>();
    values.put(BrokerConfig.BROKER_ID, 1);
    values.put(BrokerConfig.LOG_DIRS, dataDir.toString());
    values.put(BrokerConfig.HTTP_HOST, "127.0.0.1");
    values.put(BrokerConfig.HTTP_PORT, 0);
    values.put(BrokerConfig.CLUSTER_HOST, "127.0.0.1");
    values.put(BrokerConfig.ZOOKEEPER_SESSION_TIMEOUT_MS, 6_000);
    // A private embedded ZooKeeper on a free port: a test broker never joins another test's.
    values.put(BrokerConfig.ZOOKEEPER_EMBEDDED_PORT, 0);
    values.put(BrokerConfig.NUM_IO_THREADS, 4);
    values.putAll(extra);
    return BrokerConfig.of(values);
  }

  public static Broker start(BrokerConfig config, BlockedThreadGuard guard) throws Exception {
    return watched(Broker.builder(config), guard);
  }

  /** A test broker serving {@code listener} (the HTTP API: {@code HttpListener::new}), watched by {@code guard}. */
  public static Broker start(BrokerConfig config, BlockedThreadGuard guard,
      Function<BrokerConfig, Listener> listener) throws Exception {
    return watched(Broker.builder(config).listener(listener), guard);
  }

  private static Broker watched(Broker.Builder builder, BlockedThreadGuard guard) throws Exception {
    Broker broker = builder.vertxOptions(BlockedThreadGuard::testOptions).start()
        .await(START_TIMEOUT_S, TimeUnit.SECONDS);
    guard.watch(broker.vertx());
    return broker;
  }

  public static void close(Broker broker) throws Exception {
    if (broker != null) {
      broker.close().await(START_TIMEOUT_S, TimeUnit.SECONDS);
    }
  }
}
