package io.sluice.broker.cluster;

import io.sluice.broker.Contexts;
import io.sluice.broker.Acks;
import io.sluice.broker.BrokerService;
import io.sluice.broker.ClusterDescription;
import io.sluice.broker.FetchRequest;
import io.sluice.broker.FetchResult;
import io.sluice.broker.NewTopic;
import io.sluice.broker.OffsetRange;
import io.sluice.broker.ProduceResult;
import io.sluice.broker.ProducerIdManager;
import io.sluice.broker.TopicMetadata;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.metadata.TopicState;
import io.sluice.broker.metadata.ZkMetadataStore;
import io.sluice.broker.replication.ClusterAddresses;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.storage.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * {@link BrokerService} for a broker in a cluster: any broker answers any request. Metadata requests are answered
 * from the local snapshot; a produce, fetch or offsets request for a partition led by another live broker is
 * forwarded to it over the clustered event bus (request/reply to {@code sluice.broker.<leader>.forward}, served there
 * by {@link ForwardServer} against its local service, so a request is forwarded at most once); everything else goes
 * to the local service, which answers for partitions led here and reports the errors otherwise.
 *
 * <p>Forwarded errors keep their {@link ErrorCode}. A leader that cannot be reached answers LEADER_NOT_AVAILABLE (the
 * client retries; the controller is moving leadership). The event bus does not fail a request whose target node
 * died, so requests in flight to a broker are failed with LEADER_NOT_AVAILABLE as soon as the metadata shows it dead
 * (otherwise a producer would wait out the whole forwarding timeout after a leader's crash). Futures complete on the
 * caller's context. Thread-safe.
 */
public final class ForwardingBrokerService implements BrokerService {
  static final String OP = "op";
  private static final long FORWARD_TIMEOUT_MS = 35_000;

  private final Vertx vertx;
  private final int brokerId;
  private final BrokerService local;
  private final ZkMetadataStore metadata;
  private final Supplier<Future<ClusterDescription>> cluster;
  private final Supplier<Optional<String>> readiness;
  /** Forwarded requests awaiting a reply, by target broker. */
  private final Map<Integer, Set<Promise<?>>> inFlight = new ConcurrentHashMap<>();

  public ForwardingBrokerService(Vertx vertx, int brokerId, BrokerService local, ZkMetadataStore metadata,
      Supplier<Future<ClusterDescription>> cluster) {
    this(vertx, brokerId, local, metadata, cluster, Optional::empty);
  }

  /** @param readiness why this broker should not take traffic now, or empty ({@link #notReadyReason}) */
  public ForwardingBrokerService(Vertx vertx, int brokerId, BrokerService local, ZkMetadataStore metadata,
      Supplier<Future<ClusterDescription>> cluster, Supplier<Optional<String>> readiness) {
    this.readiness = readiness;
    this.vertx = vertx;
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
  public Future<List<String>> listTopics() {
    return local.listTopics();
  }

  @Override
  public Future<TopicMetadata> createTopic(NewTopic request) {
    return local.createTopic(request);
  }

  @Override
  public Future<TopicMetadata> createPartitions(String topic, int count) {
    return local.createPartitions(topic, count);
  }

  @Override
  public Future<TopicMetadata> describeTopic(String topic) {
    return local.describeTopic(topic);
  }

  @Override
  public Future<TopicMetadata> metadataForProduce(String topic) {
    return local.metadataForProduce(topic);
  }

  @Override
  public Future<Void> deleteTopic(String topic) {
    return local.deleteTopic(topic);
  }

  @Override
  public Future<ProducerIdManager.ProducerIdentity> initProducerId() {
    return local.initProducerId();
  }

  @Override
  public Future<ClusterDescription> describeCluster() {
    return Contexts.onCaller(cluster.get());
  }

  @Override
  public Optional<String> notReadyReason() {
    return readiness.get();
  }

  @Override
  public Future<ProduceResult> produce(TopicPartition tp, ByteBuffer batches, Acks acks) {
    int leader = remoteLeader(tp);
    if (leader < 0) {
      return local.produce(tp, batches, acks);
    }
    Buffer body = Buffer.buffer(batches.remaining());
    byte[] bytes = new byte[batches.remaining()];
    batches.duplicate().get(bytes);
    body.appendBytes(bytes);
    DeliveryOptions options = options("produce", tp, FORWARD_TIMEOUT_MS).addHeader("acks", acks.name());
    return forward(leader, body, options).map(reply -> {
      JsonArray offsets = new JsonObject(reply.body().toString()).getJsonArray("offsets");
      return new ProduceResult(offsets.stream().map(o -> ((Number) o).longValue()).toList(), -1L);
    });
  }

  @Override
  public Future<FetchResult> fetch(FetchRequest request) {
    int leader = remoteLeader(request.tp());
    if (leader < 0) {
      return local.fetch(request);
    }
    DeliveryOptions options = options("fetch", request.tp(), Math.max(0, request.maxWaitMs()) + FORWARD_TIMEOUT_MS)
        .addHeader("offset", Long.toString(request.offset())).addHeader("max_bytes", Integer.toString(request.maxBytes()))
        .addHeader("min_bytes", Integer.toString(request.minBytes()))
        .addHeader("max_wait_ms", Long.toString(request.maxWaitMs()));
    return forward(leader, Buffer.buffer(), options).map(reply -> new FetchResult(request.tp(),
        Long.parseLong(reply.headers().get("high_watermark")), Long.parseLong(reply.headers().get("log_start_offset")),
        null, reply.body()));
  }

  @Override
  public Future<OffsetRange> offsets(TopicPartition tp) {
    int leader = remoteLeader(tp);
    if (leader < 0) {
      return local.offsets(tp);
    }
    return forward(leader, Buffer.buffer(), options("offsets", tp, FORWARD_TIMEOUT_MS)).map(reply -> {
      JsonObject json = new JsonObject(reply.body().toString());
      return new OffsetRange(json.getLong("beginning_offset"), json.getLong("end_offset"));
    });
  }

  @Override
  public Future<OptionalLong> offsetForTimestamp(TopicPartition tp, long timestampMs) {
    int leader = remoteLeader(tp);
    if (leader < 0) {
      return local.offsetForTimestamp(tp, timestampMs);
    }
    DeliveryOptions options = options("timestamp", tp, FORWARD_TIMEOUT_MS)
        .addHeader("timestamp", Long.toString(timestampMs));
    return forward(leader, Buffer.buffer(), options).map(reply -> {
      JsonObject json = new JsonObject(reply.body().toString());
      return json.containsKey("offset") ? OptionalLong.of(json.getLong("offset")) : OptionalLong.empty();
    });
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

  private static DeliveryOptions options(String op, TopicPartition tp, long timeoutMs) {
    return new DeliveryOptions().setSendTimeout(timeoutMs).addHeader(OP, op).addHeader("topic", tp.topic())
        .addHeader("partition", Integer.toString(tp.partition()));
  }

  private Future<Message<Buffer>> forward(int leader, Buffer body, DeliveryOptions options) {
    Promise<Message<Buffer>> p = Promise.promise();
    Set<Promise<?>> pending = inFlight.computeIfAbsent(leader, id -> ConcurrentHashMap.newKeySet());
    pending.add(p);
    vertx.eventBus().<Buffer>request(ClusterAddresses.forward(leader), body, options)
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
