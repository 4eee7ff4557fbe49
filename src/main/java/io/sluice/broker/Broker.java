package io.sluice.broker;

import io.sluice.api.BrokerService;

import io.sluice.api.Listener;
import io.sluice.api.Services;
import io.sluice.broker.cluster.ClusterMetadata;
import io.sluice.broker.cluster.Controller;
import io.sluice.broker.cluster.ForwardServer;
import io.sluice.broker.cluster.ForwardingBrokerService;
import io.sluice.broker.cluster.ReplicationServer;
import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.TopicState;
import io.sluice.broker.metadata.ZkMetadataStore;
import io.sluice.broker.metadata.ZkPaths;
import io.sluice.broker.partition.PartitionManager;
import io.sluice.broker.policy.PolicyBrokerService;
import io.sluice.broker.spi.BrokerComponent;
import io.sluice.consumer.GroupCoordination;
import io.sluice.config.BrokerConfig;
import io.sluice.api.TopicPartition;
import io.sluice.storage.MetaProperties;
import io.sluice.storage.LogManager;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.zookeeper.ZookeeperClusterManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.curator.framework.state.ConnectionState;

/**
 * A running broker and its lifecycle.
 *
 * <p>{@link #start} brings it up in this order, each step after the previous one succeeded: the data directory's
 * identity is read ({@code meta.properties}: a directory of another broker id is refused); an embedded ZooKeeper
 * is started or joined (unless {@code zookeeper.connect} names an ensemble); a clustered Vert.x on
 * {@code ZookeeperClusterManager}; the metadata cache; the cluster id is checked against the directory's; the broker
 * id is claimed by its registration in ZooKeeper (another live broker with this id stops the start here, before
 * anything was served); the directory's identity is written; the log store; the partitions this broker hosts
 * (leaders reopen their logs); the cluster endpoints; the HTTP front end (so {@code /ready} answers only now); the
 * controller candidacy. If a step fails, what was started is closed again and the start fails.
 *
 * <p>{@link #close} takes it down in reverse: the HTTP front end first (requests in flight are answered), then the
 * partitions (parked fetches answered, queued appends finished, logs flushed and marked clean), the registration
 * and metadata cache, the log store, Vert.x (leaving the cluster) and the embedded ZooKeeper. Idempotent.
 */
public final class Broker {
  private static final System.Logger LOG = System.getLogger(Broker.class.getName());


  private static final String ZK_ROOT_PATH = "io.vertx";
  private static final String STORAGE_POOL = "sluice-storage";
  private static final String ZOOKEEPER_POOL = "sluice-zookeeper";
  private static final int ZOOKEEPER_POOL_SIZE = 2;

  private final BrokerConfig config;
  private final Builder builder;
  /** Runs what blocks before Vert.x exists or after it is gone: the embedded ZooKeeper's start and stop. */
  private final ExecutorService bootstrap;
  private EmbeddedZooKeeper embeddedZooKeeper;
  private String zookeeperConnect;
  private Vertx vertx;
  private ZookeeperClusterManager clusterManager;
  private WorkerExecutor storageExecutor;
  private WorkerExecutor zookeeperExecutor;
  private LogManager logStore;
  private ZkMetadataStore metadata;
  private PartitionManager partitions;
  private LocalBrokerService localService;
  /** The broker's own view: any partition, forwarded to its leader; no caller policy. */
  private BrokerService service;
  /** What listeners get: {@link #service} behind the caller policy. */
  private BrokerService policed;
  private ClusterMetadata cluster;
  private Controller controller;
  private ReplicationServer replicationServer;
  private ForwardServer forwardServer;
  private final Promise<Void> sessionLost = Promise.promise();
  private final List<BrokerComponent> components = new ArrayList<>();
  private final List<Listener> listeners = new ArrayList<>();
  private final List<Listener> startedListeners = new ArrayList<>();
  private final List<Listener.Endpoint> endpoints = new ArrayList<>();
  /** This data directory's identity (meta.properties), checked at start and written once registered. */
  private MetaProperties identity;
  private BrokerRegistration registration;
  private Future<Void> closed;
  private Services services;

  private Broker(BrokerConfig config, Builder builder) {
    this.config = config;
    this.builder = builder;
    this.bootstrap = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "sluice-bootstrap-" + config.brokerId());
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts a broker with the default storage engine and HTTP front end. */
  public static Future<Broker> start(BrokerConfig config) {
    return builder(config).start();
  }

