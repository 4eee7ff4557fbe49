package io.sluice.broker.metadata;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.broker.rpc.Contexts;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * The broker's view of and writes to the cluster metadata in ZooKeeper (layout in {@link ZkPaths}).
 *
 * <p><b>Reads</b> come from memory: a {@link CuratorCache} follows every znode under {@code /sluice}; after each batch
 * of changes a new {@link MetadataSnapshot} is built and published, then the listeners are told (the partition
 * manager reconciles its partitions), then waiters whose condition now holds are completed. So a caller that waits
 * for "the topic is in the snapshot" also finds its partitions already being deployed.
 *
 * <p><b>Writes</b> are synchronous Curator calls run on the {@code sluice-zookeeper} worker executor, never on an
 * event loop; each returned future completes on the caller's context (executeBlocking's rule).
 *
 * <p><b>Threading.</b> Snapshot building, listeners and waiters all run on one event-loop context of their own
 * ({@link #context()}); {@link #snapshot()} may be read from any thread.
 */
public final class ZkMetadataStore implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(ZkMetadataStore.class.getName());
  /** Conditional writes of a topic's configs tried before a conflict is reported. */
  static final int CONFIG_ATTEMPTS = 5;

  private static final long REGISTRATION_VISIBLE_MS = 30_000;

  private final Vertx vertx;
  private final CuratorFramework rootClient;
  private final CuratorFramework client;
  private final WorkerExecutor zkExecutor;
  private final Context context;
  private final List<Consumer<MetadataSnapshot>> listeners = new CopyOnWriteArrayList<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private volatile MetadataSnapshot snapshot = MetadataSnapshot.EMPTY;
  private volatile BrokerRegistration registration;
  private volatile PauseWatch pauseWatch;
  /** False from a lost connection (SUSPENDED or LOST) until the client is connected again. */
  private volatile boolean connected = true;
  /** The zxid that created this process's registration; MAX_VALUE until it is created. */
  private volatile long ownRegistrationZxid = Long.MAX_VALUE;
  private volatile long requestTimeoutMs = 10_000;
  private CuratorCache cache;
  private boolean rebuildScheduled;
  private boolean initialized;

  private record Waiter(Predicate<MetadataSnapshot> condition, Promise<MetadataSnapshot> promise, long timerId) {
  }

  /**
   * @param vertx the broker's Vert.x
   * @param rootClient vertx-zookeeper's Curator client (its session is shared)
   * @param zkExecutor where blocking Curator calls run
   * @param context the event-loop context that owns the snapshot, listeners and waiters
   */
  public ZkMetadataStore(Vertx vertx, CuratorFramework rootClient, WorkerExecutor zkExecutor, Context context) {
    this.vertx = vertx;
    this.rootClient = rootClient;
    this.client = rootClient.usingNamespace(ZkPaths.NAMESPACE);
    this.zkExecutor = zkExecutor;
    this.context = context;
  }

  public Context context() {
    return context;
  }

  public MetadataSnapshot snapshot() {
    return snapshot;
  }

  /** Called on {@link #context()} with each new snapshot, before waiters are checked. */
  public void addListener(Consumer<MetadataSnapshot> listener) {
    listeners.add(listener);
  }

  /** Creates the base znodes, starts following them and completes once the first snapshot is built. */
  public Future<MetadataSnapshot> start() {
    return blocking(() -> {
      for (String path : List.of(ZkPaths.BROKER_IDS, ZkPaths.TOPICS)) {
        try {
          client.create().creatingParentsIfNeeded().forPath(path);
        } catch (KeeperException.NodeExistsException ignored) {
          // created by an earlier start or another broker
        }
      }
      return null;
    }).compose(v -> onContext(this::startCache));
  }

  private Future<MetadataSnapshot> startCache() {
    Promise<MetadataSnapshot> ready = Promise.promise();
    cache = CuratorCache.build(client, "/");
    CuratorCacheListener listener = CuratorCacheListener.builder()
        .forAll((type, oldData, data) -> scheduleRebuild())
        .forInitialized(() -> {
          initialized = true;
          rebuild();
          ready.complete(snapshot);
        })
        .build();
    // Cache events arrive on Curator's thread; hop them onto our context.
    cache.listenable().addListener(listener, task -> context.runOnContext(v -> task.run()));
    rootClient.getConnectionStateListenable().addListener((c, state) -> onConnectionState(state));
    cache.start();
    return ready.future();
  }

  private void scheduleRebuild() {
    if (initialized && !rebuildScheduled) {
      rebuildScheduled = true;
      // Deferred so that one rebuild covers every event already queued on the context.
      context.runOnContext(v -> {
        rebuildScheduled = false;
        rebuild();
      });
    }
  }

  private void rebuild() {
    snapshot = SnapshotBuilder.build(cache.stream().iterator());
    for (Consumer<MetadataSnapshot> l : listeners) {
      try {
        l.accept(snapshot);
      } catch (RuntimeException e) {
        LOG.log(Level.ERROR, "Metadata listener failed", e);
      }
    }
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (w.condition.test(snapshot)) {
        it.remove();
        vertx.cancelTimer(w.timerId);
        w.promise.tryComplete(snapshot);
      }
    }
  }

  /**
   * Completes with the first snapshot for which {@code condition} holds (possibly the current one), or fails
   * with REQUEST_TIMED_OUT after {@code timeoutMs}. The future completes on this store's context.
   */
  public Future<MetadataSnapshot> awaitSnapshot(Predicate<MetadataSnapshot> condition, long timeoutMs,
      String what) {
    return onContext(() -> {
      if (condition.test(snapshot)) {
        return Future.succeededFuture(snapshot);
      }
      Promise<MetadataSnapshot> p = Promise.promise();
      long timer = vertx.setTimer(timeoutMs, id -> {
        waiters.removeIf(w -> w.promise == p);
        p.tryFail(new SluiceException(ErrorCode.REQUEST_TIMED_OUT,
            "Timed out after " + timeoutMs + " ms waiting for metadata: " + what));
      });
      waiters.add(new Waiter(condition, p, timer));
      return p.future();
    });
  }

  /**
   * Claims broker id {@code reg.id()}: creates its ephemeral registration and completes once this broker's own
   * snapshot shows it. Nothing may lead, acknowledge or report ready before this completed.
   *
   * <p>A registration of another session may be this broker's own from before a crash (it lingers until that
   * session expires) or another live broker's with the same id. They are told apart by the data directory id
   * ({@code meta.properties}): a registration carrying another directory's id fails at once with
   * {@link DuplicateBrokerIdException} naming that broker; one carrying this directory's id (or none, written by an
   * older Sluice) is waited out for up to twice {@code sessionTimeoutMs}.
   */
  public Future<Void> registerBroker(BrokerRegistration reg, long sessionTimeoutMs) {
    String path = ZkPaths.broker(reg.id());
    return blocking(() -> otherSessionsRegistration(reg)).compose(other -> {
      if (other == null) {
        return createRegistration(reg);
      }
      LOG.log(Level.WARNING, "Broker id " + reg.id() + " is still registered by an earlier session of this data"
          + " directory (" + describe(other) + "); waiting up to " + sessionTimeoutMs * 2 + " ms for it to expire");
      return awaitSnapshot(s -> !s.liveBrokers().containsKey(reg.id()), sessionTimeoutMs * 2,
          "registration of broker " + reg.id() + " from an earlier session to expire")
          .recover(t -> Future.failedFuture(new DuplicateBrokerIdException(reg.id(), describe(other)
              + ", registered at " + path + " and still alive")))
          .compose(s -> createRegistration(reg));
    }).onSuccess(v -> registration = reg);
  }

  /**
   * The registration of {@code reg.id()} by another session that may be this data directory's earlier life; null if
   * there is none. Throws {@link DuplicateBrokerIdException} if it is another directory's. Blocks.
   */
  private BrokerRegistration otherSessionsRegistration(BrokerRegistration reg) throws Exception {
    Stat stat = new Stat();
    byte[] data;
    try {
      data = client.getData().storingStatIn(stat).forPath(ZkPaths.broker(reg.id()));
    } catch (KeeperException.NoNodeException e) {
      return null;
    }
    // A node of this very session is ours already (an earlier create whose answer was lost).
    if (stat.getEphemeralOwner() == currentSession()) {
      return null;
    }
    BrokerRegistration other = BrokerRegistration.fromJson(reg.id(), data);
    if (other.directoryId() != null && !other.directoryId().equals(reg.directoryId())) {
      throw new DuplicateBrokerIdException(reg.id(), describe(other));
    }
    return other;
  }

  private static String describe(BrokerRegistration other) {
    return "the broker at " + other.httpHost() + ":" + other.httpPort()
        + (other.directoryId() == null ? "" : " (data directory " + other.directoryId() + ")");
  }

  /**
   * Replaces this broker's registration data (the HTTP port once the listener is bound) and completes once the
   * snapshot shows it. Fails if the registration is not this session's.
   */
  public Future<Void> updateRegistration(BrokerRegistration reg) {
    String path = ZkPaths.broker(reg.id());
    return blocking(() -> {
      Stat stat = client.checkExists().forPath(path);
      if (stat == null || stat.getEphemeralOwner() != currentSession()) {
        throw new IllegalStateException("Broker " + reg.id() + " is not registered by this session (" + path + ")");
      }
      client.setData().withVersion(stat.getVersion()).forPath(path, reg.toJson());
      registration = reg;
      return null;
    }).compose(v -> awaitSnapshot(s -> reg.equals(s.liveBrokers().get(reg.id())), REGISTRATION_VISIBLE_MS,
        "the registration of broker " + reg.id() + " to show")).mapEmpty();
  }

  /**
   * Creates the registration and completes once this broker's own snapshot shows it (read your writes). A create
   * whose answer was lost in a connection loss is retried by Curator and then finds the node: when that node is
   * owned by this very session it is ours (KAFKA-1387 came from treating it as someone else's). A node created by
   * another session in between is a broker that started with the same id at the same moment.
   */
  private Future<Void> createRegistration(BrokerRegistration reg) {
    String path = ZkPaths.broker(reg.id());
    return blocking(() -> {
      Stat created = new Stat();
      try {
        client.create().storingStatIn(created).withMode(CreateMode.EPHEMERAL).forPath(path, reg.toJson());
      } catch (KeeperException.NodeExistsException e) {
        Stat stat = new Stat();
        byte[] data = client.getData().storingStatIn(stat).forPath(path);
        if (stat.getEphemeralOwner() != currentSession()) {
          throw new DuplicateBrokerIdException(reg.id(), describe(BrokerRegistration.fromJson(reg.id(), data)));
        }
        client.setData().forPath(path, reg.toJson());
        created = stat;
      }
      ownRegistrationZxid = created.getCzxid();
      LOG.log(Level.INFO, "Registered broker " + reg.id() + " at " + path);
      return null;
    }).compose(v -> awaitSnapshot(s -> reg.equals(s.liveBrokers().get(reg.id())), REGISTRATION_VISIBLE_MS,
        "the registration of broker " + reg.id() + " to show")).mapEmpty();
  }

  /**
   * The zxid that created this process's registration, {@link Long#MAX_VALUE} before it registered: a partition
   * state written before it (a smaller modified zxid) was decided without knowing this process restarted. Any thread.
   */
  public long ownRegistrationZxid() {
    return ownRegistrationZxid;
  }

  /** Starts distrusting the session after a stall of this process longer than {@code thresholdMs} (PauseWatch). */
  public void watchForPauses(long thresholdMs) {
    pauseWatch = new PauseWatch(vertx, thresholdMs, () -> blocking(() -> {
      BrokerRegistration reg = registration;
      Stat stat = client.checkExists().forPath(reg == null ? ZkPaths.BROKER_IDS : ZkPaths.broker(reg.id()));
      return reg == null || stat != null && stat.getEphemeralOwner() == currentSession();
    }));
  }

  /**
   * Confirms the session with a ZooKeeper round trip now, so that a stall noticed before a reconnection does not keep
   * the broker distrusting a session it just proved ({@link PauseWatch#confirmNow}). True if confirmed.
   */
  public Future<Boolean> confirmSession() {
    PauseWatch w = pauseWatch;
    return w == null ? Future.succeededFuture(true) : w.confirmNow();
  }

  /**
   * False while the connection to ZooKeeper is lost, or while this process stood still recently and a ZooKeeper
   * round trip has not yet shown its session alive: in both cases the session may have expired and another broker
   * may lead already (a zombie). Any thread.
   */
  public boolean sessionTrusted() {
    PauseWatch w = pauseWatch;
    return connected && (w == null || w.trusted());
  }

  /** This broker's ZooKeeper session; blocks while the client connects. */
  private long currentSession() throws Exception {
    return client.getZookeeperClient().getZooKeeper().getSessionId();
  }

  /** Tracks the connection: without one, ZooKeeper calls fail fast and reads of led partitions are refused. */
  private void onConnectionState(ConnectionState state) {
    LOG.log(Level.INFO, "ZooKeeper connection state: {0}", state);
    connected = state.isConnected();
  }

  /** Whether the ZooKeeper client is connected now. Any thread. */
  public boolean connected() {
    return connected;
  }

  /**
   * Makes sure this broker's registration exists and belongs to the current session, for a broker that lost its
   * connection: after a session expiry the znode is gone and is created again (with a new zxid, so the controller
   * handles this broker as restarted: {@code Controller#restartedInIsr}); a znode of another session of this broker
   * (a restarted ZooKeeper restores sessions from disk and expires them a session timeout later) is waited out first.
   * Completes once this broker's own snapshot shows the registration of the current session. Nothing to do before
   * the first registration.
   */
  public Future<Void> ensureRegistered(long waitMs) {
    BrokerRegistration reg = registration;
    if (reg == null) {
      return Future.succeededFuture();
    }
    String path = ZkPaths.broker(reg.id());
    return blocking(() -> {
      Stat stat = client.checkExists().forPath(path);
      return stat == null ? null : stat.getEphemeralOwner() == currentSession() ? stat.getCzxid() : -stat.getCzxid();
    }).compose(czxid -> {
      if (czxid == null) {
        LOG.log(Level.INFO, "Broker " + reg.id() + " is not registered in this ZooKeeper session: registering again");
        return createRegistration(reg);
      }
      if (czxid > 0) {
        return awaitSnapshot(s -> s.registrationZxid(reg.id()) == czxid, waitMs,
            "the registration of broker " + reg.id() + " to show").mapEmpty();
      }
      LOG.log(Level.INFO, "Broker id " + reg.id() + " is still registered by an earlier ZooKeeper session; waiting"
          + " for that session to expire");
      return awaitSnapshot(s -> s.registrationZxid(reg.id()) != -czxid, waitMs,
          "the registration of an earlier session of broker " + reg.id() + " to expire")
          .compose(s -> ensureRegistered(waitMs));
    });
  }

  /**
   * A new partition's state, its replicas' broker epochs recorded as this broker's snapshot shows them, so that a
   * replica restarting after the topic was created is found by its epoch (a stale snapshot only makes the controller
   * handle a replica of an empty partition as restarted once).
   */
  private PartitionState initialState(List<Integer> replicas) {
    MetadataSnapshot s = snapshot();
    Map<Integer, Long> epochs = new HashMap<>();
    replicas.stream().filter(b -> s.registrationZxid(b) > 0).forEach(b -> epochs.put(b, s.registrationZxid(b)));
    return PartitionState.initial(replicas).withIsrEpochs(epochs);
  }

  /** Creates a topic and its partition znodes in one transaction; TOPIC_ALREADY_EXISTS if it is there. */
  public Future<Void> createTopic(TopicState topic) {
    return bounded("topic '" + topic.name() + "' was created", () -> {
      ZkTransactionLimit.Ops ops = new ZkTransactionLimit.Ops("Creating topic '" + topic.name() + "' with "
          + topic.partitionCount() + " partition(s)");
      ops.add(client.transactionOp().create().forPath(ZkPaths.topic(topic.name()), topic.toJson()));
      ops.add(client.transactionOp().create().forPath(ZkPaths.partitions(topic.name())));
      for (Map.Entry<Integer, List<Integer>> e : topic.assignment().entrySet()) {
        int p = e.getKey();
        ops.add(client.transactionOp().create().forPath(ZkPaths.partition(topic.name(), p)));
        ops.add(client.transactionOp().create().forPath(ZkPaths.partitionState(topic.name(), p),
            initialState(e.getValue()).toJson()));
      }
      try {
        client.transaction().forOperations(ops.list());
      } catch (KeeperException.NodeExistsException e) {
        throw new SluiceException(ErrorCode.TOPIC_ALREADY_EXISTS, "Topic '" + topic.name() + "' already exists");
      }
      return null;
    });
  }

  /**
   * Adds partitions to an existing topic in one transaction: {@code grow} maps the topic as stored to the grown one
   * (it may throw to refuse); the new partitions' znodes are created before the topic's JSON is rewritten, and the
   * rewrite is conditional on the version read, so of two concurrent growths one fails instead of both winning.
   */
  public Future<TopicState> addPartitions(String name, java.util.function.UnaryOperator<TopicState> grow) {
    return bounded("partitions were added to topic '" + name + "'", () -> {
      Stat stat = new Stat();
      TopicState current = readTopic(name, stat);
      TopicState grown = grow.apply(current);
      ZkTransactionLimit.Ops ops = new ZkTransactionLimit.Ops("Growing topic '" + name + "' to "
          + grown.partitionCount() + " partition(s)");
      for (Map.Entry<Integer, List<Integer>> e : grown.assignment().entrySet()) {
        if (!current.assignment().containsKey(e.getKey())) {
          ops.add(client.transactionOp().create().forPath(ZkPaths.partition(name, e.getKey())));
          ops.add(client.transactionOp().create().forPath(ZkPaths.partitionState(name, e.getKey()),
              initialState(e.getValue()).toJson()));
        }
      }
      ops.add(client.transactionOp().setData().withVersion(stat.getVersion()).forPath(ZkPaths.topic(name),
          grown.toJson()));
      try {
        client.transaction().forOperations(ops.list());
      } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException e) {
        throw new SluiceException(ErrorCode.INVALID_PARTITIONS, "Topic '" + name
            + "' changed while adding partitions (a concurrent request?); describe it and retry");
      }
      return grown;
    });
  }

  /** The topic as stored, its znode's version in {@code stat}; UNKNOWN_TOPIC_OR_PARTITION if it does not exist. */
  private TopicState readTopic(String name, Stat stat) throws Exception {
    try {
      return TopicState.fromJson(name, client.getData().storingStatIn(stat).forPath(ZkPaths.topic(name)));
    } catch (KeeperException.NoNodeException e) {
      throw new SluiceException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + name + "' does not exist");
    }
  }

  /**
   * Rewrites a topic's configs: {@code alter} maps the configs as stored to the new ones (it may throw to refuse), and
   * the write is conditional on the version read. When another writer changed the topic in between, the change is
   * read again and {@code alter} applied to it afresh, so of two concurrent alterations neither is lost; after
   * {@link #CONFIG_ATTEMPTS} such races TOPIC_CONFIG_CONFLICT (retriable).
   */
  public Future<TopicState> alterTopicConfigs(String name,
      java.util.function.UnaryOperator<Map<String, String>> alter) {
    return bounded("the configs of topic '" + name + "' were altered", () -> {
      for (int attempt = 0; attempt < CONFIG_ATTEMPTS; attempt++) {
        Stat stat = new Stat();
        TopicState current = readTopic(name, stat);
        TopicState altered = current.withConfigs(alter.apply(current.configs()));
        try {
          client.setData().withVersion(stat.getVersion()).forPath(ZkPaths.topic(name), altered.toJson());
          return altered;
        } catch (KeeperException.BadVersionException e) {
          LOG.log(Level.DEBUG, "Topic {0} changed while its configs were altered; reading it again", name);
        } catch (KeeperException.NoNodeException e) {
          throw new SluiceException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + name + "' does not exist");
        }
      }
      throw new SluiceException(ErrorCode.TOPIC_CONFIG_CONFLICT, "Topic '" + name + "' changed " + CONFIG_ATTEMPTS
          + " times while its configs were being altered; retry");
    });
  }

  /**
   * Rewrites a topic's znode (a partition reassignment started, replaced or cancelled): {@code change} maps the topic
   * as stored to the new one (it may throw to refuse), the write conditional on the version read; a race with
   * another writer reads it again and applies {@code change} afresh, as {@link #alterTopicConfigs} does. The
   * controller's completion of a reassignment is such a writer, so a cancellation never undoes a completed move.
   */
  public Future<TopicState> rewriteTopic(String name, String what, java.util.function.UnaryOperator<TopicState> change) {
    return bounded(what, () -> {
      for (int attempt = 0; attempt < CONFIG_ATTEMPTS; attempt++) {
        Stat stat = new Stat();
        TopicState changed = change.apply(readTopic(name, stat));
        try {
          client.setData().withVersion(stat.getVersion()).forPath(ZkPaths.topic(name), changed.toJson());
          return changed;
        } catch (KeeperException.BadVersionException e) {
          LOG.log(Level.DEBUG, "Topic {0} changed while it was rewritten; reading it again", name);
        } catch (KeeperException.NoNodeException e) {
          throw new SluiceException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + name + "' does not exist");
        }
      }
      throw new SluiceException(ErrorCode.TOPIC_CONFIG_CONFLICT, "Topic '" + name + "' changed " + CONFIG_ATTEMPTS
          + " times while " + what + "; retry");
    });
  }

  /** Deletes a topic's znodes in one transaction; UNKNOWN_TOPIC_OR_PARTITION if there is no such topic. */
  public Future<Void> deleteTopic(String name) {
    return bounded("topic '" + name + "' was deleted", () -> {
      try {
        List<CuratorOp> ops = new ArrayList<>();
        List<String> partitions = client.getChildren().forPath(ZkPaths.partitions(name));
        for (String p : partitions) {
          String pPath = ZkPaths.partitions(name) + "/" + p;
          for (String child : client.getChildren().forPath(pPath)) {
            ops.add(client.transactionOp().delete().forPath(pPath + "/" + child));
          }
          ops.add(client.transactionOp().delete().forPath(pPath));
        }
        ops.add(client.transactionOp().delete().forPath(ZkPaths.partitions(name)));
        ops.add(client.transactionOp().delete().forPath(ZkPaths.topic(name)));
        client.transaction().forOperations(ops);
      } catch (KeeperException.NoNodeException e) {
        if (client.checkExists().forPath(ZkPaths.topic(name)) == null) {
          throw new SluiceException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + name + "' does not exist");
        }
        // half-created by some other writer: remove whatever is there
        client.delete().deletingChildrenIfNeeded().forPath(ZkPaths.topic(name));
      }
      return null;
    });
  }

  /**
   * Writes a partition's new state if its znode is still at {@code expected.zkVersion()}; completes with false
   * if someone else changed it first.
   */
  public Future<Boolean> updatePartitionState(String topic, int partition, PartitionState next) {
    return blocking(() -> {
      try {
        client.setData().withVersion(next.zkVersion()).forPath(ZkPaths.partitionState(topic, partition),
            next.toJson());
        return true;
      } catch (KeeperException.BadVersionException | KeeperException.NoNodeException e) {
        return false;
      }
    });
  }

  /**
   * Claims {@code size} consecutive numbers from the counter kept (as decimal text) in {@code path}: a versioned
   * read-modify-write retried until no other broker raced it, so two claims never overlap. Completes with the first
   * number claimed. Runs on the ZooKeeper executor.
   */
  public Future<Long> claimRange(String path, long size) {
    return bounded("a range of " + path + " was claimed", () -> {
      while (true) {
        try {
          Stat stat = new Stat();
          byte[] data = client.getData().storingStatIn(stat).forPath(path);
          long start = Long.parseLong(new String(data, java.nio.charset.StandardCharsets.US_ASCII).trim());
          client.setData().withVersion(stat.getVersion())
              .forPath(path, Long.toString(start + size).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          return start;
        } catch (KeeperException.NoNodeException e) {
          try {
            client.create().creatingParentsIfNeeded().forPath(path,
                Long.toString(size).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return 0L;
          } catch (KeeperException.NodeExistsException raced) {
            // another broker created it first: read it again
          }
        } catch (KeeperException.BadVersionException raced) {
          // another broker claimed in between: read it again
        }
      }
    });
  }

  /** The current ZooKeeper session id (for diagnostics). */
  public Future<Long> sessionId() {
    return blocking(this::currentSession);
  }

  /** Stops following ZooKeeper and removes this broker's registration (others see it leave at once). */
  public Future<Void> closeAsync() {
    if (pauseWatch != null) {
      pauseWatch.stop();
    }
    BrokerRegistration reg = registration;
    registration = null;
    Future<Void> deregistered = reg == null ? Future.succeededFuture() : blocking(() -> {
      Stat stat = client.checkExists().forPath(ZkPaths.broker(reg.id()));
      if (stat != null && stat.getEphemeralOwner() == currentSession()) {
        client.delete().forPath(ZkPaths.broker(reg.id()));
      }
      return null;
    });
    return deregistered.recover(t -> {
      LOG.log(Level.WARNING, "Could not remove the registration of broker " + reg.id() + ": " + t);
      return Future.succeededFuture();
    }).compose(v -> onContext(() -> {
      if (cache != null) {
        cache.close();
      }
      waiters.forEach(w -> {
        vertx.cancelTimer(w.timerId);
        w.promise.tryFail(new SluiceException(ErrorCode.LEADER_NOT_AVAILABLE, "Broker is shutting down"));
      });
      waiters.clear();
      return Future.<Void>succeededFuture();
    }));
  }

  @Override
  public void close() {
    closeAsync();
  }

  /**
   * Runs a ZooKeeper call on the ZooKeeper pool. Without a connection it fails at once with BROKER_NOT_AVAILABLE
   * (retriable) instead of queueing behind Curator's retries: nothing was sent, so the caller may safely retry.
   */
  private <T> Future<T> blocking(Callable<T> call) {
    if (!connected) {
      return Future.failedFuture(new SluiceException(ErrorCode.BROKER_NOT_AVAILABLE, "Broker has no ZooKeeper"
          + " connection: cluster metadata cannot be read or changed now; retry later or on another broker"));
    }
    return zkExecutor.executeBlocking(call, false);
  }

  /**
   * {@link #blocking}, and a request a client waits for: answered within {@link #requestTimeoutMs} even when the
   * connection is lost while it is in flight (Curator would retry it for up to five connection timeouts). Its outcome
   * is then unknown (REQUEST_TIMED_OUT, retriable).
   */
  private <T> Future<T> bounded(String what, Callable<T> call) {
    long timeoutMs = requestTimeoutMs;
    return blocking(call).timeout(timeoutMs, TimeUnit.MILLISECONDS).recover(t -> Future.failedFuture(
        t instanceof java.util.concurrent.TimeoutException ? new SluiceException(ErrorCode.REQUEST_TIMED_OUT,
            "ZooKeeper did not answer within " + timeoutMs + " ms (connection lost?); whether " + what
            + " happened is unknown") : t));
  }

  /** Bounds the requests clients wait for (topic changes, producer id blocks); default 10 s. */
  public void requestTimeoutMs(long timeoutMs) {
    this.requestTimeoutMs = timeoutMs;
  }

  private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> action) {
    return Contexts.onContext(context, action);
  }

  /** Turns the cached znodes into a snapshot; malformed znodes are logged and skipped, never fatal. */
  static final class SnapshotBuilder {
    private SnapshotBuilder() {
    }

    static MetadataSnapshot build(Iterator<ChildData> nodes) {
      Map<String, TopicState> topics = new HashMap<>();
      Map<String, Map<Integer, PartitionState>> states = new HashMap<>();
      Map<Integer, BrokerRegistration> brokers = new HashMap<>();
      Map<Integer, Long> registrationZxids = new HashMap<>();
      int controller = MetadataSnapshot.NO_CONTROLLER;
      while (nodes.hasNext()) {
        ChildData node = nodes.next();
        String[] parts = node.getPath().split("/");
        try {
          if (parts.length == 4 && node.getPath().startsWith(ZkPaths.BROKER_IDS + "/")) {
            int id = Integer.parseInt(parts[3]);
            brokers.put(id, BrokerRegistration.fromJson(id, node.getData()));
            registrationZxids.put(id, node.getStat().getCzxid());
          } else if (node.getPath().equals(ZkPaths.CONTROLLER_EPOCH) && node.getData() != null) {
            controller = new io.vertx.core.json.JsonObject(new String(node.getData(),
                java.nio.charset.StandardCharsets.UTF_8)).getInteger("broker", MetadataSnapshot.NO_CONTROLLER);
          } else if (parts.length == 3 && parts[1].equals("topics") && node.getData() != null
              && node.getData().length > 0) {
            topics.put(parts[2], TopicState.fromJson(parts[2], node.getData()));
          } else if (parts.length == 6 && parts[1].equals("topics") && parts[5].equals("state")) {
            states.computeIfAbsent(parts[2], k -> new HashMap<>())
                .put(Integer.parseInt(parts[4]), PartitionState.fromJson(node.getData(), node.getStat().getVersion(),
                    node.getStat().getMzxid()));
          }
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "Ignoring malformed znode {0}: {1}", node.getPath(), e.toString());
        }
      }
      Map<String, TopicState> complete = new HashMap<>();
      topics.forEach((name, t) -> {
        TopicState withStates = t;
        for (Map.Entry<Integer, PartitionState> e : states.getOrDefault(name, Map.of()).entrySet()) {
          if (t.assignment().containsKey(e.getKey())) {
            withStates = withStates.withState(e.getKey(), e.getValue());
          }
        }
        complete.put(name, withStates);
      });
      return new MetadataSnapshot(complete, brokers, registrationZxids, controller);
    }
  }
}
