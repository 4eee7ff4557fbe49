package io.sluice.broker;

import io.sluice.broker.rpc.Contexts;

import io.sluice.api.RequestContext;

import io.sluice.api.Batches;
import io.sluice.api.ProducerIdentity;

import io.sluice.api.BrokerService;
import io.sluice.api.Acks;
import io.sluice.api.ClusterDescription;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.ConfigAlteration;
import io.sluice.api.NewTopic;
import io.sluice.api.TopicConfigEntry;
import io.sluice.api.OffsetRange;
import io.sluice.api.ProduceResult;
import io.sluice.api.TopicMetadata;
import io.sluice.api.TxnMarker;

import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.metadata.TopicState;
import io.sluice.broker.metadata.ZkMetadataStore;
import io.sluice.broker.partition.PartitionManager;
import io.sluice.broker.partition.PartitionVerticle;
import io.sluice.broker.partition.TxnVerifications;
import io.sluice.storage.ReadResult;
import io.sluice.config.BrokerConfig;
import io.sluice.config.TopicConfigChanges;
import io.sluice.config.TopicConfigView;
import io.sluice.config.TopicConfigs;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@link BrokerService} for partitions this broker leads: metadata answers come from the in-memory snapshot,
 * topic changes are written to ZooKeeper and awaited in the snapshot, then on every other live broker
 * ({@link TopicPropagation}), and partition requests go straight to the partition's {@link PartitionVerticle}.
 *
 * <p>Every returned future completes on the caller's Vert.x context when the call was made on one. Thread-safe.
 */
public final class LocalBrokerService implements BrokerService {
  private static final System.Logger LOG = System.getLogger(LocalBrokerService.class.getName());
  /** How long a topic change may take to show in this broker's metadata before the request fails. */
  private static final long METADATA_WAIT_MS = 30_000;
  private static final int MAX_PARTITIONS = 100_000;

  private final BrokerConfig config;
  /** The config's cap on a fetch's wait, read once: every fetch asks it. */
  private final long fetchMaxWaitMs;
  private final ZkMetadataStore metadata;
  private final PartitionManager partitions;
  private final ProducerIdManager producerIds;
  private final TopicLimits limits;
  private final TopicPropagation propagation;
  private final Reassignments reassignments;
  private final LeaderElections elections;
  /** KIP-890's question to the coordinator, or null with {@code transaction.partition.verification.enable} off. */
  private volatile TxnVerifications.Verifier verifier;

  public LocalBrokerService(BrokerConfig config, ZkMetadataStore metadata, PartitionManager partitions,
      TopicPropagation propagation) {
    this.config = config;
    this.fetchMaxWaitMs = config.fetchMaxWaitMs();
    this.propagation = propagation;
    this.limits = new TopicLimits(config);
    this.metadata = metadata;
    this.partitions = partitions;
    this.producerIds = new ProducerIdManager(metadata);
    this.reassignments = new Reassignments(config, metadata, limits, METADATA_WAIT_MS);
    this.elections = new LeaderElections(metadata, METADATA_WAIT_MS);
    this.verifier = !config.getBoolean(BrokerConfig.TRANSACTION_PARTITION_VERIFICATION_ENABLE) ? null
        : (id, producer, tp) -> Future.failedFuture(new SluiceException(ErrorCode.NOT_COORDINATOR, "Broker "
            + config.brokerId() + " is starting: it cannot verify transactions yet; retry"));
  }

  /**
   * The transaction coordinators (routed to each id's, wherever it is) that leaders here ask before the first
   * transactional batch of a producer's transaction (KIP-890); nothing with verification off. They start after this
   * service, which refuses transactional batches until then (retriable).
   */
  public void verifyTransactionsWith(io.sluice.api.TransactionService transactions) {
    if (verifier != null) {
      RequestContext self = RequestContext.internal(config.brokerId());
      verifier = (id, producer, tp) -> transactions.verifyPartition(self, id, producer, tp)
          .recover(io.sluice.api.TransactionService::asVerificationError);
    }
  }

  @Override
  public Future<io.sluice.api.PartitionReassignmentInfo> alterPartitionReassignment(RequestContext caller,
      TopicPartition tp, List<Integer> target) {
    return Contexts.onCaller(attempt(() -> reassignments.alter(tp, target)));
  }

  @Override
  public Future<List<io.sluice.api.PartitionReassignmentInfo>> listPartitionReassignments(RequestContext caller) {
    return Future.succeededFuture(reassignments.list());
  }