  public static Builder builder(BrokerConfig config) {
    return new Builder(config);
  }

  /** Options for {@link Broker#start}, mostly seams for tests. */
  public static final class Builder {
    private final BrokerConfig config;
    private final List<Function<BrokerConfig, Listener>> listeners = new ArrayList<>();
    private Consumer<VertxOptions> vertxOptions = o -> { };

    private Builder(BrokerConfig config) {
      this.config = config;
    }

    /**
     * Adds a listener (a front end on its own socket), built from the broker's configuration: {@code
     * HttpListener::new} for the HTTP API. Listeners start in the order added, after the broker services; a broker
     * with none still runs its broker services (it coordinates groups for clients of other brokers).
     */
    public Builder listener(Function<BrokerConfig, Listener> listener) {
      this.listeners.add(listener);
      return this;
    }

    /** Adjusts the Vert.x options (tests lower the blocked-thread limits). */
    public Builder vertxOptions(Consumer<VertxOptions> customizer) {
      this.vertxOptions = customizer;
      return this;
    }

    /** Starts the broker; on failure everything already started is closed again. */
    public Future<Broker> start() {
      Broker broker = new Broker(config, this);
      return broker.boot().map(broker).recover(t -> {
        LOG.log(Level.ERROR, "Broker " + config.brokerId() + " failed to start", t);
        return broker.close().transform(ignored -> Future.failedFuture(t));
      });
    }
  }

  /**
   * Nothing that lets this broker lead, acknowledge or answer clients happens before its id is confirmed as its own
   * in ZooKeeper: the registration comes before the partitions are hosted, the cluster endpoints exist, the HTTP
   * listener is bound (so {@code /ready} cannot answer) and the controller candidacy.
   */
  private Future<Void> boot() {
    return startZooKeeper()
        .compose(connect -> startVertx())
        .compose(v -> startMetadata())
        .compose(v -> joinCluster())
        .compose(v -> register())
        .compose(v -> storageExecutor.executeBlocking(() -> {
          identity.write(config.dataDir());
          return null;
        }, false))
        .compose(v -> openLogStore())
        .compose(v -> hostPartitions())
        .compose(v -> startClusterRole())
        .compose(v -> startComponents())
        .compose(v -> startListeners())
        .compose(v -> advertiseListeners())
        .compose(v -> controller.start());
  }

  /** Checks that the data directory belongs to the cluster in ZooKeeper (or to none yet). */
  private Future<Void> joinCluster() {
    cluster = new ClusterMetadata(clusterManager.getCuratorFramework().usingNamespace(ZkPaths.NAMESPACE),
        zookeeperExecutor);
    return cluster.ensureClusterId().map(id -> {
      identity = DataDirectoryIdentity.joinCluster(identity, config.dataDir(), id, zookeeperConnect);
      return null;
    });
  }

  /**
   * Claims the broker id, advertising the configured HTTP port; once the listeners are bound their endpoints replace
   * it ({@link #advertiseListeners}).
   */
  private Future<Void> register() {
    registration = new BrokerRegistration(config.brokerId(), advertisedHttpHost(), config.httpPort(),
        clusterManager.getNodeId(), identity.directoryId());
    return metadata.registerBroker(registration, config.zookeeperSessionTimeoutMs());
  }

  /**
   * The broker services, in start order (stopped in reverse). The group coordinator comes first: it provides the
   * consumer service every listener and later component is handed. To add a broker service, add its factory here.
   */
  private static final List<BrokerComponent.Factory> COMPONENTS = List.of();

  /** Builds the broker services once (so every listener shares them) and starts them in order. */
  private Future<Void> startComponents() {
    GroupCoordination groups = new GroupCoordination(vertx, config, service);
    policed = new PolicyBrokerService(service);
    Services services = new Services(policed, groups.consumers(), () -> true);
    components.add(groups);
    BrokerComponent.Context context = new BrokerComponent.Context(vertx, config, service, services);
    COMPONENTS.forEach(f -> components.add(f.create(context)));
    builder.listeners.forEach(f -> listeners.add(f.apply(config)));
    Future<Void> chain = Future.succeededFuture();
    for (BrokerComponent c : components) {
      chain = chain.compose(v -> c.start().onFailure(t -> LOG.log(Level.ERROR, "Starting the " + c.name()
          + " failed", t)));
    }
    this.services = services;
    return chain;
  }

