package io.sluice.streams;

import io.sluice.api.BrokerService;
import io.sluice.api.ClusterDescription;
import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.broker.spi.BrokerComponent;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.http.HttpExtension;
import io.sluice.streams.state.StateMemory;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.spi.cluster.zookeeper.ZookeeperClusterManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The streams service: stream definitions submitted over HTTP ({@link StreamsEndpoint}), stored in ZooKeeper
 * ({@link StreamStore}) and run by every broker as tasks beside the input partitions it leads
 * ({@link TaskScheduler}, {@link StreamTask}), exactly once into the output topics. Details: {@code docs/streams.md}.
 *
 * <p>Threads: ZooKeeper calls and expression evaluation run on the {@code sluice-streams} pool, scheduling on its
 * own thread; tasks' loops on one event-loop context. Nothing blocks an event loop.
 */
public final class StreamsService implements BrokerComponent {
  public static final String POOL = "sluice-streams";

  private final Vertx vertx;
  private final BrokerConfig config;
  private final BrokerService cluster;
  private final MeterRegistry meters;
  private volatile DefinitionParser parser;
  private final Map<String, StreamDefinition> compiled = new ConcurrentHashMap<>();
  private WorkerExecutor pool;
  private volatile StreamStore store;
  private volatile TaskScheduler scheduler;
  private volatile StateMemory stateMemory;
  private volatile StoreQueryService queries;
  private BrokerService policy;
  private volatile io.vertx.core.eventbus.MessageConsumer<?> queryConsumer;

  public StreamsService(BrokerComponent.Context context) {
    this(context.vertx(), context.config(), context.cluster(), context.meters());
    this.policy = context.services().broker();
    context.services().extensions().add(httpExtension());
  }

  private StreamsService(Vertx vertx, BrokerConfig config, BrokerService cluster, MeterRegistry meters) {
    this.vertx = vertx;
    this.config = config;
    this.cluster = cluster;
    this.meters = meters;
  }

  /**
   * Building CEL's environment loads hundreds of classes (seconds of a loaded machine), so it happens at first use,
   * which is always on a worker (the pool or the scheduler's thread), and a broker's start does not wait for it.
   */
  private DefinitionParser newParser() {
    return new DefinitionParser(new Expressions(config.getInt(BrokerConfig.STREAMS_MAX_EXPRESSION_LENGTH),
        config.getInt(BrokerConfig.STREAMS_MAX_EXPRESSION_ITERATIONS),
        config.getInt(BrokerConfig.STREAMS_MAX_VALUE_BYTES)),
        new StreamDefinition.Limits(config.getInt(BrokerConfig.STREAMS_MAX_STEPS),
            config.getInt(BrokerConfig.STREAMS_MAX_OUTPUTS_PER_RECORD)));
  }

  /** The routes of a service that is off (they answer 404): for front ends built without a broker, and tests. */
  public static HttpExtension disabledHttpExtension() {
    return new StreamsService(null, BrokerConfig.of(Map.of(BrokerConfig.STREAMS_ENABLED, false)), null, null)
        .httpExtension();
  }

  @Override
  public String name() {
    return "streams service";
  }

  boolean enabled() {
    return config.getBoolean(BrokerConfig.STREAMS_ENABLED);
  }

  @Override
  public Future<Void> start() {
    if (!enabled()) {
      return Future.succeededFuture();
    }
    pool = vertx.createSharedWorkerExecutor(POOL + "-" + config.brokerId(),
        config.getInt(BrokerConfig.STREAMS_WORKER_THREADS));
    ZookeeperClusterManager cm = (ZookeeperClusterManager) ((VertxInternal) vertx).clusterManager();
    var zk = cm.getCuratorFramework().usingNamespace("sluice");
    StreamStore s = new StreamStore(zk);
    StateMemory memory = new StateMemory(config.getLong(BrokerConfig.STREAMS_STATE_MEMORY_BYTES));
    stateMemory = memory;
    // The tasks' loops get an event-loop context of their own, whatever context starts the service.
    TaskDeps deps = new TaskDeps(config.brokerId(), cluster, ((VertxInternal) vertx).createEventLoopContext(), pool,
        s, config.getLong(BrokerConfig.STREAMS_COMMIT_INTERVAL_MS),
        config.getInt(BrokerConfig.STREAMS_MAX_OUTPUTS_PER_RECORD), maxBytesPerRecord(), meters, config.dataDir().resolve("streams-state"),
        memory);
    TaskScheduler sched = new TaskScheduler(zk, deps, this::compile);
    io.sluice.broker.rpc.BrokerRpc rpc = io.sluice.broker.rpc.BrokerRpc.on(vertx);
    StoreQueryService q = new StoreQueryService(this, rpc, config.brokerId());
    return pool.executeBlocking(() -> {
      sched.start();
      store = s;
      scheduler = sched;
      return null;
    }, false).compose(v -> rpc.serve(StoreQueries.address(config.brokerId()), StoreQueries.class, q,
        Future::succeededFuture)).map(consumer -> {
          queryConsumer = consumer;
          queries = q;
          return null;
        });
  }