  @Override
  public Future<List<io.sluice.api.ElectionResult>> electLeaders(RequestContext caller,
      io.sluice.api.ElectionType type, List<TopicPartition> partitions) {
    return Contexts.onCaller(attempt(() -> elections.elect(type, partitions)));
  }

  @Override
  public Future<ProducerIdentity> initProducerId(RequestContext caller) {
    return Contexts.onCaller(producerIds.allocate());
  }

  /**
   * Not answered here: the cluster's view (controller, every broker ever seen) belongs to the cluster layer's
   * {@code ForwardingBrokerService}, which front ends use.
   */
  @Override
  public Future<ClusterDescription> describeCluster(RequestContext caller) {
    return Future.failedFuture(new SluiceException(ErrorCode.NOT_FOUND,
        "Broker " + config.brokerId() + ": the cluster is described by the cluster layer, not the local service"));
  }

  /** Not answered here either: the brokers ever seen are the cluster layer's, as {@link #describeCluster}. */
  @Override
  public Future<Void> unregisterBroker(RequestContext caller, int brokerId) {
    return Future.failedFuture(new SluiceException(ErrorCode.NOT_FOUND,
        "Broker " + config.brokerId() + ": brokers are unregistered by the cluster layer, not the local service"));
  }

  /** Readiness is the cluster layer's ({@code ForwardingBrokerService}); the local service alone is always ready. */
  @Override
  public Optional<String> notReadyReason() {
    return Optional.empty();
  }

  @Override
  public Future<List<String>> listTopics(RequestContext caller) {
    return Future.succeededFuture(List.copyOf(metadata.snapshot().topics().keySet()));
  }

  @Override
  public Future<TopicMetadata> describeTopic(RequestContext caller, String topic) {
    return attempt(() -> Future.succeededFuture(describe(metadata.snapshot(), topic)));
  }

  @Override
  public Future<TopicMetadata> createTopic(RequestContext caller, NewTopic request) {
    return Contexts.onCaller(attempt(() -> {
      TopicState topic = plan(request);
      List<TopicPartition> tps = topic.assignment().keySet().stream().map(topic::tp).toList();
      return metadata.createTopic(topic)
          .compose(v -> metadata.awaitSnapshot(s -> s.topic(topic.name()).map(TopicState::isComplete).orElse(false),
              METADATA_WAIT_MS, "topic '" + topic.name() + "' to appear"))
          .compose(s -> partitions.whenHosted(tps))
          .compose(v -> propagation.shown(topic))
          .map(v -> {
            LOG.log(Level.INFO, "Created topic " + topic.name() + " with " + topic.partitionCount()
                + " partition(s), replication factor " + topic.replicationFactor() + ", configs " + topic.configs());
            return describe(metadata.snapshot(), topic.name());
          });
    }));
  }

  @Override
  public Future<TopicMetadata> createPartitions(RequestContext caller, String topic, int count) {
    return Contexts.onCaller(attempt(() -> {
      MetadataSnapshot s = metadata.snapshot();
      TopicState existing = s.topic(topic).orElseThrow(() -> unknownTopic(topic));
      TreeMap<Integer, String> live = placeable(s, config.brokerId(), config.brokerRack());
      limits.checkGrow(s, existing, grow(existing, count, live));
      return metadata.addPartitions(topic, current -> grow(current, count, live))
          .compose(grown -> metadata.awaitSnapshot(snap -> snap.topic(topic).map(t -> t.isComplete()
                  && t.partitionCount() == grown.partitionCount()).orElse(false), METADATA_WAIT_MS,
              "the new partitions of '" + topic + "' to appear")
              .compose(snap -> partitions.whenHosted(grown.assignment().keySet().stream().map(grown::tp).toList()))
              .compose(v -> propagation.shown(grown)))
          .map(v -> {
            LOG.log(Level.INFO, "Topic " + topic + " now has " + count + " partition(s)");
            return describe(metadata.snapshot(), topic);
          });
    }));
  }

  @Override
  public Future<List<TopicConfigEntry>> describeTopicConfigs(RequestContext caller, String topic) {
    return attempt(() -> Future.succeededFuture(TopicConfigView.describe(existing(topic).configs(), config)));
  }

