package io.sluice.broker.partition;

import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.metadata.TopicState;
import io.sluice.broker.metadata.ZkMetadataStore;
import io.sluice.broker.replication.ReplicaFetchRequest;
import io.sluice.broker.replication.ReplicaFetcher;
import io.sluice.broker.replication.ReplicaLinks;
import io.sluice.broker.replication.ReplicaTransport;
import io.sluice.config.BrokerConfig;
import io.sluice.config.TopicConfigs;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.storage.LogConfig;
import io.sluice.storage.LogManager;
import io.sluice.api.TopicPartition;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Keeps one {@link PartitionVerticle} deployed for every partition this broker is a replica of, following the
 * metadata: after each new {@link MetadataSnapshot} it deploys verticles for partitions newly assigned here, tells
 * each verticle its partition's leader, epoch and ISR (it leads or follows accordingly), and undeploys and deletes
 * the logs of partitions whose topic was deleted or whose replica here was reassigned away. Operations on one partition are chained, so a topic deleted and
 * created again under the same name is torn down before it is built up.
 *
 * <p>Leadership is decided by the controller ({@code io.sluice.broker.cluster.Controller}), never here.
 *
 * <p><b>Threading.</b> Reconciliation runs on the metadata store's context; {@link #lookup} may be called from any
 * thread.
 */
public final class PartitionManager {
  private static final System.Logger LOG = System.getLogger(PartitionManager.class.getName());

  private final Vertx vertx;
  private final BrokerConfig config;
  /** The config's, read once: every produce and fetch asks it. */
  private final int brokerId;
  private final LogManager store;
  private final WorkerExecutor storage;
  private final ZkMetadataStore metadata;
  private final Context context;
  private final Map<TopicPartition, Hosted> hosted = new ConcurrentHashMap<>();
  private final Map<TopicPartition, Future<Void>> removals = new HashMap<>();
  private final HighWatermarkCheckpointer hwCheckpointer;
  /** How this broker's followers fetch: its replica links, or the event bus when they are disabled. */
  private final ReplicaTransport links;
  private final FollowerFetchCache fetchCache;
  private boolean closed;
  /** Set by {@link #fenceAll}, cleared by {@link #resumeAll}; confined to the context. */
  private boolean fenced;

  /** A partition deployed (or being deployed) here, for the topic with id {@code topicId}. */
  private record Hosted(String topicId, PartitionVerticle verticle, Future<String> deployment) {
  }

  public PartitionManager(Vertx vertx, BrokerConfig config, LogManager store, WorkerExecutor storage,
      ZkMetadataStore metadata) {
    this.vertx = vertx;
    this.config = config;
    this.brokerId = config.brokerId();
    this.store = store;
    this.storage = storage;
    this.metadata = metadata;
    this.context = metadata.context();
    this.hwCheckpointer = new HighWatermarkCheckpointer(vertx, store, storage, this::openHighWatermarks,
        config.getLong(BrokerConfig.REPLICA_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS));
    hwCheckpointer.start();
    this.links = config.getBoolean(BrokerConfig.REPLICA_FETCH_LINK_ENABLE) ? new ReplicaLinks(vertx, config.ssl())
        : ReplicaTransport.EVENT_BUS;
    this.fetchCache = new FollowerFetchCache(config.getLong(BrokerConfig.REPLICA_FETCH_CACHE_MAX_BYTES));
  }

  /** The recent appends its leaders keep for their followers, and where their answers came from. Any thread. */
  public FollowerFetchCache followerFetchCache() {
    return fetchCache;
  }

  /** The high watermarks of the replicas open here (one still opening has none yet). */
  private Map<TopicPartition, Long> openHighWatermarks() {
    Map<TopicPartition, Long> out = new HashMap<>();
    hosted.forEach((tp, h) -> {
      if (h.deployment.succeeded()) {
        out.put(tp, h.verticle.highWatermark());
      }
    });
    return out;
  }