  @Override
  public Future<Void> stop() {
    if (pool == null) {
      return Future.succeededFuture();
    }
    TaskScheduler sched = scheduler;
    io.vertx.core.eventbus.MessageConsumer<?> consumer = queryConsumer;
    Future<Void> unregistered = consumer == null ? Future.succeededFuture() : consumer.unregister();
    return unregistered.recover(t -> Future.succeededFuture()).compose(x -> vertx.executeBlocking(() -> {
      if (sched != null) {
        sched.close();
      }
      if (stateMemory != null) {
        stateMemory.close();
      }
      return null;
    }, false)).transform(ar -> pool.close());
  }

  /** The definition of a stored record, compiled once per name and version. */
  StreamDefinition compile(StreamStore.Stored stored) {
    String key = stored.name() + "@" + stored.version();
    StreamDefinition d = compiled.get(key);
    if (d == null) {
      d = parser().parse(stored.definition(), stored.name());
      // Older versions of this stream are not run any more ('@' cannot occur in a stream's name).
      compiled.keySet().removeIf(k -> k.startsWith(stored.name() + "@"));
      compiled.put(key, d);
    }
    return d;
  }

  HttpExtension httpExtension() {
    return new HttpExtension() {
      @Override
      public void mount(Router router, Handler<RoutingContext> jsonBody) {
        new StreamsEndpoint(StreamsService.this).mount(router, jsonBody);
      }
    };
  }

  DefinitionParser parser() {
    DefinitionParser p = parser;
    if (p == null) {
      synchronized (this) {
        if (parser == null) {
          parser = newParser();
        }
        p = parser;
      }
    }
    return p;
  }

  BrokerService cluster() {
    return cluster;
  }

  /** The policed service whose ACLs a client's store query is checked against; null when built without one. */
  BrokerService policy() {
    return policy;
  }

  RequestContext caller() {
    return RequestContext.internal(config.brokerId());
  }

  int maxDefinitions() {
    return config.getInt(BrokerConfig.STREAMS_MAX_DEFINITIONS);
  }

  int maxOutputsPerRecord() {
    return config.getInt(BrokerConfig.STREAMS_MAX_OUTPUTS_PER_RECORD);
  }

  long maxBytesPerRecord() {
    return config.getLong(BrokerConfig.STREAMS_MAX_BYTES_PER_RECORD);
  }

  long maxAnswerBytes() {
    return config.getLong(BrokerConfig.STREAMS_MAX_ANSWER_BYTES);
  }

  /** The store, once started; 404 when the service is off, 503 while it starts. */
  StreamStore store() {
    if (!enabled()) {
      throw new SluiceException(ErrorCode.NOT_FOUND, "The streams service is disabled (streams.enabled=false)");
    }
    StreamStore s = store;
    if (s == null) {
      throw new SluiceException(ErrorCode.SERVICE_UNAVAILABLE, "The streams service is starting");
    }
    return s;
  }

  <T> Future<T> blocking(Callable<T> work) {
    return pool.executeBlocking(work, false);
  }

  /** The task {@code <stream>/<topic>-<p>} if this broker runs it, else null. */
  StreamTask task(String key) {
    TaskScheduler s = scheduler;
    return s == null ? null : s.task(key);
  }

  /** Interactive queries, once started (503 before). */
  StoreQueryService queries() {
    store();
    StoreQueryService q = queries;
    if (q == null) {
      throw new SluiceException(ErrorCode.SERVICE_UNAVAILABLE, "The streams service is starting");
    }
    return q;
  }

