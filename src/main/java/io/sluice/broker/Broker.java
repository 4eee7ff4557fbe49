package io.sluice.broker;

import io.sluice.api.ClusterDescription;

import io.sluice.api.BrokerService;

import io.sluice.api.Listener;
import io.sluice.api.Services;
import io.sluice.broker.cluster.ClusterMetadata;
import io.sluice.broker.cluster.ControlledShutdown;
import io.sluice.broker.cluster.Controller;
import io.sluice.broker.cluster.ForwardServer;
import io.sluice.broker.cluster.ForwardingBrokerService;
import io.sluice.broker.cluster.TopicSync;
import io.sluice.broker.cluster.TopicSyncServer;
import io.sluice.broker.cluster.ReplicationServer;
import io.sluice.broker.cluster.SessionKeeper;
import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.TopicState;
import io.sluice.broker.metadata.ZkMetadataStore;
import io.sluice.broker.metadata.ZkPaths;
import io.sluice.broker.partition.PartitionManager;
import io.sluice.broker.acl.Acls;
import io.sluice.broker.acl.Authorizer;
import io.sluice.broker.acl.ZkAclStore;
import io.sluice.broker.policy.AuthorizingConsumerService;
import io.sluice.broker.policy.AuthorizingGroupService;
import io.sluice.broker.policy.AuthorizingTransactionService;
import io.sluice.http.TransactionsEndpoint;
import io.sluice.broker.policy.PolicyBrokerService;
import io.sluice.broker.spi.BrokerComponent;
import io.sluice.security.OAuthBearer;
import io.sluice.security.ScramAuthentication;
import io.sluice.consumer.GroupCoordination;
import io.sluice.config.BrokerConfig;
import io.sluice.config.OAuthBearerConfig;
import io.sluice.connect.ConnectService;
import io.sluice.schema.SchemaRegistryService;
import io.sluice.streams.StreamsService;
import io.sluice.metrics.MetricsService;
import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.storage.MetaProperties;
import io.sluice.storage.LogManager;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.EventBusOptions;
import io.sluice.broker.cluster.EventBusTls;
import io.sluice.config.SslConfig;
import io.sluice.config.ZooKeeperClientTls;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.internal.VertxInternal;
import io.vertx.spi.cluster.zookeeper.ZookeeperClusterManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * A running broker and its lifecycle.
 *
 * <p>{@link #start} brings it up in this order, each step after the previous one succeeded: the data directory's
 * identity is read ({@code meta.properties}: a directory of another broker id is refused); an embedded ZooKeeper's
 * port is taken or its server joined (unless {@code zookeeper.connect} names an ensemble); the embedded server loads
 * its data while a clustered Vert.x on {@code ZookeeperClusterManager} starts; the metadata cache (the metrics are
 * built on a worker from here on); the cluster id is checked against the directory's; the broker
 * id is claimed by its registration in ZooKeeper (another live broker with this id stops the start here, before
 * anything was served); the directory's identity is written; the log store (opened in the background since the
 * identity check, taken here); the partitions this broker hosts (leaders reopen their logs); the cluster endpoints;
 * then, side by side, the controller candidacy and the HTTP front end (so {@code /ready} answers only now). The
 * log line "started in" gives each step's time. If a step fails, what was started is closed again and the start
 * fails.
 *
 * <p>{@link #close} takes it down in reverse: the HTTP front end first (requests in flight are answered), then the
 * partitions (parked fetches answered, queued appends finished, logs flushed and marked clean), the registration
 * and metadata cache, the log store, Vert.x (leaving the cluster) and the embedded ZooKeeper; each step bounded, the
 * whole within {@code shutdown.timeout.ms} whatever ZooKeeper does. Idempotent.
 *
 * <p>A lost ZooKeeper connection does not stop the broker: its {@link SessionKeeper} fences the partitions while the
 * session may be gone and rejoins the cluster in place when ZooKeeper answers again.
 */
public final class Broker {
  private static final System.Logger LOG = System.getLogger(Broker.class.getName());


  private static final String ZK_ROOT_PATH = "io.vertx";
  private static final String STORAGE_POOL = "sluice-storage";
  private static final String ZOOKEEPER_POOL = "sluice-zookeeper";
  private static final int ZOOKEEPER_POOL_SIZE = 2;
  /** Bound of each shutdown step that may wait for ZooKeeper. */
  static final long ZOOKEEPER_STEP_MS = 2_000;
  /** Bound of the HTTP step: requests in flight get a 5 s grace, then the group coordinator stops. */
  private static final long HTTP_STEP_MS = 10_000;
  /** Bound of Vert.x's close, which leaves the cluster (a ZooKeeper client close). */
  private static final long VERTX_STEP_MS = 5_000;

  private final BrokerConfig config;
  private final Builder builder;
  /** Runs what blocks before Vert.x exists or after it is gone: the embedded ZooKeeper's start and stop. */
  private final ExecutorService bootstrap;
  /** Set by the thread that serves it ({@link #serveZooKeeper}). */
  private volatile EmbeddedZooKeeper embeddedZooKeeper;
  /** The embedded server's port, taken before Vert.x starts; served beside it ({@link #serveZooKeeper}). */
  private EmbeddedZooKeeper.Bound boundZooKeeper;
  private String zookeeperConnect;
  private Vertx vertx;
  private ZookeeperClusterManager clusterManager;
  private WorkerExecutor storageExecutor;
  private WorkerExecutor zookeeperExecutor;
  /** Follows the ACLs in ZooKeeper; null with the authorizer off. */
  private ZkAclStore aclStore;
  private LogManager logStore;
  /** The log store being opened in the background from the start (see {@link #startOpeningLogStore}). */
  private volatile CompletableFuture<LogManager> logStoreOpening;
  private ZkMetadataStore metadata;
  /** Volatile: the topic sync server, serving from before it exists, reads it on its own context. */
  private volatile PartitionManager partitions;
  private LocalBrokerService localService;
  /** The broker's own view: any partition, forwarded to its leader; no caller policy. */
  private BrokerService service;
  /** What listeners get: {@link #service} behind the caller policy. */
  private BrokerService policed;
  private ClusterMetadata cluster;
  private Controller controller;
  private ReplicationServer replicationServer;
  private ForwardServer forwardServer;
  private TopicSyncServer topicSyncServer;
  private final List<BrokerComponent> components = new ArrayList<>();
  private final List<Listener> listeners = new ArrayList<>();
  private final List<Listener> startedListeners = new ArrayList<>();
  private final List<Listener.Endpoint> endpoints = new ArrayList<>();
  private SessionKeeper sessionKeeper;
  /** This data directory's identity (meta.properties), checked at start and written once registered. */
  private MetaProperties identity;
  private volatile DataDirectoryLock dataDirectoryLock;
  private BrokerRegistration registration;
  private Future<Void> closed;
  private Services services;
  private io.sluice.api.TransactionService transactions;
  private MetricsService metrics;
  /** The metrics being built from the moment Vert.x runs ({@link #startBuildingMetrics}). */
  private volatile Future<MetricsService> metricsBuilt;
  /** Completes when the start does; fails if the broker closes first. */
  private final Promise<Void> started = Promise.promise();
  /** The start's steps, timed for its log line (and counted with their DEBUG logger on). */
  private final StartSteps steps = new StartSteps();

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
    private LongSupplier groupClock = System::currentTimeMillis;
    private Function<CuratorFramework, ZookeeperClusterManager> clusterManager =
        curator -> new ZookeeperClusterManager(curator, UUID.randomUUID().toString());

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

    /** The group coordinator's clock (tests move it to expire commits: offsets.retention.minutes). */
    public Builder groupClock(LongSupplier clockMs) {
      this.groupClock = clockMs;
      return this;
    }

    /** The cluster manager over the broker's ZooKeeper client (tests hold its join). */
    Builder clusterManager(Function<CuratorFramework, ZookeeperClusterManager> factory) {
      this.clusterManager = factory;
      return this;
    }

    /** Starts the broker; on failure everything already started is closed again. */
    public Future<Broker> start() {
      Broker broker = new Broker(config, this);
      HeapRelease.apply(config.getLong(BrokerConfig.HEAP_RELEASE_INTERVAL_MS));
      return broker.boot().map(broker)
          .recover(t -> Future.failedFuture(ZooKeeperClients.explainRefusal(t, config.zookeeperTls())))
          .recover(t -> {
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
    return steps.time("zookeeper port", startZooKeeper())
        // The clustered Vert.x (its ZooKeeper session and cluster join) starts while the embedded server loads.
        .compose(connect -> {
          CuratorFramework zk = startZooKeeperClient();
          Future<Void> checked = serveZooKeeper(zk).compose(v -> checkZooKeeperSecurity(zk));
          Future<Void> vertxStarted = startVertx(zk);
          // A refused check fails the start at once, not when Vert.x's join gives up on the closed client; a Vert.x
          // failing first waits for the check, whose message names the settings.
          return steps.time("zookeeper and vertx", checked.compose(v -> vertxStarted));
        })
        .compose(v -> {
          startBuildingMetrics();
          return steps.time("metadata", startMetadata());
        })
        .compose(v -> steps.time("cluster id", joinCluster()))
        .compose(v -> steps.time("registration", register()))
        .compose(v -> steps.time("identity", storageExecutor.executeBlocking(() -> {
          identity.write(config.dataDir());
          return null;
        }, false)))
        .compose(v -> steps.time("log store", openLogStore()))
        .compose(v -> steps.time("partitions", hostPartitions()))
        .compose(v -> steps.time("cluster role", startClusterRole()))
        // The candidacy is not held back behind the front ends: an election (and so readiness) takes a while.
        .compose(v -> Future.all(steps.time("controller", controller.start()), frontEnds(steps)).<Void>mapEmpty())
        .onSuccess(v -> {
          LOG.log(Level.INFO, "Broker " + config.brokerId() + " started in " + steps);
          started.tryComplete();
          steps.logCounts(config.brokerId());
        });
  }

  /** Metrics, broker services and listeners, the listeners' endpoints advertised. */
  private Future<Void> frontEnds(StartSteps steps) {
    return steps.time("metrics", startMetrics())
        .compose(v -> startComponents(steps))
        .compose(v -> steps.time("listeners", startListeners()))
        .compose(v -> steps.time("advertise", advertiseListeners()));
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
   * Claims the broker id, advertising the configured HTTP port, as a broker still starting; once the listeners are
   * bound their endpoints replace it and the mark goes ({@link #advertiseListeners}).
   */
  private Future<Void> register() {
    registration = new BrokerRegistration(config.brokerId(), advertisedHttpHost(), config.httpPort(),
        clusterManager.getNodeId(), identity.directoryId()).withRack(config.brokerRack()).withStarting(true);
    return metadata.registerBroker(registration, config.zookeeperSessionTimeoutMs());
  }

  /**
   * The broker services, in start order (stopped in reverse). The group coordinator comes first: it provides the
   * consumer service every listener and later component is handed. To add a broker service, add its factory here.
   */
  private static final List<BrokerComponent.Factory> COMPONENTS = List.of(StreamsService::new,
      io.sluice.quota.QuotaService::new, io.sluice.tls.ListenerTlsService::new,
      io.sluice.share.ShareGroupsService::new);

  /**
   * Builds the metrics on a worker as soon as Vert.x runs, beside the steps up to the front ends: creating the registry
   * and binding the JVM meters loads hundreds of classes (seconds of an event loop on a loaded machine, a tenth of a
   * start on a quiet one). The sources are read only once the metrics sample or are scraped, after the start.
   */
  private void startBuildingMetrics() {
    metricsBuilt = vertx.executeBlocking(() -> steps.beside("metrics build", () -> new MetricsService(vertx, config,
        new MetricsService.Sources(config.brokerId(), () -> metadata.snapshot(), () -> partitions.replicaStats(),
            () -> controller.isActive()))), false);
  }

  /** Metrics and the dashboard: listeners get the metered service and mount their routes. */
  private Future<Void> startMetrics() {
    return metricsBuilt.compose(m -> {
      metrics = m;
      if (replicationServer != null) {
        replicationServer.stats().bindTo(m.meters());
      }
      partitions.followerFetchCache().bindTo(m.meters());
      return m.start(service, metadata::addListener);
    });
  }

  /**
   * Builds the broker services once (so every listener shares them) and starts them in order, each its own step of
   * the start's log line (several wait for ZooKeeper: where a slow start waited shows there).
   */
  private Future<Void> startComponents(StartSteps steps) {
    GroupCoordination groups = new GroupCoordination(vertx, config, service, builder.groupClock);
    localService.verifyTransactionsWith(groups.transactions());
    transactions = groups.transactions();
    metrics.useLocalGroups(groups.localGroups());
    Acls acls = authorization();
    policed = new PolicyBrokerService(service, acls);
    if (acls != null) {
      groups.readsCheckedBy(policed);
    }
    Set<OAuthBearerConfig.Method> methods =
        OAuthBearerConfig.methods(config.getString(BrokerConfig.AUTHENTICATION_METHOD));
    ScramAuthentication authentication = new ScramAuthentication(vertx,
        clusterManager.getCuratorFramework().usingNamespace(ZkPaths.NAMESPACE), methods,
        methods.contains(OAuthBearerConfig.Method.OAUTHBEARER) ? new OAuthBearer(vertx, config) : null,
        config.getString(BrokerConfig.SUPER_USERS),
        config.getInt(BrokerConfig.AUTHENTICATION_MAX_PENDING_VERIFICATIONS));
    // Broker services that serve HTTP add their routes to the listener: metrics, the dashboard, Kafka Connect's API.
    List<Object> extensions = new ArrayList<>(metrics.httpExtensions());
    extensions.add(authentication);
    // The brokers' own HTTP clients (connect's, the metrics' cluster view) authenticate as the broker.
    Supplier<String[]> brokerCredentials = () -> authentication.brokerCredentials(config.brokerId());
    metrics.peerCredentials(brokerCredentials);
    // The connect worker (plugin scan, its own clients of this broker) waits until the broker has started: it is not
    // part of ready and took CPU from the start's last steps.
    extensions.add(new ConnectService(vertx, service, config, metrics.meters()).clientCredentials(brokerCredentials)
        .policy(acls == null ? null : policed)
        .httpExtension(started.future()));
    // Confluent's schema registry API, started with the broker as connect's worker is (its client of this broker).
    extensions.add(new SchemaRegistryService(vertx, service, config).clientCredentials(brokerCredentials)
        .httpExtension(started.future()));
    extensions.add(new TransactionsEndpoint(acls == null ? groups.transactions()
        : new AuthorizingTransactionService(groups.transactions(), acls.authorizer())));
    // Client traffic is counted once, where it enters: behind the policy, in front of forwarding.
    Services services = new Services(metrics.meter(policed),
        acls == null ? groups.consumers() : new AuthorizingConsumerService(groups.consumers(), acls.authorizer()),
        acls == null ? groups.groups() : new AuthorizingGroupService(groups.groups(), acls.authorizer()), () -> true,
        extensions);
    // Users are loaded before any listener serves.
    components.add(authentication);
    components.add(groups);
    BrokerComponent.Context context = new BrokerComponent.Context(vertx, config, service, services, metrics.meters());
    COMPONENTS.forEach(f -> components.add(f.create(context)));
    builder.listeners.forEach(f -> listeners.add(f.apply(config)));
    // The ACLs are read before any listener serves: until then every client request would be refused.
    Future<Void> chain = steps.time("services", aclStore == null ? Future.succeededFuture() : aclStore.start());
    for (BrokerComponent c : components) {
      chain = chain.compose(v -> steps.time(c.name(), c.start().onFailure(t -> LOG.log(Level.ERROR, "Starting the "
          + c.name() + " failed", t))));
    }
    this.services = services;
    return chain;
  }

  /** The ACLs and the store that follows them, with {@code authorizer.enable}; null without. */
  private Acls authorization() {
    if (!config.getBoolean(BrokerConfig.AUTHORIZER_ENABLE)) {
      return null;
    }
    Authorizer authorizer = new Authorizer(Authorizer.parseSuperUsers(config.getString(BrokerConfig.SUPER_USERS)),
        config.getBoolean(BrokerConfig.ALLOW_EVERYONE_IF_NO_ACL_FOUND));
    aclStore = new ZkAclStore(vertx, clusterManager.getCuratorFramework().usingNamespace(ZkPaths.NAMESPACE),
        zookeeperExecutor, authorizer);
    return new Acls(authorizer, aclStore);
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
   * port, -1 without one), so clients of any protocol find it, and as a started broker: the controller's rebalance
   * may give it back its preferred leaderships from now on.
   */
  private Future<Void> advertiseListeners() {
    BrokerRegistration reg = registration.withEndpoints(endpoints).withStarting(false);
    Future<Void> advertised = reg.equals(registration) ? Future.succeededFuture() : metadata.updateRegistration(reg);
    registration = reg;
    return advertised.compose(r -> cluster.recordSeen(reg));
  }

  /**
   * The cluster services: the replica fetch and forwarding endpoints on the event bus, the controller, the service
   * front ends call (which forwards partition requests to their leaders), and the {@link SessionKeeper}, which fences
   * the partitions while the ZooKeeper session may be lost and rejoins the cluster in place when ZooKeeper is back.
   */
  private Future<Void> startClusterRole() {
    TopicSync topicSync = new TopicSync(vertx, config.brokerId(), metadata::snapshot,
        config.getLong(BrokerConfig.METADATA_PROPAGATION_TIMEOUT_MS));
    metadata.addListener(topicSync::onSnapshot);
    localService = new LocalBrokerService(config, metadata, partitions, topicSync);
    controller = new Controller(clusterManager.getCuratorFramework().usingNamespace(ZkPaths.NAMESPACE), metadata,
        zookeeperExecutor, config.brokerId(), config.getBoolean(BrokerConfig.UNCLEAN_LEADER_ELECTION_ENABLE),
        new Controller.Rebalance(config.getBoolean(BrokerConfig.AUTO_LEADER_REBALANCE_ENABLE),
            TimeUnit.SECONDS.toMillis(config.getLong(BrokerConfig.LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS)),
            config.getInt(BrokerConfig.LEADER_IMBALANCE_PER_BROKER_PERCENTAGE)));
    sessionKeeper = new SessionKeeper(vertx, clusterManager.getCuratorFramework(), clusterManager, metadata,
        partitions, config.brokerId(), config.zookeeperSessionTimeoutMs());
    service = new ForwardingBrokerService(vertx, config.brokerId(), localService, metadata,
        new ForwardingBrokerService.ClusterAdmin() {
          @Override
          public Future<ClusterDescription> describe() {
            return describeCluster();
          }

          @Override
          public Future<Void> unregister(int id) {
            return boundedByZooKeeper("unregister a broker", () -> cluster.unregister(id, metadata.snapshot()));
          }
        }, sessionKeeper::notReadyReason,
        config.rackAwareReplicaSelector() ? config.brokerRack() : null);
    replicationServer = new ReplicationServer(vertx, config.brokerId(), config.clusterHost(), partitions, config.ssl());
    forwardServer = new ForwardServer(vertx, config.brokerId(), localService);
    sessionKeeper.start();
    return Future.join(replicationServer.start(), forwardServer.start()).mapEmpty();
  }

  /** {@code GET /cluster}: it reads ZooKeeper, so it fails fast without a connection and is bounded. */
  private Future<ClusterDescription> describeCluster() {
    return boundedByZooKeeper("describe the cluster", () -> cluster.describe(metadata.snapshot()));
  }

  /** {@code call} to ZooKeeper, refused at once without a connection and bounded by the session timeout. */
  private <T> Future<T> boundedByZooKeeper(String what, Supplier<Future<T>> call) {
    if (!metadata.connected()) {
      return Future.failedFuture(new SluiceException(ErrorCode.BROKER_NOT_AVAILABLE, "Broker " + config.brokerId()
          + " has no ZooKeeper connection: it cannot " + what + " now; ask another broker or retry"));
    }
    long timeoutMs = config.zookeeperSessionTimeoutMs();
    return call.get().timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .recover(t -> Future.failedFuture(t instanceof java.util.concurrent.TimeoutException
            ? new SluiceException(ErrorCode.BROKER_NOT_AVAILABLE, "ZooKeeper did not answer within " + timeoutMs
                + " ms") : t));
  }

  /** Why this broker should not take traffic now (no ZooKeeper session, no controller...), or empty. Any thread. */
  public Optional<String> notReadyReason() {
    SessionKeeper k = sessionKeeper;
    return k == null ? Optional.of("Broker " + config.brokerId() + " is starting") : k.notReadyReason();
  }

  /**
   * Reads the data directory's identity (refusing one of another broker id before anything else starts), then
   * starts the embedded ZooKeeper or finds the one to join.
   */
  private Future<String> startZooKeeper() {
    return onBootstrapThread(() -> steps.beside("data directory and identity", () -> {
      try {
        Files.createDirectories(config.dataDir());
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot create data directory " + config.dataDir(), e);
      }
      dataDirectoryLock = DataDirectoryLock.acquire(config.dataDir());
      io.sluice.storage.RocksNative.cacheIn(config.rocksdbNativeDir()); // before the log store's index loads it
      VertxFileCache.clearLeftovers(config.dataDir());
      identity = DataDirectoryIdentity.load(config.dataDir(), config.brokerId());
      startOpeningLogStore();
      return null;
    })).compose(v -> config.zookeeperConnect().isPresent()
        ? Future.succeededFuture(zookeeperConnect = config.zookeeperConnect().get())
        : startEmbeddedZooKeeper());
  }

  private Future<String> startEmbeddedZooKeeper() {
    return onBootstrapThread(() -> steps.beside("embedded zookeeper port", () -> {
      int port = config.zookeeperEmbeddedPort();
      try {
        boundZooKeeper = EmbeddedZooKeeper.bind(config.dataDir().resolve("zookeeper"), port,
            EmbeddedZooKeeperTls.of(config), EmbeddedZooKeeperAuth.of(config));
        zookeeperConnect = boundZooKeeper.connectString();
      } catch (EmbeddedZooKeeper.PortTakenException e) {
        // Another broker on this machine runs the embedded server (or won the race to start it): join its cluster.
        // If it is still loading, the cluster manager's connect retries until it answers.
        zookeeperConnect = "127.0.0.1:" + port;
        LOG.log(Level.INFO, "Port " + port + " is taken: joining the ZooKeeper there (another broker's embedded one)");
      }
      return zookeeperConnect;
    }));
  }

  /**
   * Loads and serves the embedded ZooKeeper whose port {@link #startEmbeddedZooKeeper} took (nothing to do when joining
   * another one). If it fails, the ZooKeeper client is closed so that the clustered Vert.x's start fails too instead
   * of retrying a server that will never answer.
   */
  private Future<Void> serveZooKeeper(CuratorFramework client) {
    EmbeddedZooKeeper.Bound bound = boundZooKeeper;
    if (bound == null) {
      return Future.succeededFuture();
    }
    boundZooKeeper = null;
    // Its own thread: the bootstrap thread goes on creating Vert.x meanwhile.
    Promise<Void> served = Promise.promise();
    Thread t = new Thread(() -> {
      try {
        embeddedZooKeeper = steps.beside("embedded zookeeper load and serve", bound::serve);
        served.complete();
      } catch (RuntimeException | Error e) {
        client.close();
        served.fail(e);
      }
    }, "sluice-zookeeper-start-" + config.brokerId());
    t.setDaemon(true);
    t.start();
    return served.future();
  }

  /**
   * With {@code zookeeper.ssl.client.enable}, a TLS handshake with ZooKeeper first, and with a SASL login one login:
   * a certificate either side refuses or a password ZooKeeper refuses fails the start naming the settings, and closes
   * the client so that the clustered Vert.x's start fails too.
   */
  private Future<Void> checkZooKeeperSecurity(CuratorFramework client) {
    ZooKeeperClientTls zk = config.zookeeperTls();
    if (!zk.enabled() && !zk.sasl().enabled()) {
      return Future.succeededFuture();
    }
    return onBootstrapThread(() -> {
      try {
        ZooKeeperClients.checkHandshake(zookeeperConnect, zk, config.zookeeperConnectionTimeoutMs());
        ZooKeeperClients.checkSasl(zookeeperConnect, zk, config.zookeeperConnectionTimeoutMs());
        return null;
      } catch (RuntimeException e) {
        client.close();
        throw e;
      }
    });
  }

  /** The ZooKeeper client the cluster manager and the broker share; it connects in the background. */
  private CuratorFramework startZooKeeperClient() {
    CuratorFrameworkFactory.Builder zk = ZooKeeperClients.builder(zookeeperConnect, config.zookeeperTls())
        .namespace(ZK_ROOT_PATH)
        .sessionTimeoutMs(config.zookeeperSessionTimeoutMs())
        .connectionTimeoutMs(config.zookeeperConnectionTimeoutMs())
        .retryPolicy(new ExponentialBackoffRetry(100, 5, 10_000));
    CuratorFramework curator = ZkSessionPolicy.serverDecidesExpiry(zk).build();
    steps.markWhen("zookeeper session", curator.getConnectionStateListenable(),
        org.apache.curator.framework.state.ConnectionState::isConnected);
    curator.start();
    return curator;
  }

  private Future<Void> startVertx(CuratorFramework curator) {
    clusterManager = builder.clusterManager.apply(curator);
    VertxOptions options = new VertxOptions().setEventBusOptions(eventBusOptions());
    // The first blocked-loop warning carries the loop's stack: a block shorter than Vert.x's 5 s default for the
    // stack otherwise says only that something held the loop, never what.
    options.setWarningExceptionTime(options.getMaxEventLoopExecuteTime())
        .setWarningExceptionTimeUnit(options.getMaxEventLoopExecuteTimeUnit());
    // Each hop between event loops (produce's HTTP loop, the partition's context, the fetch's loop) wakes a thread;
    // on a machine with few cores a smaller pool keeps more of a record's path on one (issue 16).
    if (config.numEventLoopThreads() > 0) {
      options.setEventLoopPoolSize(config.numEventLoopThreads());
    }
    options.setFileSystemOptions(VertxFileCache.options(config.dataDir()));
    builder.vertxOptions.accept(options);
    return steps.beside("vertx create", () -> Vertx.builder().with(options).withClusterManager(clusterManager)
        .buildClustered()).<Void>compose(v -> {
      steps.mark("clustered vertx joined");
      if (!adoptVertx(v)) {
        // The start failed (or the broker closed) while Vert.x joined: nothing may keep running behind it.
        return v.close().transform(ar -> Future.failedFuture("Broker " + config.brokerId() + " closed while"
            + " Vert.x started"));
      }
      if (config.ssl().interBroker()) {
        // Rotations of listener.name.broker.ssl.* reach the event bus as they reach the replica links.
        EventBusTls.follow(v, options.getEventBusOptions(), config.ssl().listener(SslConfig.BROKER_LISTENER));
      }
      storageExecutor = v.createSharedWorkerExecutor(STORAGE_POOL, config.numIoThreads());
      zookeeperExecutor = v.createSharedWorkerExecutor(ZOOKEEPER_POOL, ZOOKEEPER_POOL_SIZE);
      return Future.succeededFuture();
    }).onFailure(t -> curator.close());
  }

  /** Takes {@code v} as the broker's Vert.x unless {@link #close} began: then its "Vert.x" step has passed it by. */
  private synchronized boolean adoptVertx(Vertx v) {
    if (closed != null) {
      return false;
    }
    vertx = v;
    return true;
  }

  /** The Vert.x for {@link #close}'s step: one arriving later closes itself ({@link #adoptVertx}). */
  private synchronized Future<Void> closeVertx() {
    return vertx == null ? null : vertx.close();
  }

  /**
   * The event bus between brokers; with {@code security.inter.broker.protocol=SSL} over TLS both ways: a broker
   * shows its certificate and takes a connection only from a broker whose certificate its trust store vouches for
   * (host names are not checked: the CA is what admits a peer).
   */
  private EventBusOptions eventBusOptions() {
    EventBusOptions options = new EventBusOptions().setHost(config.clusterHost()).setPort(config.clusterPort())
        .setClusterPublicHost(config.clusterHost());
    return config.ssl().interBroker() ? config.ssl().apply(options).setClientAuth(ClientAuth.REQUIRED) : options;
  }

  /**
   * Opens the log store (RocksDB's native library and index: a large share of a start) on a thread of its own while
   * ZooKeeper and Vert.x start; {@link #openLogStore} takes the result. Only once the directory is known to be this
   * broker's: opening serves nothing, and the broker still hosts nothing before its registration.
   */
  private void startOpeningLogStore() {
    logStoreOpening = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        LogManager opened = steps.beside("log store open", () -> LogManager.open(config.dataDir(),
            config.getLong(BrokerConfig.LOG_INDEX_MEMORY_BYTES)));
        opened.producerIdMaxPerBroker(config.getInt(BrokerConfig.PRODUCER_ID_MAX_PER_BROKER));
        logStoreOpening.complete(opened);
      } catch (RuntimeException | Error e) {
        logStoreOpening.completeExceptionally(e);
      }
    }, "sluice-log-store-open-" + config.brokerId());
    t.setDaemon(true);
    t.start();
  }

  private Future<Void> openLogStore() {
    return Future.fromCompletionStage(logStoreOpening).<Void>map(store -> {
      logStore = store;
      return null;
    }).recover(t -> Future.failedFuture(t instanceof CompletionException && t.getCause() != null ? t.getCause() : t));
  }

  /** Starts following the metadata in ZooKeeper; hosts nothing yet. */
  private Future<Void> startMetadata() {
    metadata = new ZkMetadataStore(vertx, clusterManager.getCuratorFramework(), zookeeperExecutor,
        ((VertxInternal) vertx).createEventLoopContext());
    metadata.watchForPauses(config.zookeeperSessionTimeoutMs() / 2);
    metadata.requestTimeoutMs(config.zookeeperSessionTimeoutMs());
    // Served before this broker registers: a broker another one sees alive answers its topic changes' waits.
    topicSyncServer = new TopicSyncServer(vertx, config.brokerId(), metadata, () -> partitions);
    return metadata.start().compose(s -> topicSyncServer.start());
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
      partitions.deleteStrayLogs().onSuccess(this::warnAboutUnknownLogs)
          .onFailure(t -> LOG.log(Level.ERROR, "Could not look for stray logs in " + config.dataDir(), t));
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
  private void warnAboutUnknownLogs(PartitionManager.StrayLogs found) {
    Set<String> stray = new TreeSet<>();
    found.unknownTopics().forEach(tp -> stray.add(tp.toString()));
    if (!stray.isEmpty()) {
      LOG.log(Level.WARNING, "Data directory " + config.dataDir() + " holds logs of topics unknown to ZooKeeper "
          + zookeeperConnect + ", left untouched: " + stray);
    }
  }

  private String advertisedHttpHost() {
    String host = config.httpHost();
    return host.equals("0.0.0.0") || host.equals("::") ? config.clusterHost() : host;
  }

  /**
   * Stops the broker cleanly; every step runs even if an earlier one failed, and each is bounded, so the whole takes
   * at most {@code shutdown.timeout.ms} whatever ZooKeeper does: a step that needs ZooKeeper gets
   * {@link #ZOOKEEPER_STEP_MS} (without a connection it could wait for good: Curator retries, vertx-zookeeper's
   * unregistrations wait for the server), the others what is left of the grace. An abandoned step is logged; an
   * abandoned log close costs a recovery scan at the next start, never data. Idempotent.
   */
  public synchronized Future<Void> close() {
    if (closed != null) {
      return closed;
    }
    long graceMs = config.getInt(BrokerConfig.SHUTDOWN_TIMEOUT_MS);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMs);
    // The steps before the partitions may each wait out their bound (ZooKeeper gone): they stop early enough to leave
    // the local steps their share, and the partitions leave the log store time to close after them.
    long remoteDeadline = deadline - TimeUnit.MILLISECONDS.toNanos(localReserveMs(graceMs));
    long partitionsDeadline = deadline - TimeUnit.MILLISECONDS.toNanos(localReserveMs(graceMs) / 4);
    started.tryFail("Broker " + config.brokerId() + " stopped before its start completed");
    Future<Void> chain = Future.succeededFuture();
    if (sessionKeeper != null) {
      sessionKeeper.close();
    }
    long controlledShutdownMs = config.getInt(BrokerConfig.CONTROLLED_SHUTDOWN_TIMEOUT_MS);
    chain = step(chain, "controlled shutdown", controlledShutdownMs, remoteDeadline,
        () -> controlledShutdown(controlledShutdownMs));
    for (Listener l : reversed(startedListeners)) {
      chain = step(chain, "listener " + l.name(), HTTP_STEP_MS, remoteDeadline, l::stop);
    }
    // A broker service may unregister event-bus consumers: ZooKeeper writes.
    for (BrokerComponent c : reversed(components)) {
      chain = step(chain, c.name(), ZOOKEEPER_STEP_MS, remoteDeadline, c::stop);
    }
    chain = step(chain, "ACL store", HTTP_STEP_MS, remoteDeadline, () -> {
      if (aclStore != null) {
        aclStore.close();
      }
      return null;
    });
    Future<MetricsService> builtMetrics = metricsBuilt;
    chain = step(chain, "metrics", HTTP_STEP_MS, remoteDeadline, () -> builtMetrics == null ? null
        : builtMetrics.transform(ar -> ar.succeeded() ? ar.result().close() : Future.succeededFuture()));
    chain = step(chain, "controller", ZOOKEEPER_STEP_MS, remoteDeadline,
        () -> controller == null ? null : controller.close());
    chain = step(chain, "cluster endpoints", ZOOKEEPER_STEP_MS, remoteDeadline, () -> replicationServer == null ? null
        : Future.join(replicationServer.stop(), forwardServer.stop()));
    chain = step(chain, "topic sync", ZOOKEEPER_STEP_MS, remoteDeadline,
        () -> topicSyncServer == null ? null : topicSyncServer.stop());
    chain = step(chain, "partitions", Long.MAX_VALUE, partitionsDeadline,
        () -> partitions == null ? null : partitions.closeAll());
    // Only now: a partition still closing (its step abandoned) meets a closed index store, a storage error
    chain = step(chain, "log store", Long.MAX_VALUE, deadline, this::closeLogStore);
    chain = step(chain, "metadata", ZOOKEEPER_STEP_MS, deadline, () -> metadata == null ? null : metadata.closeAsync());
    chain = step(chain, "worker pools", ZOOKEEPER_STEP_MS, deadline, () -> storageExecutor == null ? null
        : Future.join(storageExecutor.close(), zookeeperExecutor.close()));
    chain = step(chain, "Vert.x", VERTX_STEP_MS, deadline, this::closeVertx);
    chain = step(chain, "ZooKeeper", Long.MAX_VALUE, deadline, () -> embeddedZooKeeper == null
        && boundZooKeeper == null ? null : onBootstrapThread(() -> {
          if (embeddedZooKeeper != null) {
            embeddedZooKeeper.close();
          } else {
            boundZooKeeper.release(); // a start that failed between taking the port and serving
          }
          return null;
        }));
    closed = chain.andThen(ar -> {
      if (dataDirectoryLock != null) {
        dataDirectoryLock.close(); // last: nothing of this broker's writes to the directory any more
      }
      bootstrap.shutdown();
      LOG.log(Level.INFO, "Broker " + config.brokerId() + " stopped");
    });
    return closed;
  }

  /**
   * The part of a shutdown grace of {@code graceMs} kept for the local steps (closing the partitions' logs, then the
   * log store): a third, at most 10 s.
   */
  static long localReserveMs(long graceMs) {
    return Math.min(graceMs / 3, 10_000);
  }

  /** Closes the log store, also one still opening or opened by a start that failed before it took it. */
  /** Leadership off this broker before its listeners stop ({@link ControlledShutdown}); null when off or not started. */
  private Future<?> controlledShutdown(long timeoutMs) {
    if (!config.getBoolean(BrokerConfig.CONTROLLED_SHUTDOWN_ENABLE) || metadata == null || registration == null
        || !started.future().succeeded()) {
      return null;
    }
    return ControlledShutdown.run(metadata, registration, timeoutMs)
        .onSuccess(written -> registration = written);
  }

  private Future<Void> closeLogStore() {
    CompletableFuture<LogManager> opening = logStoreOpening;
    if (opening == null) {
      return null;
    }
    return Future.fromCompletionStage(opening.thenAcceptAsync(LogManager::close, bootstrap)
        .exceptionally(t -> null)); // a store that failed to open has nothing to close
  }

  private static <T> List<T> reversed(List<T> list) {
    List<T> copy = new ArrayList<>(list);
    java.util.Collections.reverse(copy);
    return copy;
  }

  /** Runs {@code action} after {@code previous}, abandoned after {@code limitMs} or at {@code deadline}. */
  private Future<Void> step(Future<Void> previous, String what, long limitMs, long deadline,
      Supplier<Future<?>> action) {
    return previous.compose(v -> {
      long leftMs = Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
      long boundMs = Math.min(limitMs, leftMs);
      Future<?> f;
      try {
        f = action.get();
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      if (f == null) {
        return Future.<Void>succeededFuture();
      }
      return bounded(f.mapEmpty(), boundMs).recover(t -> {
        if (t instanceof java.util.concurrent.TimeoutException) {
          LOG.log(Level.WARNING, "Shutdown: closing the " + what + " did not finish within " + boundMs
              + " ms; going on without it");
        } else {
          LOG.log(Level.ERROR, "Shutdown: closing the " + what + " failed", t);
        }
        return Future.succeededFuture();
      });
    });
  }

  /**
   * {@code f}, failed with a TimeoutException after {@code boundMs}. Timed on a thread of its own: Vert.x timers
   * would not fire once Vert.x itself is closing.
   */
  private Future<Void> bounded(Future<Void> f, long boundMs) {
    if (f.isComplete() || boundMs == Long.MAX_VALUE) {
      return f;
    }
    Promise<Void> p = Promise.promise();
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sluice-shutdown-timer-" + config.brokerId());
      t.setDaemon(true);
      return t;
    });
    timer.schedule(() -> p.tryFail(new java.util.concurrent.TimeoutException()), boundMs, TimeUnit.MILLISECONDS);
    f.onComplete(ar -> {
      timer.shutdownNow();
      if (ar.succeeded()) {
        p.tryComplete();
      } else {
        p.tryFail(ar.cause());
      }
    });
    return p.future();
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

  /**
   * The transaction coordinator for the broker's own calls: each routed to its transactional id's coordinator, no
   * caller policy.
   */
  public io.sluice.api.TransactionService transactions() {
    return transactions;
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

  /** The follower fetches this broker answered as leader (its metrics' counters; tests watch followers catch up). */
  public io.sluice.broker.replication.ReplicaFetchStats replicaFetchesServed() {
    return replicationServer.stats();
  }

  /** The partitions deployed on this broker. */
  public Set<TopicPartition> hostedPartitions() {
    return partitions.hostedPartitions();
  }
}