  /**
   * Checks the changes against the topic as this broker sees it (so a bad request fails before any write), then
   * rewrites the topic's configs in ZooKeeper conditionally, applying the changes afresh to whatever is stored, and
   * answers once this broker's snapshot shows them; every broker's partitions take them from its own snapshot.
   */
  @Override
  public Future<List<TopicConfigEntry>> alterTopicConfigs(RequestContext caller, String topic,
      List<ConfigAlteration> changes, boolean validateOnly) {
    return Contexts.onCaller(attempt(() -> {
      TopicState seen = existing(topic);
      Map<String, String> planned = alter(seen, changes);
      if (validateOnly) {
        return Future.succeededFuture(TopicConfigView.describe(planned, config));
      }
      AtomicReference<Map<String, String>> before = new AtomicReference<>();
      return metadata.alterTopicConfigs(topic, current -> {
        before.set(current);
        return alter(seen.withConfigs(current), changes);
        // Shown once the snapshot has left the configs the write replaced (a later writer's count too); a change
        // that changed nothing is shown at once.
      }).compose(altered -> metadata.awaitSnapshot(s -> altered.configs().equals(before.get())
              || s.topic(topic).map(t -> !t.topicId().equals(altered.topicId())
              || !t.configs().equals(before.get())).orElse(true), METADATA_WAIT_MS,
          "the altered configs of '" + topic + "' to appear"))
          .map(s -> {
            Map<String, String> now = s.topic(topic).orElseThrow(() -> unknownTopic(topic)).configs();
            LOG.log(Level.INFO, "Topic " + topic + ": configs altered by " + changes + ", overrides now " + now);
            return TopicConfigView.describe(now, config);
          });
    }));
  }

  private Map<String, String> alter(TopicState topic, List<ConfigAlteration> changes) {
    return TopicConfigChanges.apply(topic.configs(), changes, config.defaultLogConfig(), config.minInsyncReplicas(),
        topic.replicationFactor());
  }

  private TopicState existing(String topic) {
    return metadata.snapshot().topic(topic).orElseThrow(() -> unknownTopic(topic));
  }

  /**
   * {@code current} with partitions up to {@code count}, the new ones placed as {@link #assign} would have placed
   * them at creation over today's live brokers. Pure; runs inside the metadata store's versioned update.
   */
  static TopicState grow(TopicState current, int count, TreeMap<Integer, String> liveBrokers) {
    if (count <= current.partitionCount()) {
      throw new SluiceException(ErrorCode.INVALID_PARTITIONS, "Topic '" + current.name() + "' has "
          + current.partitionCount() + " partition(s); the new count must be larger (partitions cannot be removed),"
          + " got " + count);
    }
    if (!current.reassignments().isEmpty()) { // Kafka's rule: the new partitions' placement would race the move
      throw new SluiceException(ErrorCode.REASSIGNMENT_IN_PROGRESS, "Topic '" + current.name() + "' has partition"
          + " reassignments in progress " + current.reassignments().keySet() + "; add partitions once they complete"
          + " (or cancel them)");
    }
    if (count > MAX_PARTITIONS) {
      throw new SluiceException(ErrorCode.INVALID_PARTITIONS, "A topic has at most " + MAX_PARTITIONS
          + " partitions, got " + count);
    }
    if (current.replicationFactor() > liveBrokers.size()) {
      throw new SluiceException(ErrorCode.INVALID_REPLICATION_FACTOR, "Replication factor "
          + current.replicationFactor() + " is larger than the number of live brokers (" + liveBrokers.keySet() + ")");
    }
    Map<Integer, List<Integer>> planned = ReplicaPlacement.assign(liveBrokers, count, current.replicationFactor());
    Map<Integer, List<Integer>> assignment = new TreeMap<>(planned);
    assignment.putAll(current.assignment());
    return new TopicState(current.name(), current.topicId(), current.replicationFactor(), current.configs(),
        assignment, Map.of());
  }

  @Override
  public Future<TopicMetadata> metadataForProduce(RequestContext caller, String topic) {
    return Contexts.onCaller(attempt(() -> {
      TopicNames.validate(topic);
      MetadataSnapshot s = metadata.snapshot();
      if (s.topics().containsKey(topic)) {
        return Future.succeededFuture(describe(s, topic));
      }
      if (!config.autoCreateTopicsEnable()) {
        throw unknownTopic(topic);
      }
      return createTopic(caller, new NewTopic(topic, -1, -1, Map.of())).recover(t -> {
        if (t instanceof SluiceException se && se.errorCode() == ErrorCode.TOPIC_ALREADY_EXISTS) {
          // Created by another broker meanwhile: this answer, too, waits until every broker shows it.
          return metadata.awaitSnapshot(snap -> snap.topic(topic).map(TopicState::isComplete).orElse(false),
              METADATA_WAIT_MS, "topic '" + topic + "' to appear")
              .compose(snap -> propagation.shown(snap.topic(topic).orElseThrow()))
              .map(v -> describe(metadata.snapshot(), topic));
        }
        return Future.failedFuture(t);
      });
    }));
  }

