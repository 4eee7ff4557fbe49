package io.sluice.broker.policy;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.ClusterDescription;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.NewTopic;
import io.sluice.api.OffsetRange;
import io.sluice.api.ProduceResult;
import io.sluice.api.ProducerIdentity;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicMetadata;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * The {@link BrokerService} every listener is given: checks the caller against {@link CallerPolicy} before the call
 * goes on to {@code delegate} (the forwarding service), so a rule holds on every path into the broker, whichever
 * front end or frame type carried it. A refused call fails its future; it never throws. Thread-safe.
 */
public final class PolicyBrokerService implements BrokerService {
  private final BrokerService delegate;

  public PolicyBrokerService(BrokerService delegate) {
    this.delegate = delegate;
  }

  private static <T> Future<T> checked(Runnable check, Supplier<Future<T>> call) {
    try {
      check.run();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return call.get();
  }

  @Override
  public Future<List<String>> listTopics(RequestContext caller) {
    return delegate.listTopics(caller);
  }

  @Override
  public Future<TopicMetadata> createTopic(RequestContext caller, NewTopic request) {
    return checked(() -> CallerPolicy.checkAlter(caller, request.name(), "created"),
        () -> delegate.createTopic(caller, request));
  }

  @Override
  public Future<TopicMetadata> describeTopic(RequestContext caller, String topic) {
    return delegate.describeTopic(caller, topic);
  }

  /** Refused like a produce: it is asked only before producing, and would auto-create the topic. */
  @Override
  public Future<TopicMetadata> metadataForProduce(RequestContext caller, String topic) {
    return checked(() -> CallerPolicy.checkProduce(caller, topic), () -> delegate.metadataForProduce(caller, topic));
  }

  @Override
  public Future<TopicMetadata> createPartitions(RequestContext caller, String topic, int count) {
    return checked(() -> CallerPolicy.checkAlter(caller, topic, "grown"),
        () -> delegate.createPartitions(caller, topic, count));
  }

  @Override
  public Future<Void> deleteTopic(RequestContext caller, String topic) {
    return checked(() -> CallerPolicy.checkAlter(caller, topic, "deleted"), () -> delegate.deleteTopic(caller, topic));
  }

  @Override
  public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks) {
    return checked(() -> CallerPolicy.checkProduce(caller, tp.topic()),
        () -> delegate.produce(caller, tp, batches, acks));
  }

  @Override
  public Future<FetchResult> fetch(RequestContext caller, FetchRequest request) {
    return delegate.fetch(caller, request);
  }

  @Override
  public Future<OffsetRange> offsets(RequestContext caller, TopicPartition tp) {
    return delegate.offsets(caller, tp);
  }

  @Override
  public Future<OptionalLong> offsetForTimestamp(RequestContext caller, TopicPartition tp, long timestampMs) {
    return delegate.offsetForTimestamp(caller, tp, timestampMs);
  }

  @Override
  public Future<ProducerIdentity> initProducerId(RequestContext caller) {
    return delegate.initProducerId(caller);
  }

  @Override
  public Future<ClusterDescription> describeCluster(RequestContext caller) {
    return delegate.describeCluster(caller);
  }

  @Override
  public Optional<String> notReadyReason() {
    return delegate.notReadyReason();
  }
}
