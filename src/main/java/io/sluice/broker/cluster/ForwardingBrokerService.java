package io.sluice.broker.cluster;

import io.sluice.broker.rpc.Forwarding;

import io.sluice.api.RequestContext;

import io.sluice.api.ProducerIdentity;

import io.sluice.broker.rpc.Contexts;
import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.ClusterDescription;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.ConfigAlteration;
import io.sluice.api.NewTopic;
import io.sluice.api.TopicConfigEntry;
import io.sluice.api.OffsetRange;
import io.sluice.api.ProduceResult;
import io.sluice.broker.ProducerIdManager;
import io.sluice.api.TopicMetadata;
import io.sluice.api.TxnMarker;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.metadata.TopicState;
import io.sluice.broker.metadata.ZkMetadataStore;
import io.sluice.broker.replication.ClusterAddresses;
import io.sluice.broker.rpc.BrokerRpc;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@link BrokerService} for a broker in a cluster: any broker answers any request. Metadata requests are answered
 * from the local snapshot; a produce, fetch or offsets request for a partition led by another live broker is
 * forwarded to it over the clustered event bus (the same {@link BrokerService} call, made with {@link BrokerRpc} to
 * {@code sluice.broker.<leader>.forward}, served there by {@link ForwardServer} against its local service, so a
 * request is forwarded at most once, with its caller's {@link RequestContext}); everything else goes
 * to the local service, which answers for partitions led here and reports the errors otherwise.
 *
 * <p>Forwarded errors keep their {@link ErrorCode}. A leader that cannot be reached answers LEADER_NOT_AVAILABLE (the
 * client retries; the controller is moving leadership). The event bus does not fail a request whose target node
 * died, so requests in flight to a broker are failed with LEADER_NOT_AVAILABLE as soon as the metadata shows it dead
 * (otherwise a producer would wait out the whole forwarding timeout after a leader's crash). Futures complete on the
 * caller's context. Thread-safe.
 */
public final class ForwardingBrokerService implements BrokerService {
  private static final long FORWARD_TIMEOUT_MS = 35_000;
  private final String followerReadRack;

  private final BrokerRpc rpc;
  private final int brokerId;
  private final BrokerService local;
  private final ZkMetadataStore metadata;
  private final ClusterAdmin cluster;
  private final Supplier<Optional<String>> readiness;
  /** Forwarded requests awaiting a reply, by target broker. */
  private final Map<Integer, Set<Promise<?>>> inFlight = new ConcurrentHashMap<>();

  /** The cluster-wide facts beside topics, kept in ZooKeeper ({@link ClusterMetadata}): any broker answers them. */
  public interface ClusterAdmin {
    /** {@code GET /cluster}. */
    Future<ClusterDescription> describe();

    /** {@code DELETE /brokers/{id}} ({@link BrokerService#unregisterBroker}). */
    Future<Void> unregister(int brokerId);
  }

  public ForwardingBrokerService(Vertx vertx, int brokerId, BrokerService local, ZkMetadataStore metadata,
      ClusterAdmin cluster) {
    this(vertx, brokerId, local, metadata, cluster, Optional::empty);
  }

  /** @param readiness why this broker should not take traffic now, or empty ({@link #notReadyReason}) */
  public ForwardingBrokerService(Vertx vertx, int brokerId, BrokerService local, ZkMetadataStore metadata,
      ClusterAdmin cluster, Supplier<Optional<String>> readiness) {
    this(vertx, brokerId, local, metadata, cluster, readiness, null);
  }

  /**
   * @param followerReadRack the rack whose consumers ({@code client.rack}) this broker's in-sync followers answer
   *     (KIP-392: its {@code broker.rack} when {@code replica.selector.class} is Kafka's RackAwareReplicaSelector),
   *     null when only leaders answer reads
   */
  public ForwardingBrokerService(Vertx vertx, int brokerId, BrokerService local, ZkMetadataStore metadata,
      ClusterAdmin cluster, Supplier<Optional<String>> readiness, String followerReadRack) {
    this.followerReadRack = followerReadRack;
    this.readiness = readiness;
    this.rpc = BrokerRpc.on(vertx);
    this.brokerId = brokerId;
    this.local = local;
    this.metadata = metadata;
    this.cluster = cluster;
    metadata.addListener(this::failForwardsToDeadBrokers);
  }

  private void failForwardsToDeadBrokers(MetadataSnapshot snapshot) {
    for (Map.Entry<Integer, Set<Promise<?>>> e : inFlight.entrySet()) {
      if (!snapshot.liveBrokers().containsKey(e.getKey())) {
        for (Promise<?> p : List.copyOf(e.getValue())) {
          p.tryFail(new SluiceException(ErrorCode.LEADER_NOT_AVAILABLE, "Leader broker " + e.getKey()
              + " died while the request was forwarded to it; its outcome is unknown"));
        }
      }
    }
  }

  @Override
  public Future<List<String>> listTopics(RequestContext caller) {
    return local.listTopics(caller);
  }

  @Override
  public Future<TopicMetadata> createTopic(RequestContext caller, NewTopic request) {
    return local.createTopic(caller, request);
  }

  @Override
  public Future<TopicMetadata> createPartitions(RequestContext caller, String topic, int count) {
    return local.createPartitions(caller, topic, count);
  }

  @Override
  public Future<List<TopicConfigEntry>> describeTopicConfigs(RequestContext caller, String topic) {
    return local.describeTopicConfigs(caller, topic);
  }

  @Override
  public Future<List<TopicConfigEntry>> alterTopicConfigs(RequestContext caller, String topic,
      List<ConfigAlteration> changes, boolean validateOnly) {
    return local.alterTopicConfigs(caller, topic, changes, validateOnly);
  }

  @Override
  public Future<TopicMetadata> describeTopic(RequestContext caller, String topic) {
    return local.describeTopic(caller, topic);
  }

  @Override
  public Future<TopicMetadata> metadataForProduce(RequestContext caller, String topic) {
    return local.metadataForProduce(caller, topic);
  }

  @Override
  public Future<Void> deleteTopic(RequestContext caller, String topic) {
    return local.deleteTopic(caller, topic);
  }

  @Override
  public Future<ProducerIdentity> initProducerId(RequestContext caller) {
    return local.initProducerId(caller);
  }

  @Override
  public Future<ClusterDescription> describeCluster(RequestContext caller) {
    return Contexts.onCaller(cluster.describe());
  }

  @Override
  public Future<Void> unregisterBroker(RequestContext caller, int id) {
    return Contexts.onCaller(cluster.unregister(id));
  }

  @Override
  public Optional<String> notReadyReason() {
    return readiness.get();
  }

  @Override
  public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks) {
    return produce(caller, tp, batches, acks, null);
  }

  @Override
  public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks,
      String transactionalId) {
    return toLeader(tp, FORWARD_TIMEOUT_MS, s -> s.produce(caller, tp, batches, acks, transactionalId));
  }

  @Override
  public Future<ProduceResult> produceAtLeaderEpoch(RequestContext caller, TopicPartition tp, ByteBuffer batches,
      Acks acks, int leaderEpoch) {
    return toLeader(tp, FORWARD_TIMEOUT_MS, s -> s.produceAtLeaderEpoch(caller, tp, batches, acks, leaderEpoch));
  }

  /**
   * {@inheritDoc}
   *
   * <p>A consumer of this broker's rack ({@code client.rack}) is answered by this broker's replica when it is an
   * in-sync follower (KIP-392), so its records do not cross racks; when the follower cannot answer (it left the ISR or
   * was moved away meanwhile, is fenced, or the offset is past its log end) the leader answers instead, as Kafka's
   * consumer goes back to the leader. Anything else goes to the leader.
   */
  @Override
  public Future<FetchResult> fetch(RequestContext caller, FetchRequest request) {
    if (request.clientRack() != null && request.clientRack().equals(followerReadRack)
        && inSyncFollowerHere(request.tp())) {
      return local.fetch(caller, request).recover(t -> leaderFetch(caller, request));
    }
    return leaderFetch(caller, request);
  }

  private Future<FetchResult> leaderFetch(RequestContext caller, FetchRequest request) {
    return toLeader(request.tp(), Math.max(0, request.maxWaitMs()) + FORWARD_TIMEOUT_MS,
        s -> s.fetch(caller, request));
  }

  /** Whether this broker's replica of {@code tp} follows a live leader and is in the ISR, by the snapshot. */
  private boolean inSyncFollowerHere(TopicPartition tp) {
    MetadataSnapshot s = metadata.snapshot();
    TopicState topic = s.topics().get(tp.topic());
    PartitionState state = topic == null ? null : topic.states().get(tp.partition());
    return state != null && state.leader() != brokerId && s.liveBrokers().containsKey(state.leader())
        && state.isr().contains(brokerId);
  }

  @Override
  public Future<OffsetRange> offsets(RequestContext caller, TopicPartition tp) {
    return toLeader(tp, FORWARD_TIMEOUT_MS, s -> s.offsets(caller, tp));
  }

  @Override
  public Future<OptionalLong> offsetForTimestamp(RequestContext caller, TopicPartition tp, long timestampMs) {
    return toLeader(tp, FORWARD_TIMEOUT_MS, s -> s.offsetForTimestamp(caller, tp, timestampMs));
  }

  @Override
  public Future<List<io.sluice.api.ProducerState>> describeProducers(RequestContext caller, TopicPartition tp) {
    return toLeader(tp, FORWARD_TIMEOUT_MS, s -> s.describeProducers(caller, tp));
  }

  @Override
  public Future<Long> deleteRecords(RequestContext caller, TopicPartition tp, long offset) {
    return toLeader(tp, FORWARD_TIMEOUT_MS, s -> s.deleteRecords(caller, tp, offset));
  }

  /**
   * Each partition's marker is written by its leader: the partitions led here (or by nobody alive: the local
   * service answers their error) in one local call, the others in one forwarded call per leader. A forward that
   * fails answers its error for each of its partitions.
   */
  @Override
  public Future<Map<TopicPartition, ErrorCode>> writeTxnMarkers(RequestContext caller, TxnMarker marker) {
    Map<Integer, List<TopicPartition>> byLeader = new java.util.TreeMap<>();
    for (TopicPartition tp : new java.util.LinkedHashSet<>(marker.partitions())) {
      byLeader.computeIfAbsent(remoteLeader(tp), l -> new java.util.ArrayList<>()).add(tp);
    }
    List<Future<Map<TopicPartition, ErrorCode>>> calls = new java.util.ArrayList<>();
    byLeader.forEach((leader, tps) -> {
      TxnMarker part = new TxnMarker(marker.producerId(), marker.producerEpoch(), marker.coordinatorEpoch(),
          marker.commit(), List.copyOf(tps));
      Future<Map<TopicPartition, ErrorCode>> call = leader < 0 ? local.writeTxnMarkers(caller, part)
          : forward(leader, FORWARD_TIMEOUT_MS, s -> s.writeTxnMarkers(caller, part));
      calls.add(call.otherwise(t -> {
        ErrorCode code = t instanceof SluiceException se ? se.errorCode() : ErrorCode.UNKNOWN_SERVER_ERROR;
        Map<TopicPartition, ErrorCode> all = new java.util.HashMap<>();
        tps.forEach(tp -> all.put(tp, code));
        return all;
      }));
    });
    return Contexts.onCaller(Future.all(calls).map(done -> {
      Map<TopicPartition, ErrorCode> failed = new java.util.HashMap<>();
      calls.forEach(c -> failed.putAll(c.result()));
      return failed;
    }));
  }

  /** Answered here: a reassignment is written in ZooKeeper, where the controller finds it. */
  @Override
  public Future<io.sluice.api.PartitionReassignmentInfo> alterPartitionReassignment(RequestContext caller,
      TopicPartition tp, List<Integer> target) {
    return local.alterPartitionReassignment(caller, tp, target);
  }

  @Override
  public Future<List<io.sluice.api.PartitionReassignmentInfo>> listPartitionReassignments(RequestContext caller) {
    return local.listPartitionReassignments(caller);
  }

  @Override
  public Future<List<io.sluice.api.ElectionResult>> electLeaders(RequestContext caller,
      io.sluice.api.ElectionType type, List<TopicPartition> partitions) {
    return local.electLeaders(caller, type, partitions);
  }

  /** Runs {@code call} on the local service if {@code tp} is led here (or by nobody alive), else at its leader. */
  private <T> Future<T> toLeader(TopicPartition tp, long timeoutMs, Function<BrokerService, Future<T>> call) {
    int leader = remoteLeader(tp);
    return leader < 0 ? call.apply(local) : forward(leader, timeoutMs, call);
  }

  /** The live broker other than this one that leads {@code tp}, or -1 to let the local service answer. */
  private int remoteLeader(TopicPartition tp) {
    MetadataSnapshot s = metadata.snapshot();
    TopicState topic = s.topics().get(tp.topic());
    PartitionState state = topic == null ? null : topic.states().get(tp.partition());
    if (state == null || state.leader() == brokerId || !s.liveBrokers().containsKey(state.leader())) {
      return -1;
    }
    return state.leader();
  }

  private <T> Future<T> forward(int leader, long timeoutMs, Function<BrokerService, Future<T>> call) {
    Promise<T> p = Promise.promise();
    Set<Promise<?>> pending = inFlight.computeIfAbsent(leader, id -> ConcurrentHashMap.newKeySet());
    pending.add(p);
    rpc.call(ClusterAddresses.forward(leader), BrokerService.class, timeoutMs, call)
        .recover(t -> Future.failedFuture(translate(t, leader)))
        .onComplete(ar -> {
          pending.remove(p);
          if (ar.succeeded()) {
            p.tryComplete(ar.result());
          } else {
            p.tryFail(ar.cause());
          }
        });
    if (!metadata.snapshot().liveBrokers().containsKey(leader)) {
      p.tryFail(new SluiceException(ErrorCode.LEADER_NOT_AVAILABLE, "Leader broker " + leader + " is not alive"));
    }
    return Contexts.onCaller(p.future());
  }

  private static Throwable translate(Throwable t, int leader) {
    return Forwarding.translate(t, leader, ErrorCode.LEADER_NOT_AVAILABLE);
  }
}