  @Override
  public Future<Void> deleteTopic(RequestContext caller, String topic) {
    return Contexts.onCaller(attempt(() -> {
      TopicState existing = metadata.snapshot().topic(topic).orElseThrow(() -> unknownTopic(topic));
      List<TopicPartition> tps = existing.assignment().keySet().stream().map(existing::tp).toList();
      return metadata.deleteTopic(topic)
          .compose(v -> metadata.awaitSnapshot(s -> !s.topics().containsKey(topic), METADATA_WAIT_MS,
              "topic '" + topic + "' to disappear"))
          .compose(s -> partitions.whenRemoved(tps))
          .compose(v -> propagation.gone(existing))
          .onSuccess(v -> LOG.log(Level.INFO, "Deleted topic " + topic));
    }));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Errors known before the append (no such topic or partition, not the leader, too few in-sync replicas for
   * acks=all) fail the future whatever the acks. With acks=0 the future then completes without waiting for the
   * append, whose failure is only logged; the caller must leave {@code batches} untouched until the append is done,
   * which it cannot observe, so it should hand over a buffer it never reuses.
   */
  @Override
  public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks) {
    return produce(caller, tp, batches, acks, null);
  }

  @Override
  public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks,
      String transactionalId) {
    return produce(tp, batches, acks, transactionalId, PartitionVerticle.ANY_LEADER_EPOCH);
  }

  @Override
  public Future<ProduceResult> produceAtLeaderEpoch(RequestContext caller, TopicPartition tp, ByteBuffer batches,
      Acks acks, int leaderEpoch) {
    return produce(tp, batches, acks, null, leaderEpoch);
  }

  private Future<ProduceResult> produce(TopicPartition tp, ByteBuffer batches, Acks acks, String transactionalId,
      int leaderEpoch) {
    return Contexts.onCaller(attempt(() -> withPartition(tp, pv -> {
      Future<ProduceResult> appended = pv.append(batches, acks, transactionalId, verifier, leaderEpoch)
          .map(r -> new ProduceResult(r.batchBaseOffsets(), r.logAppendTimeMs()));
      if (acks != Acks.NONE) {
        return appended;
      }
      appended.onFailure(t -> LOG.log(Level.WARNING, "acks=0 produce to " + tp + " failed: " + t));
      return Future.succeededFuture(new ProduceResult(List.of(), -1L));
    })));
  }

  @Override
  public Future<List<io.sluice.api.ProducerState>> describeProducers(RequestContext caller, TopicPartition tp) {
    return Contexts.onCaller(attempt(() -> partition(tp).compose(PartitionVerticle::describeProducers)));
  }

  /** Writes the marker in each partition led here, all at once; a partition's failure is its entry of the answer. */
  @Override
  public Future<Map<TopicPartition, ErrorCode>> writeTxnMarkers(RequestContext caller, TxnMarker marker) {
    List<Future<Map.Entry<TopicPartition, ErrorCode>>> writes = new ArrayList<>();
    for (TopicPartition tp : new java.util.LinkedHashSet<>(marker.partitions())) { // one marker per partition
      writes.add(attempt(() -> partition(tp).compose(pv -> pv.appendTxnMarker(marker.producerId(),
              marker.producerEpoch(), marker.coordinatorEpoch(), marker.commit())))
          .<Map.Entry<TopicPartition, ErrorCode>>map(r -> null)
          .otherwise(t -> Map.entry(tp, t instanceof SluiceException se ? se.errorCode()
              : ErrorCode.UNKNOWN_SERVER_ERROR)));
    }
    return Contexts.onCaller(Future.all(writes).map(all -> {
      Map<TopicPartition, ErrorCode> failed = new java.util.HashMap<>();
      writes.forEach(w -> {
        if (w.result() != null) {
          failed.put(w.result().getKey(), w.result().getValue());
        }
      });
      return failed;
    }));
  }

  @Override
  public Future<FetchResult> fetch(RequestContext caller, FetchRequest request) {
    return Contexts.onCaller(attempt(() -> {
      if (request.maxBytes() <= 0) {
        throw new SluiceException(ErrorCode.INVALID_FETCH_SIZE, "max_bytes must be positive, got "
            + request.maxBytes());
      }
      if (request.offset() < 0) {
        throw new SluiceException(ErrorCode.OFFSET_OUT_OF_RANGE, "Fetch offset " + request.offset()
            + " is negative for partition " + request.tp());
      }
      long maxWaitMs = Math.min(Math.max(0, request.maxWaitMs()), fetchMaxWaitMs);
      // a follower knows no last stable offset to stop a read_committed read at: the leader answers those
      if (request.clientRack() != null && !request.readCommitted() && readsInRack(request.clientRack())) {
        return followerFetch(request, maxWaitMs);
      }
      return withPartition(request.tp(), pv -> pv.fetch(request.offset(), request.maxBytes(),
              request.minBytes(), maxWaitMs, request.readCommitted())
          .map(r -> result(request, pv, r, -1)));
    }));
  }

  /** Whether a consumer in {@code clientRack} may read from this broker's replicas, followers included (KIP-392). */
  public boolean readsInRack(String clientRack) {
    return config.rackAwareReplicaSelector() && clientRack.equals(config.brokerRack());
  }

  /** A consumer's read from this broker's replica as it is, leader or in-sync follower of the consumer's rack. */
  private Future<FetchResult> followerFetch(FetchRequest request, long maxWaitMs) {
    state(request.tp()); // the topic and partition exist, or the same error as the leader's
    return partitions.replica(request.tp()).compose(pv -> pv.fetchAsReplica(request.offset(), request.maxBytes(),
            request.minBytes(), maxWaitMs)
        .map(r -> result(request, pv, r, pv.isLeader() ? -1 : config.brokerId())));
  }

  private static FetchResult result(FetchRequest request, PartitionVerticle pv, ReadResult r, int readReplica) {
    Batches batches = r.isInMemory() ? Batches.wrap(r.bytes().array()) // the read's own copy: no second one
        : Batches.ofFile(r.file(), r.channel(), r.position(), r.length());
    long hw = pv.highWatermark();
    if (!request.readCommitted()) {
      return new FetchResult(request.tp(), hw, r.logStartOffset(), r.nextOffset(), batches, readReplica);
    }
    return new FetchResult(request.tp(), hw, r.logStartOffset(), r.nextOffset(), batches,
        Math.min(hw, pv.firstUnstableOffset()), pv.abortedTransactions(request.offset(), r.nextOffset()));
  }

  @Override
  public Future<OffsetRange> offsets(RequestContext caller, TopicPartition tp) {
    return Contexts.onCaller(attempt(() -> partition(tp).compose(PartitionVerticle::offsets)));
  }

  @Override
  public Future<OptionalLong> offsetForTimestamp(RequestContext caller, TopicPartition tp, long timestampMs) {
    return Contexts.onCaller(attempt(() -> partition(tp).compose(pv -> pv.offsetForTimestamp(timestampMs))));
  }

  @Override
  public Future<Long> deleteRecords(RequestContext caller, TopicPartition tp, long offset) {
    return Contexts.onCaller(attempt(() -> {
      TopicState topic = metadata.snapshot().topic(tp.topic()).orElseThrow(() -> unknownTopic(tp.topic()));
      String policy = topic.configs().getOrDefault(TopicConfigs.CLEANUP_POLICY, "delete");
      if (!policy.contains("delete")) {
        // Kafka's rule: a compacted topic keeps the latest record of every key; deleting a prefix would drop some.
        throw new SluiceException(ErrorCode.POLICY_VIOLATION, "Records of topic '" + tp.topic() + "' cannot be"
            + " deleted: its cleanup.policy is '" + policy + "', without 'delete'");
      }
      return partition(tp).compose(pv -> pv.deleteRecords(offset));
    }));
  }

  private Future<PartitionVerticle> partition(TopicPartition tp) {
    return partitions.lookup(tp, state(tp));
  }

  /** {@code then} on {@code tp}'s open partition: at once, without a stage, on every produce's and fetch's path. */
  private <T> Future<T> withPartition(TopicPartition tp, Function<PartitionVerticle, Future<T>> then) {
    Future<PartitionVerticle> pv = partition(tp);
    return pv.succeeded() ? then.apply(pv.result()) : pv.compose(then);
  }

  /** The partition's state; fails as a read of it would when the topic, the partition or its state is missing. */
  private PartitionState state(TopicPartition tp) {
    TopicState topic = metadata.snapshot().topic(tp.topic()).orElseThrow(() -> unknownTopic(tp.topic()));
    if (!topic.assignment().containsKey(tp.partition())) {
      throw new SluiceException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + tp.topic() + "' has "
          + topic.partitionCount() + " partition(s); there is no partition " + tp.partition());
    }
    PartitionState state = topic.states().get(tp.partition());
    if (state == null) {
      throw new SluiceException(ErrorCode.LEADER_NOT_AVAILABLE, "Partition " + tp + " has no state yet");
    }
    return state;
  }

  /** Validates a creation request and decides partitions, replicas and leaders. */
  private TopicState plan(NewTopic request) {
    TopicNames.validate(request.name());
    MetadataSnapshot s = metadata.snapshot();
    if (s.topics().containsKey(request.name())) {
      throw new SluiceException(ErrorCode.TOPIC_ALREADY_EXISTS, "Topic '" + request.name() + "' already exists");
    }
    checkCollision(s, request.name());
    int partitionCount = request.partitions() == -1 ? config.numPartitions() : request.partitions();
    if (partitionCount < 1 || partitionCount > MAX_PARTITIONS) {
      throw new SluiceException(ErrorCode.INVALID_PARTITIONS, "Number of partitions must be between 1 and "
          + MAX_PARTITIONS + ", got " + request.partitions());
    }
    int rf = request.replicationFactor() == -1 ? config.defaultReplicationFactor() : request.replicationFactor();
    TreeMap<Integer, String> racks = placeable(s, config.brokerId(), config.brokerRack());
    Set<Integer> live = racks.keySet();
    if (rf < 1) {
      throw new SluiceException(ErrorCode.INVALID_REPLICATION_FACTOR, "Replication factor must be at least 1, got "
          + request.replicationFactor());
    }
    if (rf > live.size()) {
      throw new SluiceException(ErrorCode.INVALID_REPLICATION_FACTOR, "Replication factor " + rf
          + " is larger than the number of live brokers (" + live.size() + ": " + live + ")");
    }
    Map<String, String> configs = TopicConfigs.validate(
        request.configs() == null ? Map.of() : request.configs(), config.defaultLogConfig());
    limits.checkPartitionCount(request.name(), partitionCount);
    TopicState planned = new TopicState(request.name(), UUID.randomUUID().toString(), rf, configs,
        ReplicaPlacement.assign(racks, partitionCount, rf), Map.of());
    limits.checkCreate(s, planned);
    return planned;
  }

  /**
   * The brokers new replicas may go to, with their racks (null: none): the live ones, this broker included even
   * before its snapshot shows it, but none in controlled shutdown (as Kafka places no replica on a broker that is
   * stopping: it would start under-replicated).
   */
  static TreeMap<Integer, String> placeable(MetadataSnapshot s, int self, String selfRack) {
    TreeMap<Integer, String> racks = new TreeMap<>();
    s.liveBrokers().forEach((id, reg) -> racks.put(id, reg.rack()));
    racks.put(self, selfRack);
    racks.keySet().removeAll(s.brokersInControlledShutdown());
    return racks;
  }

  /** As Kafka: '.' and '_' collide in metric names, so "a.b" and "a_b" cannot both exist. */
  private static void checkCollision(MetadataSnapshot s, String name) {
    String key = name.replace('.', '_');
    for (String existing : s.topics().keySet()) {
      if (!existing.equals(name) && existing.replace('.', '_').equals(key)) {
        throw new SluiceException(ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic '" + name
            + "' collides with existing topic '" + existing + "' ('.' and '_' are treated alike)");
      }
    }
  }

  private static TopicMetadata describe(MetadataSnapshot s, String topic) {
    return s.topic(topic).orElseThrow(() -> unknownTopic(topic)).toMetadata(s.liveBrokerIds());
  }

  private static SluiceException unknownTopic(String topic) {
    return new SluiceException(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + topic + "' does not exist");
  }

  /** Runs {@code action}, turning an exception it throws into a failed future. */
  private static <T> Future<T> attempt(Supplier<Future<T>> action) {
    try {
      return action.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

}
