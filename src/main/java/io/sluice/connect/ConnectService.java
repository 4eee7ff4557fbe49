package io.sluice.connect;

import io.sluice.api.BrokerService;
import io.sluice.api.ClusterDescription;
import io.sluice.api.NewTopic;
import io.sluice.client.ClientOptions;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.sluice.client.SluiceClient;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.RequestContext;
import io.sluice.http.FrontEndView;
import io.sluice.http.HttpExtension;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.internal.VertxInternal;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.spi.cluster.zookeeper.ZookeeperClusterManager;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The connect service: Kafka Connect's worker inside every broker. It discovers plugins, tails the internal topics
 * once they exist (they are created, compacted and replicated like {@code __consumer_offsets}, when the first
 * connector is created), runs this broker's share of connectors and tasks ({@link Scheduler}) and serves Kafka
 * Connect's REST API on the broker's HTTP port ({@link ConnectEndpoint}).
 *
 * <p>Its connectors reach the cluster through the Java client on the broker's own HTTP port (loopback), as any
 * client would: idempotent {@code acks=all} producers, consumer groups, leaders followed across brokers.
 *
 * <p>Hooks into the broker: {@link #start} after the HTTP API listens (it serves meanwhile; the API answers 503 until
 * the worker is up, and {@code GET /ready} lists it as STARTING), {@link #stop} before it stops, and
 * {@link #mount} from the HTTP router. Blocking work (plugin scanning, ZooKeeper, connectors) runs on the
 * {@code sluice-connect} worker pool and on the scheduler's and tasks' own threads, never on an event loop.
 */
public final class ConnectService {
  private static final System.Logger LOG = System.getLogger(ConnectService.class.getName());
  public static final String POOL = "sluice-connect";

  private final Vertx vertx;
  private final BrokerService broker;
  private final BrokerConfig config;
  private final MeterRegistry meters;
  private WorkerExecutor pool;
  private volatile SluiceClient client;
  private volatile Producer producer;
  private volatile Plugins plugins;
  private volatile ConnectState state;
  private volatile WorkerContext worker;
  private volatile Scheduler scheduler;
  private volatile ConfigLock configLock;
  private volatile boolean topicsStarted;
  /** The one start, whichever listener (plain, TLS) reports serving first: a second made a second worker. */
  private Future<Void> started;
  private Future<Void> stopped;

  /** {@code meters}: where its tasks' meters go (the broker's, served at {@code GET /metrics}). */
  private java.util.function.Supplier<String[]> clientCredentials = () -> null;
  private BrokerService policy;

  public ConnectService(Vertx vertx, BrokerService broker, BrokerConfig config, MeterRegistry meters) {
    this.vertx = vertx;
    this.broker = broker;
    this.config = config;
    this.meters = meters;
  }

  /** The user and password its clients of the cluster send while authentication is on (null inside: none). */
  public ConnectService clientCredentials(java.util.function.Supplier<String[]> credentials) {
    this.clientCredentials = credentials;
    return this;
  }

  /**
   * The policed service whose ACLs hold a client to what its connectors read and write ({@link ConnectAccess});
   * null (the default) with the authorizer off.
   */
  public ConnectService policy(BrokerService policy) {
    this.policy = policy;
    return this;
  }

  BrokerService policy() {
    return policy;
  }

  /** Every topic of the cluster, as the broker lists them (a sink's {@code topics.regex} may match any). */
  Future<java.util.List<String>> allTopics() {
    return broker.listTopics(caller());
  }

  /** A service that is off: its routes answer 404 (for front ends built without a broker, and for tests). */
  public static ConnectService disabled() {
    return new ConnectService(null, null, BrokerConfig.of(Map.of(BrokerConfig.CONNECT_ENABLED, false)),
        new CompositeMeterRegistry());
  }

  /** The connect service's own calls: the broker's, not a client's (it creates internal topics). */
  private RequestContext caller() {
    return RequestContext.internal(config.brokerId());
  }

  /** Its HTTP side: Kafka Connect's REST API on the listener's router; the worker runs while the listener serves. */
  public HttpExtension httpExtension() {
    return httpExtension(Future.succeededFuture());
  }

  /**
   * As {@link #httpExtension()}, with the worker started only once {@code startAfter} succeeds (the broker's start:
   * the worker's plugin scan and clients are not part of being ready); its routes answer 503 until then. If {@code
   * startAfter} fails, the worker never starts and the extension reports FAILED.
   */
  public HttpExtension httpExtension(Future<?> startAfter) {
    return new HttpExtension() {
      @Override
      public String name() {
        return "connect";
      }

      @Override
      public void mount(Router router, Handler<RoutingContext> jsonBody) {
        ConnectService.this.mount(router, jsonBody);
      }

      @Override
      public Future<Void> frontEndStarted(FrontEndView view) {
        return startAfter.compose(v -> start(view.port()));
      }

      @Override
      public Future<Void> frontEndStopping() {
        // Tasks commit their offsets through the API, so they stop while it still serves.
        return stop();
      }
    };
  }

  public boolean enabled() {
    return config.getBoolean(BrokerConfig.CONNECT_ENABLED);
  }

  /**
   * The worker's client of its own broker's listener: over TLS when the listener is, showing the broker's own
   * certificate (a listener with {@code ssl.client.auth=required} asks for one) and trusting the trust store.
   */
  private ClientOptions ownListener(int httpPort) {
    return io.sluice.broker.OwnListener.clientOptions(config, httpPort);
  }

  /**
   * Starts the worker once; {@code httpPort} is the bound HTTP port of the listener that serves first (the client's
   * bootstrap, the worker id). Every listener reports serving: a later call answers the first one's start.
   */
  public synchronized Future<Void> start(int httpPort) {
    if (!enabled()) {
      return Future.succeededFuture();
    }
    if (started == null) {
      started = starting(httpPort);
    }
    return started;
  }

  private Future<Void> starting(int httpPort) {
    pool = vertx.createSharedWorkerExecutor(POOL, 2);
    String host = config.httpHost().equals("0.0.0.0") || config.httpHost().equals("::") ? config.clusterHost()
        : config.httpHost();
    String workerId = host + ":" + httpPort;
    return pool.executeBlocking(() -> {
      plugins = Plugins.discover(pluginPath());
      ClientOptions options = ownListener(httpPort).requestTimeoutMs(30_000);
      String[] credentials = clientCredentials.get();
      if (credentials != null) {
        options.credentials(credentials[0], credentials[1]);
      }
      client = SluiceClient.create(vertx, options);
      producer = client.producer(ProducerOptions.defaults().acks("all").lingerMs(1));
      Runnable changed = () -> {
        Scheduler s = scheduler;
        if (s != null) {
          s.wakeup();
        }
      };
      state = new ConnectState(new InternalTopic(ConnectState.CONFIGS_TOPIC, client, producer, changed),
          new InternalTopic(ConnectState.STATUS_TOPIC, client, producer, () -> { }),
          new InternalTopic(ConnectState.OFFSETS_TOPIC, client, producer, () -> { }));
      ZookeeperClusterManager cm = (ZookeeperClusterManager) ((VertxInternal) vertx).clusterManager();
      configLock = new ConfigLock(cm.getCuratorFramework().usingNamespace("sluice"), pool);
      worker = new WorkerContext(workerId, plugins, client, producer, state, broker, meters,
          maxTasksPerConnector(), filePaths(), configLock, policy, topicCreationEnabled(), new PluginMeters(meters));
      scheduler = new Scheduler(cm.getCuratorFramework().usingNamespace("sluice"), config.brokerId(), worker);
      scheduler.start();
      return null;
    }, false).compose(v -> broker.describeTopic(caller(), ConnectState.CONFIGS_TOPIC)
        .map(md -> {
          startTails();
          return (Void) null;
        })
        .recover(t -> Future.succeededFuture()))
        .onSuccess(v -> watchForTopics())
        .onSuccess(v -> LOG.log(Level.INFO, "Connect worker " + workerId + " started with "
            + plugins.all().size() + " plugins"))
        // The broker serves without its connect service rather than not at all; the API answers 503.
        .recover(t -> {
          LOG.log(Level.ERROR, "The connect service failed to start; its API answers 503", t);
          worker = null;
          return Future.succeededFuture();
        });
  }

  /** Another broker may create the internal topics: look for them until they exist. */
  private void watchForTopics() {
    vertx.setPeriodic(2_000, id -> {
      if (topicsStarted || client == null) {
        vertx.cancelTimer(id);
        return;
      }
      broker.describeTopic(caller(), ConnectState.OFFSETS_TOPIC).onSuccess(md -> startTails());
    });
  }

  private List<Path> pluginPath() {
    List<Path> out = new ArrayList<>();
    String value = config.getString(BrokerConfig.PLUGIN_PATH);
    if (value != null) {
      for (String part : value.split(",")) {
        if (!part.isBlank()) {
          out.add(Path.of(part.trim()));
        }
      }
    }
    // After the user's directories, so a plugin.path copy of a bundled connector (a newer Debezium) wins.
    try {
      Path bundled = BundledPlugins.extract(config.dataDir().resolve("connect-plugins"));
      if (bundled != null) {
        out.add(bundled);
      }
    } catch (java.io.IOException e) {
      LOG.log(System.Logger.Level.WARNING, "Cannot copy out the bundled connector plugins: " + e);
    }
    return out;
  }

  private synchronized void startTails() {
    if (!topicsStarted) {
      topicsStarted = true;
      state.configs.start();
      state.status.start();
      state.offsets.start();
    }
  }

  /** Creates the internal topics unless they exist, then tails them. */
  Future<Void> ensureTopics() {
    if (topicsStarted) {
      return Future.succeededFuture();
    }
    return broker.describeCluster(caller()).compose(cluster -> {
      int rf = replicationFactor(cluster);
      Map<String, String> configs = Map.of("cleanup.policy", "compact", "retention.ms", "-1");
      List<Future<?>> creates = new ArrayList<>();
      for (String topic : List.of(ConnectState.CONFIGS_TOPIC, ConnectState.STATUS_TOPIC,
          ConnectState.OFFSETS_TOPIC)) {
        creates.add(broker.createTopic(caller(), new NewTopic(topic, 1, rf, configs)).recover(t ->
            t instanceof SluiceException e && e.errorCode() == ErrorCode.TOPIC_ALREADY_EXISTS
                ? Future.succeededFuture() : Future.failedFuture(t)));
      }
      return Future.all(creates);
    }).map(v -> {
      startTails();
      return null;
    });
  }

  /** {@code connect.topics.replication.factor}; -1 counts the brokers the cluster has had, as the offsets topic. */
  int replicationFactor(ClusterDescription cluster) {
    return cluster.internalTopicReplicationFactor(config.getInt(BrokerConfig.CONNECT_TOPICS_REPLICATION_FACTOR));
  }

  /**
   * Completes once no broker runs the connector or its tasks any more (a stopped connector's tasks commit their last
   * offsets while they stop, which must not overwrite offsets altered afterwards); fails after 30 s.
   */
  Future<Void> awaitUnitsStopped(String connector) {
    return pool.executeBlocking(() -> {
      long deadline = System.currentTimeMillis() + 30_000;
      while (scheduler.anyUnitOwned(connector)) {
        if (System.currentTimeMillis() > deadline) {
          throw new SluiceException(ErrorCode.SERVICE_UNAVAILABLE, "The tasks of connector " + connector
              + " are still stopping; retry later");
        }
        Thread.sleep(100); // polling ZooKeeper on a worker thread until the owners released the units
      }
      return null;
    }, false);
  }

  /** Checks a record the REST API writes against its internal topic's size limit. */
  RecordLimit recordLimit() {
    return new RecordLimit(broker, caller(), config.getInt(BrokerConfig.MESSAGE_MAX_BYTES));
  }

  /** Mounts Kafka Connect's REST API on the broker's router. */
  public void mount(Router router, Handler<RoutingContext> body) {
    new ConnectEndpoint(this).mount(router, body);
  }

  boolean ready() {
    return worker != null;
  }

  boolean topicsReady() {
    return topicsStarted;
  }

  WorkerContext worker() {
    return worker;
  }

  int maxConnectors() {
    return config.getInt(BrokerConfig.CONNECT_MAX_CONNECTORS);
  }

  FileConnectorPaths filePaths() {
    return FileConnectorPaths.parse(config.getString(BrokerConfig.CONNECT_FILE_ALLOWED_PATHS));
  }

  /** What validating a connector config asks of this worker. */
  ConnectorConfigs.Worker validationWorker() {
    return new ConnectorConfigs.Worker(maxTasksPerConnector(), filePaths(), topicCreationEnabled(),
        config.defaultLogConfig(), this::liveBrokers);
  }

  /** The worker's {@code topic.creation.enable} (Kafka Connect's): source connectors may create their topics. */
  boolean topicCreationEnabled() {
    return config.getBoolean(BrokerConfig.TOPIC_CREATION_ENABLE);
  }

  /** The brokers alive now; blocks (a worker thread only). */
  private int liveBrokers() {
    try {
      return (int) broker.describeCluster(caller()).toCompletionStage().toCompletableFuture()
          .get(30, java.util.concurrent.TimeUnit.SECONDS).brokers().stream().filter(b -> b.alive()).count();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new SluiceException(ErrorCode.SERVICE_UNAVAILABLE, "The live brokers could not be counted: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SluiceException(ErrorCode.SERVICE_UNAVAILABLE, "Interrupted while counting the live brokers");
    }
  }

  int maxTasksPerConnector() {
    return config.getInt(BrokerConfig.CONNECT_MAX_TASKS_PER_CONNECTOR);
  }

  Plugins plugins() {
    return plugins;
  }

  ConnectState state() {
    return state;
  }

  Scheduler scheduler() {
    return scheduler;
  }

  Vertx vertx() {
    return vertx;
  }

  WorkerExecutor pool() {
    return pool;
  }

  /** The cluster-wide lock that config writes depending on what exists hold (see {@link ConfigLock}). */
  ConfigLock configLock() {
    return configLock;
  }

  /** Stops every unit here (committing offsets), then the tails and the client. */
  public synchronized Future<Void> stop() {
    if (pool == null) {
      return Future.succeededFuture();
    }
    if (stopped != null) {
      return stopped;
    }
    stopped = pool.executeBlocking(() -> {
      if (scheduler != null) {
        scheduler.close();
      }
      if (state != null) {
        state.configs.close();
        state.status.close();
        state.offsets.close();
      }
      return null;
    }, false).compose(v -> client == null ? Future.succeededFuture()
        : Future.fromCompletionStage(client.close().subscribeAsCompletionStage()))
        .transform(ar -> pool.close());
    return stopped;
  }
}