  private Future<Void> startListeners() {
    Future<Void> chain = Future.succeededFuture();
    for (Listener l : listeners) {
      chain = chain.compose(v -> l.start(vertx, services).map(endpoint -> {
        startedListeners.add(l);
        endpoints.add(endpoint);
        return null;
      }));
    }
    return chain;
  }

  /**
   * Rewrites this broker's registration with every listener's endpoint (the HTTP one also as the version-1 host and
   * port, -1 without one), so clients of any protocol find it.
   */
  private Future<Void> advertiseListeners() {
    BrokerRegistration reg = registration.withEndpoints(endpoints);
    Future<Void> advertised = reg.equals(registration) ? Future.succeededFuture() : metadata.updateRegistration(reg);
    registration = reg;
    return advertised.compose(r -> cluster.recordSeen(reg));
  }

  /** The host other brokers and clients are told before the listeners are up: never a wildcard address. */
  private String advertisedHttpHost() {
    String host = config.httpHost();
    return host.equals("0.0.0.0") || host.equals("::") ? config.clusterHost() : host;
  }

  /**
   * The cluster services: the replica fetch and forwarding endpoints on the event bus, the controller, and the
   * service front ends call (which forwards partition requests to their leaders). A lost ZooKeeper session fences
   * every partition at once and completes {@link #sessionLost()}: vertx-zookeeper does not re-create this node's
   * cluster membership after an expiry (vertx-zookeeper#152), so the broker must be restarted, not patched up.
   */
  private Future<Void> startClusterRole() {
    localService = new LocalBrokerService(config, metadata, partitions);
    controller = new Controller(clusterManager.getCuratorFramework().usingNamespace(ZkPaths.NAMESPACE), metadata,
        zookeeperExecutor, config.brokerId(), config.getBoolean(BrokerConfig.UNCLEAN_LEADER_ELECTION_ENABLE),
        config.getBoolean(BrokerConfig.AUTO_LEADER_REBALANCE_ENABLE));
    service = new ForwardingBrokerService(vertx, config.brokerId(), localService, metadata,
        () -> cluster.describe(metadata.snapshot()));
    replicationServer = new ReplicationServer(vertx, config.brokerId(), partitions);
    forwardServer = new ForwardServer(vertx, config.brokerId(), localService);
    clusterManager.getCuratorFramework().getConnectionStateListenable().addListener((client, state) -> {
      if (state == ConnectionState.LOST && !sessionLost.future().isComplete()) {
        LOG.log(Level.ERROR, "Broker " + config.brokerId() + " lost its ZooKeeper session: fencing every partition;"
            + " the broker must rejoin the cluster");
        partitions.fenceAll();
        sessionLost.tryComplete();
      }
    });
    return Future.join(replicationServer.start(), forwardServer.start()).mapEmpty();
  }

  /**
   * Completes when this broker's ZooKeeper session expired: its partitions are fenced (they acknowledge nothing) and
   * it should be closed and started again to rejoin the cluster.
   */
  public Future<Void> sessionLost() {
    return sessionLost.future();
  }

  /**
   * Reads the data directory's identity (refusing one of another broker id before anything else starts), then
   * starts the embedded ZooKeeper or finds the one to join.
   */
  private Future<String> startZooKeeper() {
    return onBootstrapThread(() -> {
      try {
        Files.createDirectories(config.dataDir());
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot create data directory " + config.dataDir(), e);
      }
      identity = DataDirectoryIdentity.load(config.dataDir(), config.brokerId());
      return null;
    }).compose(v -> config.zookeeperConnect().isPresent()
        ? Future.succeededFuture(zookeeperConnect = config.zookeeperConnect().get())
        : startEmbeddedZooKeeper());
  }

