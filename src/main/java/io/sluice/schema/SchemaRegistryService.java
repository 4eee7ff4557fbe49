package io.sluice.schema;

import io.sluice.api.BrokerService;
import io.sluice.api.InternalTopics;
import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.broker.OwnListener;
import io.sluice.client.ClientOptions;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.SluiceClient;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
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
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The schema registry every broker serves under {@code /schema-registry} ({@link RegistryEndpoint}), speaking
 * Confluent Schema Registry's REST API, so {@code schema.registry.url=http://host:port/schema-registry} serves
 * Confluent's serializers. Its state is the compacted, replicated topic {@code _schemas} (created at the first
 * change, replicated as the offsets topic), which every broker follows live ({@link SchemaLog}); changes are made
 * by one broker at a time ({@link WriteLock}) and answered once committed ({@code acks=all}) and read back here.
 * It reaches the cluster as Kafka Connect's worker does: the Java client on its own broker's listener.
 */
public final class SchemaRegistryService {
  private static final System.Logger LOG = System.getLogger(SchemaRegistryService.class.getName());
  static final String POOL = "sluice-schema-registry";
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final Vertx vertx;
  private final BrokerService broker;
  private final BrokerConfig config;
  private final Registry registry = new Registry(new RegistryState());
  private Supplier<String[]> clientCredentials = () -> null;
  private volatile WorkerExecutor readers;
  private volatile WorkerExecutor writer;
  private volatile SluiceClient client;
  private volatile SchemaLog log;
  private volatile WriteLock lock;
  /** The one start, whichever listener (plain, TLS) reports serving first. */
  private Future<Void> started;

  public SchemaRegistryService(Vertx vertx, BrokerService broker, BrokerConfig config) {
    this.vertx = vertx;
    this.broker = broker;
    this.config = config;
  }

  /** A registry that is off: its routes answer 404 (front ends built without a broker, tests). */
  public static SchemaRegistryService disabled() {
    return new SchemaRegistryService(null, null, BrokerConfig.of(Map.of(BrokerConfig.SCHEMA_REGISTRY_ENABLED,
        false)));
  }

  /** The user and password its client of the cluster sends while authentication is on. */
  public SchemaRegistryService clientCredentials(Supplier<String[]> credentials) {
    this.clientCredentials = credentials;
    return this;
  }

  /** Its HTTP side, started once {@code startAfter} (the broker's start) succeeds; 503 until then. */
  public HttpExtension httpExtension(Future<?> startAfter) {
    return new HttpExtension() {
      @Override
      public String name() {
        return "schema-registry";
      }

      @Override
      public void mount(Router router, Handler<RoutingContext> jsonBody) {
        new RegistryEndpoint(SchemaRegistryService.this).mount(router, jsonBody);
      }

      @Override
      public Future<Void> frontEndStarted(FrontEndView view) {
        return startAfter.compose(v -> start(view.port()));
      }

      @Override
      public Future<Void> frontEndStopping() {
        return stop();
      }
    };
  }

  boolean enabled() {
    return config.getBoolean(BrokerConfig.SCHEMA_REGISTRY_ENABLED);
  }

  boolean ready() {
    return log != null;
  }

  Registry registry() {
    return registry;
  }

  WorkerExecutor readers() {
    return readers;
  }

  private RequestContext caller() {
    return RequestContext.internal(config.brokerId());
  }


  synchronized Future<Void> start(int httpPort) {
    if (!enabled()) {
      return Future.succeededFuture();
    }
    if (started != null) {
      return started;
    }
    started = starting(httpPort);
    return started;
  }

  private Future<Void> starting(int httpPort) {
    readers = vertx.createSharedWorkerExecutor(POOL, 2);
    writer = vertx.createSharedWorkerExecutor(POOL + "-writer", 1);
    ClientOptions options = OwnListener.clientOptions(config, httpPort).requestTimeoutMs(30_000);
    String[] credentials = clientCredentials.get();
    if (credentials != null) {
      options.credentials(credentials[0], credentials[1]);
    }
    client = SluiceClient.create(vertx, options);
    Producer producer = client.producer(ProducerOptions.defaults().acks("all").lingerMs(0));
    ZookeeperClusterManager cm = (ZookeeperClusterManager) ((VertxInternal) vertx).clusterManager();
    lock = new WriteLock(cm.getCuratorFramework().usingNamespace("sluice"), writer);
    SchemaLog following = new SchemaLog(client, producer, registry.state());
    return broker.describeTopic(caller(), InternalTopics.SCHEMAS)
        .compose(md -> {
          following.follow();
          return Future.fromCompletionStage(following.readToEnd().subscribeAsCompletionStage());
        })
        .recover(t -> Future.succeededFuture()) // no topic yet: the first change creates it
        .onSuccess(v -> log = following)
        .onSuccess(v -> LOG.log(Level.INFO, "The schema registry serves under /schema-registry"));
  }

  /**
   * Completes once this broker's state has every record of {@code _schemas} (it follows the topic once another
   * broker created it): a read that found nothing asks this before answering 404, so a schema registered on
   * another broker is found at once.
   */
  Future<Void> caughtUp() {
    SchemaLog l = log;
    if (l.tailing()) {
      return Future.fromCompletionStage(l.readToEnd().subscribeAsCompletionStage());
    }
    return broker.describeTopic(caller(), InternalTopics.SCHEMAS).compose(md -> {
      l.follow();
      return Future.fromCompletionStage(l.readToEnd().subscribeAsCompletionStage());
    }, t -> Future.succeededFuture());
  }

  /**
   * Makes {@code change} under the cluster's lock, once this broker has read the whole topic (creating it first if
   * no broker has), writes its records and answers once they are committed and applied here.
   */
  Future<Object> change(Registry.ChangeMaker change) {
    return lock.holding(() -> {
      ensureTopic();
      log.readToEnd().await().atMost(WAIT);
      Registry.Change made = change.make(lock::nextId);
      for (String[] record : made.records()) {
        log.written(record[0], record[1]).await().atMost(WAIT);
      }
      return made.answer();
    });
  }

  /** Creates {@code _schemas} unless it exists and follows it (blocking: on the writer thread). */
  private void ensureTopic() throws Exception {
    if (log.tailing()) {
      return;
    }
    broker.describeCluster(caller()).compose(cluster -> {
      int rf = cluster.internalTopicReplicationFactor(config.getInt(BrokerConfig.SCHEMA_REGISTRY_REPLICATION_FACTOR));
      return broker.createTopic(caller(), new NewTopic(InternalTopics.SCHEMAS, 1, rf,
          Map.of("cleanup.policy", "compact", "retention.ms", "-1")));
    }).recover(t -> t instanceof SluiceException e && e.errorCode() == ErrorCode.TOPIC_ALREADY_EXISTS
        ? Future.succeededFuture() : Future.failedFuture(t))
        .toCompletionStage().toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    log.follow();
  }

  Future<Void> stop() {
    SchemaLog l = log;
    if (l != null) {
      l.close();
    }
    Future<Void> closed = client == null ? Future.succeededFuture()
        : Future.fromCompletionStage(client.close().subscribeAsCompletionStage());
    return closed.transform(ar -> {
      if (readers != null) {
        readers.close();
        writer.close();
      }
      return Future.succeededFuture();
    });
  }
}