  /**
   * The verticle leading {@code tp} here, once it is open (a request that arrives while the partition opens waits
   * for it). Fails with KAFKA_STORAGE_ERROR if its log could not be opened, NOT_LEADER_OR_FOLLOWER if another broker
   * leads, LEADER_NOT_AVAILABLE if this broker leads but has not started opening it yet. Any thread.
   */
  public Future<PartitionVerticle> lookup(TopicPartition tp, PartitionState state) {
    Hosted h = hosted.get(tp);
    if (h == null || state.leader() != brokerId) {
      if (state.leader() != brokerId) {
        return Future.failedFuture(new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker "
            + brokerId + " does not lead partition " + tp + " (leader: " + state.leader() + ")"));
      }
      return Future.failedFuture(new SluiceException(ErrorCode.LEADER_NOT_AVAILABLE,
          "Partition " + tp + " is not open yet"));
    }
    return replica(tp);
  }

  /**
   * The verticle of {@code tp}'s replica here, leader or follower, once it is open. Fails with NOT_LEADER_OR_FOLLOWER
   * if this broker holds no replica of it. Any thread.
   */
  public Future<PartitionVerticle> replica(TopicPartition tp) {
    Hosted h = hosted.get(tp);
    if (h == null) {
      return Future.failedFuture(new SluiceException(ErrorCode.NOT_LEADER_OR_FOLLOWER, "Broker "
          + brokerId + " holds no replica of partition " + tp));
    }
    // An open partition is answered at once: a stage on the deployment's future, built for every produce and fetch
    // (one per partition of a fetch), only to say what is already known.
    if (h.deployment.isComplete()) {
      return opened(tp, h, h.deployment);
    }
    return h.deployment.transform(ar -> opened(tp, h, ar));
  }

  private static Future<PartitionVerticle> opened(TopicPartition tp, Hosted h, AsyncResult<String> deployment) {
    return deployment.succeeded() ? Future.succeededFuture(h.verticle)
        : Future.failedFuture(new SluiceException(ErrorCode.KAFKA_STORAGE_ERROR, "Partition " + tp
            + " could not be opened: " + deployment.cause().getMessage(), deployment.cause()));
  }

  /**
   * Fences every hosted partition: this broker may have lost its ZooKeeper session, so another broker may lead
   * already; nothing is acknowledged or copied, and the metadata is not followed, until {@link #resumeAll}. Any thread.
   */
  public void fenceAll() {
    context.runOnContext(v -> {
      fenced = true;
      hosted.values().forEach(h -> h.verticle.fence());
    });
  }

  /**
   * Ends {@link #fenceAll}: once this broker's registration of its current session is in the metadata, every
   * partition takes the current state (so a replica that restarted its session waits for the controller's new epoch
   * before it leads, as {@code settingsOf} decides) and is unfenced. Any thread.
   */
  public void resumeAll() {
    context.runOnContext(v -> {
      if (!fenced || closed) {
        return;
      }
      fenced = false;
      // Settings first, then the unfencing: both run on each verticle's context in this order, so no replica acts on
      // the state it was fenced with.
      reconcile(metadata.snapshot());
      hosted.values().forEach(h -> h.verticle.unfence());
    });
  }

  /** Completes once every partition in {@code tps} that this broker leads is deployed (or failed to be). */
  public Future<Void> whenHosted(Collection<TopicPartition> tps) {
    return onContext(() -> {
      List<Future<String>> deployments = new ArrayList<>();
      for (TopicPartition tp : tps) {
        Hosted h = hosted.get(tp);
        if (h != null) {
          deployments.add(h.deployment);
        }
      }
      return Future.join(deployments).<Void>mapEmpty().otherwiseEmpty();
    });
  }

  /** Completes once every partition in {@code tps} is undeployed here and its data deleted if its topic went. */
  public Future<Void> whenRemoved(Collection<TopicPartition> tps) {
    return onContext(() -> {
      List<Future<Void>> pending = new ArrayList<>();
      for (TopicPartition tp : tps) {
        Future<Void> r = removals.get(tp);
        if (r != null) {
          pending.add(r);
        }
      }
      return Future.join(pending).<Void>mapEmpty().otherwiseEmpty();
    });
  }

  /**
   * Brings the deployed partitions in line with {@code snapshot}. Call on the metadata context.
   *
   * <p>A partition is removed only on evidence: its topic (by id) is gone, or a reassignment took it away from this
   * broker (the controller removes a replica only once the target replicas are all in sync); its data goes too. A topic whose znodes are half seen (the cache is catching up with a
   * transaction) leaves its partitions as they are.
   */
  public void reconcile(MetadataSnapshot snapshot) {
    if (closed || fenced) {
      return;
    }
    for (Map.Entry<TopicPartition, Hosted> e : new ArrayList<>(hosted.entrySet())) {
      TopicPartition tp = e.getKey();
      TopicState topic = snapshot.topic(tp.topic()).orElse(null);
      if (topic == null || !topic.topicId().equals(e.getValue().topicId())
          || !topic.assignment().containsKey(tp.partition())) {
        remove(tp, true);
      } else if (!topic.assignment().get(tp.partition()).contains(brokerId)) {
        remove(tp, true); // reassigned away: its replicas elsewhere hold every committed record (Kafka deletes too)
      }
    }
    for (TopicState topic : snapshot.topics().values()) {
      if (!topic.isComplete()) {
        continue;
      }
      LogConfig logConfig = TopicConfigs.logConfig(config.defaultLogConfig(), topic.configs());
      topic.states().forEach((p, state) -> {
        TopicPartition tp = topic.tp(p);
        if (!topic.assignment().get(p).contains(brokerId)) {
          return;
        }
        PartitionVerticle.Settings settings = settingsOf(topic, p, state);
        Hosted h = hosted.get(tp);
        if (h == null) {
          deploy(tp, topic, settings, logConfig);
          return;
        }
        if (!h.verticle.settings().equals(settings)) {
          h.verticle.updateSettings(settings);
        }
        if (!h.verticle.logConfig().equals(logConfig)) { // the topic's configs were altered
          h.verticle.updateLogConfig(logConfig);
        }
      });
    }
  }

  private PartitionVerticle.Settings settingsOf(TopicState topic, int p, PartitionState state) {
    List<Integer> replicas = topic.assignment().get(p);
    return new PartitionVerticle.Settings(state.leader(), state.leaderEpoch(), state.isr(), replicas,
        TopicConfigs.minInsyncReplicas(topic.configs(), config.minInsyncReplicas()), state.zkVersion(),
        mayLead(replicas, state, brokerId, metadata.ownRegistrationZxid()), state.isrEpochs());
  }

  /**
   * False when {@code broker}, now at broker epoch {@code ownEpoch}, restarted since it was recorded in the state of
   * a replicated partition: as its leader it waits for the controller's new epoch (Controller#restartedInIsr)
   * instead of leading on at the old one. By its recorded epoch when the state has one; otherwise by the state's
   * last write, which a later ISR write for another member masks.
   */
  static boolean mayLead(List<Integer> replicas, PartitionState state, int broker, long ownEpoch) {
    if (replicas.size() <= 1) {
      return true;
    }
    Long recorded = state.isrEpoch(broker);
    return recorded != null ? recorded == ownEpoch : state.modifiedZxid() > ownEpoch;
  }

  private PartitionVerticle.Replication replicationOf(TopicPartition tp) {
    return new PartitionVerticle.Replication(brokerId, config.dataDir().resolve(tp.dirName()),
        config.getLong(BrokerConfig.REPLICA_LAG_TIME_MAX_MS), config.getLong(BrokerConfig.REPLICA_COMMIT_TIMEOUT_MS),
        (t, next) -> metadata.updatePartitionState(t.topic(), t.partition(), next),
        new ReplicaFetcher.Options(config.getInt(BrokerConfig.REPLICA_FETCH_MAX_BYTES),
            config.getLong(BrokerConfig.REPLICA_FETCH_WAIT_MAX_MS), config.getLong(BrokerConfig.REPLICA_FETCH_BACKOFF_MS)),
        metadata::sessionTrusted, this::brokerEpoch, links,
        (broker, epoch) -> isrRefusal(metadata.snapshot(), broker, epoch), fetchCache);
  }

  /**
   * Why {@code broker}, fetching at broker epoch {@code brokerEpoch}, may not join an ISR as {@code s} shows the
   * cluster, or null when it may: it must be registered, started (a broker still starting may be recovering its logs:
   * KIP-841's fenced broker, KIP-966's unclean shutdown), not in controlled shutdown, and registered in the
   * incarnation that fetched (a fetch of an earlier life, or before this broker sees the new registration, is not).
   */
  static String isrRefusal(MetadataSnapshot s, int broker, long brokerEpoch) {
    BrokerRegistration reg = s.liveBrokers().get(broker);
    if (reg == null) {
      return "broker " + broker + " is not registered";
    }
    if (reg.starting()) {
      return "broker " + broker + " has not finished starting";
    }
    if (reg.inControlledShutdown()) {
      return "broker " + broker + " is in controlled shutdown";
    }
    long registered = s.registrationZxid(broker);
    return registered == brokerEpoch ? null : "broker " + broker + " fetched at broker epoch " + brokerEpoch
        + ", its registration is at " + registered;
  }

  /** This broker's broker epoch for its fetches: none before it registered. */
  private long brokerEpoch() {
    long own = metadata.ownRegistrationZxid();
    return own == Long.MAX_VALUE ? ReplicaFetchRequest.UNKNOWN_BROKER_EPOCH : own;
  }

  private void deploy(TopicPartition tp, TopicState topic, PartitionVerticle.Settings settings, LogConfig logConfig) {
    PartitionVerticle verticle = new PartitionVerticle(tp, topic.topicId(), store, logConfig, settings, storage,
        config.retentionCheckIntervalMs(), replicationOf(tp));
    Future<Void> before = removals.getOrDefault(tp, Future.succeededFuture());
    Future<String> deployment = before.compose(v -> vertx.deployVerticle(verticle));
    deployment.onFailure(t -> LOG.log(Level.ERROR, "Could not open partition " + tp, t));
    hosted.put(tp, new Hosted(topic.topicId(), verticle, deployment));
  }

  private void remove(TopicPartition tp, boolean deleteData) {
    Hosted h = hosted.remove(tp);
    Future<Void> removal = h.deployment
        .compose(id -> vertx.undeploy(id), t -> Future.succeededFuture())
        .compose(v -> deleteData ? deleteLog(tp) : Future.succeededFuture());
    removal.onComplete(ok -> LOG.log(Level.INFO, "Partition " + tp + " closed" + (deleteData ? " and deleted" : "")),
        t -> LOG.log(Level.ERROR, "Could not remove partition " + tp, t));
    trackRemoval(tp, removal);
  }

  private Future<Void> deleteLog(TopicPartition tp) {
    return storage.executeBlocking(() -> {
      store.deleteLog(tp);
      return null;
    }, false);
  }

  /**
   * Deletes the logs in the data directory that the metadata says this broker no longer holds, as {@link #reconcile}
   * deletes a hosted one on the same evidence: the topic is known and complete, and either the partition's replicas
   * leave this broker out or the directory is stamped with another topic id (an older topic of the same name). That is
   * what a reassignment, or a delete and re-create, leaves behind when it happens while this broker is down (Kafka
   * finds such stray logs at start too). A log of a topic ZooKeeper does not know is left alone, since the ensemble
   * may be the wrong one, and is answered for the caller to report. Call once the first {@link #reconcile} ran.
   */
  public Future<StrayLogs> deleteStrayLogs() {
    return storage.executeBlocking(store::existingLogTopicIds, false).compose(found -> onContext(() -> {
      MetadataSnapshot snapshot = metadata.snapshot();
      List<TopicPartition> deleted = new ArrayList<>();
      List<TopicPartition> unknown = new ArrayList<>();
      List<Future<Void>> deletions = new ArrayList<>();
      found.forEach((tp, topicId) -> {
        TopicState topic = snapshot.topic(tp.topic()).orElse(null);
        if (topic == null) {
          unknown.add(tp);
        } else if (!closed && !hosted.containsKey(tp) && !removals.containsKey(tp) && isStray(topic, tp, topicId)) {
          Future<Void> deletion = deleteLog(tp);
          deletion.onSuccess(v -> LOG.log(Level.INFO, "Deleted the stray log of partition " + tp
              + ", which this broker no longer holds")).onFailure(t -> LOG.log(Level.ERROR,
              "Could not delete the stray log of partition " + tp, t));
          trackRemoval(tp, deletion);
          deletions.add(deletion);
          deleted.add(tp);
        }
      });
      return Future.join(deletions).transform(ignored -> Future.succeededFuture(new StrayLogs(deleted, unknown)));
    }));
  }

  private boolean isStray(TopicState topic, TopicPartition tp, Optional<String> topicId) {
    if (!topic.isComplete()) {
      return false; // half seen: the cache is catching up with a transaction
    }
    List<Integer> replicas = topic.assignment().get(tp.partition());
    return replicas == null || !replicas.contains(brokerId)
        || topicId.isPresent() && !topicId.get().equals(topic.topicId());
  }

  /** Logs found at start: those deleted as stray, and those of topics the metadata does not know (left alone). */
  public record StrayLogs(List<TopicPartition> deleted, List<TopicPartition> unknownTopics) {
  }

  /** A deploy of {@code tp} waits for {@code removal}; the entry goes once it is the last one done. */
  private void trackRemoval(TopicPartition tp, Future<Void> removal) {
    removals.put(tp, removal);
    removal.onComplete(ar -> {
      if (removals.get(tp) == removal) {
        removals.remove(tp);
      }
    });
  }

  /** Undeploys every partition (their logs are closed cleanly) and waits for pending removals. */
  public Future<Void> closeAll() {
    return onContext(() -> {
      closed = true;
      List<Future<?>> all = new ArrayList<>(removals.values());
      Map<TopicPartition, PartitionVerticle> open = new HashMap<>();
      for (Map.Entry<TopicPartition, Hosted> e : hosted.entrySet()) {
        if (e.getValue().deployment.succeeded()) {
          open.put(e.getKey(), e.getValue().verticle);
        }
        all.add(e.getValue().deployment.compose(id -> vertx.undeploy(id), t -> Future.succeededFuture()));
      }
      hosted.clear();
      // The last checkpoint takes the high watermarks as the stopped replicas left them.
      return Future.join(all).transform(ignored -> hwCheckpointer.stop(highWatermarksOf(open)))
          .<Void>mapEmpty().otherwiseEmpty();
    });
  }

  private static Map<TopicPartition, Long> highWatermarksOf(Map<TopicPartition, PartitionVerticle> replicas) {
    Map<TopicPartition, Long> out = new HashMap<>();
    replicas.forEach((tp, v) -> out.put(tp, v.highWatermark()));
    return out;
  }

  /** Sizes and offsets of the replicas open here, leaders and followers. Any thread. */
  public List<ReplicaStats> replicaStats() {
    List<ReplicaStats> out = new ArrayList<>(hosted.size());
    hosted.values().forEach(h -> h.verticle.stats().ifPresent(out::add));
    return out;
  }

  /** Partitions deployed here, ready or not. */
  public Set<TopicPartition> hostedPartitions() {
    return Set.copyOf(hosted.keySet());
  }

  private <T> Future<T> onContext(Supplier<Future<T>> action) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(p));
    return p.future();
  }
}