  private Future<String> startEmbeddedZooKeeper() {
    return onBootstrapThread(() -> {
      int port = config.zookeeperEmbeddedPort();
      try {
        embeddedZooKeeper = EmbeddedZooKeeper.start(config.dataDir().resolve("zookeeper"), port);
        zookeeperConnect = embeddedZooKeeper.connectString();
      } catch (EmbeddedZooKeeper.PortTakenException e) {
        // Another broker on this machine runs the embedded server (or won the race to start it): join its cluster.
        // If it is still loading, the cluster manager's connect retries until it answers.
        zookeeperConnect = "127.0.0.1:" + port;
        LOG.log(Level.INFO, "Port " + port + " is taken: joining the ZooKeeper there (another broker's embedded one)");
      }
      return zookeeperConnect;
    });
  }

  private Future<Void> startVertx() {
    JsonObject zkConfig = new JsonObject()
        .put("zookeeperHosts", zookeeperConnect)
        .put("sessionTimeout", config.zookeeperSessionTimeoutMs())
        .put("connectTimeout", config.zookeeperConnectionTimeoutMs())
        .put("rootPath", ZK_ROOT_PATH)
        // exponential_backoff: the bounded and until_elapsed policies of vertx-zookeeper swap their arguments.
        .put("retry", new JsonObject().put("policy", "exponential_backoff").put("initialSleepTime", 100)
            .put("intervalTimes", 10_000).put("maxTimes", 5));
    clusterManager = new ZookeeperClusterManager(zkConfig);
    VertxOptions options = new VertxOptions().setEventBusOptions(new EventBusOptions()
        .setHost(config.clusterHost()).setPort(config.clusterPort()).setClusterPublicHost(config.clusterHost()));
    builder.vertxOptions.accept(options);
    return Vertx.builder().with(options).withClusterManager(clusterManager).buildClustered().map(v -> {
      vertx = v;
      storageExecutor = v.createSharedWorkerExecutor(STORAGE_POOL, config.numIoThreads());
      zookeeperExecutor = v.createSharedWorkerExecutor(ZOOKEEPER_POOL, ZOOKEEPER_POOL_SIZE);
      return null;
    });
  }

  private Future<Void> openLogStore() {
    return storageExecutor.executeBlocking(() -> {
      logStore = LogManager.open(config.dataDir());
      return null;
    }, false);
  }

  /** Starts following the metadata in ZooKeeper; hosts nothing yet. */
  private Future<Void> startMetadata() {
    metadata = new ZkMetadataStore(vertx, clusterManager.getCuratorFramework(), zookeeperExecutor,
        ((VertxInternal) vertx).createEventLoopContext());
    metadata.watchForPauses(config.zookeeperSessionTimeoutMs() / 2);
    return metadata.start().mapEmpty();
  }

  /**
   * Hosts the partitions the metadata assigns to this broker (reopening their logs) and keeps following it;
   * completes once the partitions it leads are deployed.
   */
  private Future<Void> hostPartitions() {
    partitions = new PartitionManager(vertx, config, logStore, storageExecutor, metadata);
    Promise<MetadataSnapshot> following = Promise.promise();
    // On the metadata context, so that no snapshot falls between the first reconcile and the listener.
    metadata.context().runOnContext(v -> {
      metadata.addListener(partitions::reconcile);
      MetadataSnapshot snapshot = metadata.snapshot();
      partitions.reconcile(snapshot);
      following.complete(snapshot);
    });
    return following.future().compose(snapshot -> {
      warnAboutStrayLogs(snapshot);
      return partitions.whenHosted(ledPartitions(snapshot));
    });
  }

  private List<TopicPartition> ledPartitions(MetadataSnapshot snapshot) {
    List<TopicPartition> led = new ArrayList<>();
    for (TopicState t : snapshot.topics().values()) {
      t.states().forEach((p, st) -> {
        if (st.leader() == config.brokerId()) {
          led.add(t.tp(p));
        }
      });
    }
    return led;
  }

  /** Logs whose topic is gone from ZooKeeper are left alone (the ensemble may be the wrong one) but reported. */
  private void warnAboutStrayLogs(MetadataSnapshot snapshot) {
    Set<String> stray = new TreeSet<>();
    for (TopicPartition tp : logStore.existingLogs()) {
      if (!snapshot.topics().containsKey(tp.topic())) {
        stray.add(tp.toString());
      }
    }
    if (!stray.isEmpty()) {
      LOG.log(Level.WARNING, "Data directory " + config.dataDir() + " holds logs of topics unknown to ZooKeeper "
          + zookeeperConnect + ", left untouched: " + stray);
    }
  }

