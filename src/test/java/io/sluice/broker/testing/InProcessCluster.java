package io.sluice.broker.testing;

import io.sluice.api.Listener;
import io.sluice.api.TopicPartition;
import io.sluice.broker.Broker;
import io.sluice.broker.EmbeddedZooKeeper;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.client.ClientOptions;
import io.sluice.client.SluiceClient;
import io.sluice.config.BrokerConfig;
import io.sluice.http.HttpListener;
import io.vertx.core.Future;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Brokers in this JVM against a ZooKeeper of the cluster's own, for the tests of what crosses brokers (tagged
 * {@code several-brokers}): since no broker holds the ZooKeeper, any broker, the controller included, can be stopped
 * and started again on its data.
 *
 * <p>Use: {@code create} (starts the ZooKeeper), settings for every broker ({@link #set(String, Object)}) or one
 * ({@link #set(int, String, Object)}), {@link #withHttp()} where the test speaks HTTP, then {@link #start(int)} for
 * brokers 1..n (or {@link #startBroker(int)} one at a time), and {@link #close()} in {@code @AfterEach}. Every broker
 * gets {@link TestBrokers#config}'s loopback, OS-chosen ports and small pools, plus {@link #DEFAULTS}; its data lives
 * in {@code dir/broker-ID}, the ZooKeeper's in {@code dir/zookeeper} (the test's {@code @TempDir}, which JUnit
 * removes). Waits are on metadata, never on time; each gives up after {@link #WAIT_MS} only against a hang.
 *
 * <p>Started, stopped and closed from the test's thread; brokers may be looked up from any. Clients ({@link #web},
 * {@link #client}) are made on first use and closed when their broker stops. An in-process broker cannot be killed
 * ({@code kill -9}): a crash test is an IT on {@code BrokerCluster}.
 */
public final class InProcessCluster implements AutoCloseable {
  public static final long WAIT_MS = 60_000;
  /**
   * Off unless a test turns them on: Connect, Streams and the schema registry (each a service that starts with the broker), and the
   * leader rebalance that would move leaders under a test that placed them.
   */
  public static final Map<String, Object> DEFAULTS = Map.of(BrokerConfig.CONNECT_ENABLED, false,
      BrokerConfig.STREAMS_ENABLED, false, BrokerConfig.SCHEMA_REGISTRY_ENABLED, false, BrokerConfig.AUTO_LEADER_REBALANCE_ENABLE, false);

  private final Path dir;
  private final BlockedThreadGuard guard;
  private final EmbeddedZooKeeper zookeeper;
  private final Map<String, Object> common = new HashMap<>(DEFAULTS);
  private final Map<Integer, Map<String, Object>> perBroker = new HashMap<>();
  private final Set<Integer> http = new HashSet<>();
  private boolean httpForAll;
  /** Concurrent: a test's producer thread may look a broker up while the test thread waits. */
  private final Map<Integer, Broker> running = new ConcurrentSkipListMap<>();
  private final Map<Integer, WebClient> webClients = new HashMap<>();
  private final Map<Integer, SluiceClient> clients = new HashMap<>();

  private InProcessCluster(Path dir, BlockedThreadGuard guard) {
    this.dir = dir;
    this.guard = guard;
    this.zookeeper = EmbeddedZooKeeper.start(dir.resolve("zookeeper"));
  }

  /** A cluster of no broker yet in {@code dir}, whose brokers {@code guard} watches; its ZooKeeper is up. */
  public static InProcessCluster create(Path dir, BlockedThreadGuard guard) {
    return new InProcessCluster(dir, guard);
  }

  /** {@code key} set to {@code value} for every broker started from now on. */
  public InProcessCluster set(String key, Object value) {
    common.put(key, value);
    return this;
  }

  /** {@code key} set to {@code value} for broker {@code id} (over what every broker has), from its next start. */
  public InProcessCluster set(int id, String key, Object value) {
    perBroker.computeIfAbsent(id, k -> new HashMap<>()).put(key, value);
    return this;
  }

  /** Each of {@code settings} set for broker {@code id}, as {@link #set(int, String, Object)} does. */
  public InProcessCluster set(int id, Map<String, ?> settings) {
    settings.forEach((key, value) -> set(id, key, value));
    return this;
  }

  /** Every broker serves the HTTP API (one verticle) on a free port. */
  public InProcessCluster withHttp() {
    httpForAll = true;
    return this;
  }

  /** Broker {@code id} serves the HTTP API; the others serve no listener unless {@link #withHttp()}. */
  public InProcessCluster withHttp(int id) {
    http.add(id);
    return this;
  }

  /** Starts brokers 1..{@code n} and waits until each sees all of them live and a controller. */
  public InProcessCluster start(int n) throws Exception {
    for (int id = 1; id <= n; id++) {
      startBroker(id);
    }
    awaitLive();
    return this;
  }

  /** Starts broker {@code id} (again, on its data, if it ran before); waits for the broker's start only. */
  public Broker startBroker(int id) throws Exception {
    if (running.containsKey(id)) {
      throw new IllegalStateException("broker " + id + " is running");
    }
    Broker broker = serving(id) ? TestBrokers.start(config(id), guard, HttpListener::new)
        : TestBrokers.start(config(id), guard);
    running.put(id, broker);
    return broker;
  }

  /**
   * Starts broker {@code id} serving also {@code listener}, without waiting: a listener whose start is held keeps the
   * broker starting (registered, hosting its partitions, its registration marked starting). The broker counts as
   * running once its start completed.
   */
  public Future<Broker> startBrokerAsync(int id, Function<BrokerConfig, Listener> listener) {
    if (running.containsKey(id)) {
      throw new IllegalStateException("broker " + id + " is running");
    }
    Broker.Builder builder = Broker.builder(config(id)).listener(listener);
    if (serving(id)) {
      builder.listener(HttpListener::new);
    }
    return builder.vertxOptions(BlockedThreadGuard::testOptions).start().onSuccess(broker -> {
      guard.watch(broker.vertx());
      running.put(id, broker);
    });
  }

  /** Stops broker {@code id} cleanly (a controlled shutdown where enabled) and closes its clients. */
  public void stop(int id) throws Exception {
    try {
      closeClients(id);
    } finally {
      TestBrokers.close(running.remove(id));
    }
  }

  /** Waits until every running broker sees exactly the running brokers live, and a controller. */
  public void awaitLive() throws Exception {
    Set<Integer> ids = Set.copyOf(running.keySet());
    awaitEverywhere(s -> s.liveBrokerIds().equals(ids) && s.liveController() > 0);
  }

  /** Waits until every running broker's metadata satisfies {@code condition}. */
  public void awaitEverywhere(Predicate<MetadataSnapshot> condition) throws Exception {
    for (Broker b : running.values()) {
      await(b.awaitMetadata(condition, WAIT_MS));
    }
  }

  /** Running broker {@code id}; fails if it is not running. */
  public Broker broker(int id) {
    Broker b = running.get(id);
    if (b == null) {
      throw new IllegalStateException("broker " + id + " is not running");
    }
    return b;
  }

  /** The running brokers by id. */
  public Map<Integer, Broker> brokers() {
    return Map.copyOf(running);
  }

  /** Broker {@code id}'s data directory, running or not. */
  public Path dataDir(int id) {
    return dir.resolve("broker-" + id);
  }

  /** Where the brokers reach ZooKeeper, for a test that reads it or proxies a broker's link. */
  public String zookeeperConnect() {
    return zookeeper.connectString();
  }

  /** The leader of {@code tp} as the lowest running broker sees it, {@link PartitionState#NO_LEADER} if none. */
  public int leader(TopicPartition tp) {
    MetadataSnapshot s = running.values().iterator().next().metadata();
    return s.topic(tp.topic()).map(t -> t.states().get(tp.partition())).map(PartitionState::leader)
        .orElse(PartitionState.NO_LEADER);
  }

  /** A web client of broker {@code id}'s HTTP API (requests go to its port by default). */
  public WebClient web(int id) {
    return webClients.computeIfAbsent(id, k -> TestClients.web(broker(k).httpPort()));
  }

  /** A Java client bootstrapped from broker {@code id}'s HTTP API. */
  public SluiceClient client(int id) {
    return clients.computeIfAbsent(id, k -> SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:"
        + broker(k).httpPort())));
  }

  /** Closes every client, then the brokers (highest id first), then ZooKeeper; the first failure is thrown. */
  @Override
  public void close() throws Exception {
    List<Exception> failures = new ArrayList<>();
    List<Integer> ids = new ArrayList<>(running.keySet());
    java.util.Collections.reverse(ids);
    for (Integer id : ids) {
      try {
        stop(id);
      } catch (Exception e) {
        failures.add(e);
      }
    }
    try {
      zookeeper.close();
    } catch (Exception e) {
      failures.add(e);
    }
    if (!failures.isEmpty()) {
      Exception first = failures.get(0);
      failures.stream().skip(1).forEach(first::addSuppressed);
      throw first;
    }
  }

  private boolean serving(int id) {
    return httpForAll || http.contains(id);
  }

  private BrokerConfig config(int id) {
    Map<String, Object> values = new HashMap<>(common);
    values.put(BrokerConfig.BROKER_ID, id);
    values.put(BrokerConfig.ZOOKEEPER_CONNECT, zookeeper.connectString());
    if (serving(id)) {
      values.put(BrokerConfig.HTTP_INSTANCES, 1);
    }
    values.putAll(perBroker.getOrDefault(id, Map.of()));
    return TestBrokers.config(dataDir(id), values);
  }

  private void closeClients(int id) {
    WebClient web = webClients.remove(id);
    SluiceClient client = clients.remove(id);
    if (web != null) {
      web.close();
    }
    if (client != null) {
      client.close().await().atMost(Duration.ofMillis(WAIT_MS));
    }
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(WAIT_MS, TimeUnit.MILLISECONDS);
  }
}