  void changed() {
    TaskScheduler s = scheduler;
    if (s != null) {
      s.wakeup();
    }
  }

  /**
   * Refuses a definition reading a topic that does not exist, as Kafka Streams fails with MissingSourceTopicException.
   * Stored, it showed RUNNING with no tasks, and once the topic came its dead-letter, repartition and changelog
   * topics, sized from the inputs' partitions here, had been made with one partition: a stateful stream stayed on
   * one task whatever the input's partitions. Creating the topic first costs one call; nothing is stored.
   */
  Future<StreamDefinition> requireInputs(StreamDefinition d) {
    List<Future<String>> missing = new ArrayList<>();
    for (String in : d.inputs()) {
      missing.add(cluster.describeTopic(caller(), in).map(md -> (String) null).recover(t ->
          t instanceof SluiceException e && e.errorCode() == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
              ? Future.succeededFuture(in) : Future.failedFuture(t)));
    }
    return Future.all(missing).compose(all -> {
      List<String> names = missing.stream().map(Future::result).filter(java.util.Objects::nonNull).toList();
      return names.isEmpty() ? Future.succeededFuture(d) : Future.failedFuture(new SluiceException(
          ErrorCode.INVALID_STREAM_DEFINITION, "inputs: " + (names.size() == 1 ? "topic " + names.get(0)
          + " does not exist" : "topics " + names + " do not exist") + "; create " + (names.size() == 1 ? "it" : "them")
          + " first (a stream's tasks and internal topics are sized from its inputs' partitions). Nothing was stored"));
    });
  }

  /**
   * Creates the topics a definition writes that the stream owns, unless they exist: the dead-letter topic, and for a
   * stateful stream its repartition topic and its store's changelog (compacted). Partitions: the most of any input
   * (a changelog partition belongs to the task of the same input partition); replicas min(3, brokers the cluster has
   * had: {@link ClusterDescription#internalTopicReplicationFactor}), not live ones, so a stream defined while a broker
   * is down does not keep a smaller factor. A topic missing is created as {@code creator}, so with the authorizer on
   * it needs Create (on the cluster or the topic), as Kafka Streams' principal needs to create its internal topics.
   */
  Future<Void> ensureDeadLetterTopic(RequestContext creator, StreamDefinition d) {
    List<Future<Integer>> counts = new ArrayList<>();
    for (String in : d.inputs()) {
      counts.add(cluster.describeTopic(caller(), in).map(md -> md.partitionCount())
          .recover(t -> Future.succeededFuture(1)));
    }
    return Future.all(counts).compose(all -> cluster.describeCluster(caller()).compose(c -> {
      int partitions = counts.stream().mapToInt(Future::result).max().orElse(1);
      int replicas = c.internalTopicReplicationFactor(-1);
      List<Future<Void>> creates = new ArrayList<>();
      creates.add(ensureTopic(creator, new NewTopic(d.deadLetterTopic(), counts.get(0).result(), replicas, Map.of())));
      if (d.repartitionTopic() != null) {
        creates.add(ensureTopic(creator, new NewTopic(d.repartitionTopic(), partitions, replicas, Map.of())));
      }
      if (d.changelogTopic() != null) {
        creates.add(ensureTopic(creator, new NewTopic(d.changelogTopic(), partitions, replicas,
            Map.of("cleanup.policy", "compact", "retention.ms", "-1"))));
      }
      return Future.all(creates).mapEmpty();
    }));
  }

  private Future<Void> ensureTopic(RequestContext creator, NewTopic topic) {
    return cluster.describeTopic(caller(), topic.name()).<Void>mapEmpty().recover(missing -> (policy == null
        ? cluster.createTopic(caller(), topic) : policy.createTopic(creator, topic)).<Void>mapEmpty()
            .recover(t -> t instanceof SluiceException e && e.errorCode() == ErrorCode.TOPIC_ALREADY_EXISTS
                ? Future.succeededFuture() : Future.failedFuture(t)));
  }

  /** The record stored for a new version of {@code stored}. */
  static JsonObject withVersion(StreamStore.Stored stored, JsonObject definition) {
    return stored.record().copy().put("definition", definition).put("version", stored.version() + 1);
  }
}