  /** Stops the broker cleanly; every step runs even if an earlier one failed. Idempotent. */
  public synchronized Future<Void> close() {
    if (closed != null) {
      return closed;
    }
    Future<Void> chain = Future.succeededFuture();
    for (Listener l : reversed(startedListeners)) {
      chain = step(chain, "listener " + l.name(), l::stop);
    }
    for (BrokerComponent c : reversed(components)) {
      chain = step(chain, c.name(), c::stop);
    }
    chain = step(chain, "controller", () -> controller == null ? null : controller.close());
    chain = step(chain, "cluster endpoints", () -> replicationServer == null ? null
        : Future.join(replicationServer.stop(), forwardServer.stop()));
    chain = step(chain, "partitions", () -> partitions == null ? null : partitions.closeAll());
    chain = step(chain, "metadata", () -> metadata == null ? null : metadata.closeAsync());
    chain = step(chain, "log store", () -> logStore == null ? null : storageExecutor.executeBlocking(() -> {
      logStore.close();
      return null;
    }, false));
    chain = step(chain, "worker pools", () -> storageExecutor == null ? null
        : Future.join(storageExecutor.close(), zookeeperExecutor.close()));
    chain = step(chain, "Vert.x", () -> vertx == null ? null : vertx.close());
    chain = step(chain, "ZooKeeper", () -> embeddedZooKeeper == null ? null : onBootstrapThread(() -> {
      embeddedZooKeeper.close();
      return null;
    }));
    closed = chain.andThen(ar -> {
      bootstrap.shutdown();
      LOG.log(Level.INFO, "Broker " + config.brokerId() + " stopped");
    });
    return closed;
  }

  private static <T> List<T> reversed(List<T> list) {
    List<T> copy = new ArrayList<>(list);
    java.util.Collections.reverse(copy);
    return copy;
  }

  private static Future<Void> step(Future<Void> previous, String what, Supplier<Future<?>> action) {
    return previous.compose(v -> {
      Future<?> f;
      try {
        f = action.get();
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      return f == null ? Future.<Void>succeededFuture() : f.<Void>mapEmpty().recover(t -> {
        LOG.log(Level.ERROR, "Shutdown: closing the " + what + " failed", t);
        return Future.succeededFuture();
      });
    });
  }

  private <T> Future<T> onBootstrapThread(Supplier<T> task) {
    // Unwrapped, so that a refusal reaches the user as its own message rather than as a CompletionException.
    return Future.fromCompletionStage(CompletableFuture.supplyAsync(task, bootstrap))
        .recover(t -> Future.failedFuture(t instanceof CompletionException && t.getCause() != null ? t.getCause() : t));
  }

  public BrokerConfig config() {
    return config;
  }

  public int brokerId() {
    return config.brokerId();
  }

  public Vertx vertx() {
    return vertx;
  }

  /** The broker service for the broker's own calls (any partition, forwarded to its leader; no caller policy). */
  public BrokerService service() {
    return service;
  }

  /** The services as listeners get them: behind the caller policy. */
  public Services services() {
    return services;
  }

  /** Where each listener listens, in start order. */
  public List<Listener.Endpoint> endpoints() {
    return List.copyOf(endpoints);
  }

  /** The port the HTTP listener is bound to, -1 without one. */
  public int httpPort() {
    return endpoints.stream().filter(e -> e.protocol().equals("http")).mapToInt(Listener.Endpoint::port).findFirst()
        .orElse(-1);
  }

  /** The ZooKeeper ensemble in use: the external one or the embedded server's {@code 127.0.0.1:<port>}. */
  public String zookeeperConnect() {
    return zookeeperConnect;
  }

  public boolean embeddedZooKeeper() {
    return embeddedZooKeeper != null;
  }

  /** The current metadata snapshot. */
  public MetadataSnapshot metadata() {
    return metadata.snapshot();
  }

  /** Completes with the first metadata snapshot that satisfies {@code condition}; fails after {@code timeoutMs}. */
  public Future<MetadataSnapshot> awaitMetadata(Predicate<MetadataSnapshot> condition, long timeoutMs) {
    return metadata.awaitSnapshot(condition, timeoutMs, "a test condition");
  }

  /** The partitions deployed on this broker. */
  public Set<TopicPartition> hostedPartitions() {
    return partitions.hostedPartitions();
  }
}
