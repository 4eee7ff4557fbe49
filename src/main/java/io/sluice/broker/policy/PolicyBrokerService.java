package io.sluice.broker.policy;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.DelegatingBrokerService;
import io.sluice.api.ConfigAlteration;
import io.sluice.api.NewTopic;
import io.sluice.api.TopicConfigEntry;
import io.sluice.api.ProduceResult;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicMetadata;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Supplier;

/**
 * The {@link BrokerService} every listener is given: checks the caller against {@link CallerPolicy} before the call
 * goes on to {@code delegate} (the forwarding service), so a rule holds on every path into the broker, whichever
 * front end or frame type carried it. A refused call fails its future; it never throws. Thread-safe.
 */
public final class PolicyBrokerService extends DelegatingBrokerService {

  public PolicyBrokerService(BrokerService delegate) {
    super(delegate);
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
  public Future<TopicMetadata> createTopic(RequestContext caller, NewTopic request) {
    return checked(() -> CallerPolicy.checkAlter(caller, request.name(), "created"),
        () -> delegate.createTopic(caller, request));
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
  public Future<List<TopicConfigEntry>> alterTopicConfigs(RequestContext caller, String topic,
      List<ConfigAlteration> changes, boolean validateOnly) {
    return checked(() -> CallerPolicy.checkAlter(caller, topic, "reconfigured"),
        () -> delegate.alterTopicConfigs(caller, topic, changes, validateOnly));
  }

  @Override
  public Future<Void> deleteTopic(RequestContext caller, String topic) {
    return checked(() -> CallerPolicy.checkAlter(caller, topic, "deleted"), () -> delegate.deleteTopic(caller, topic));
  }

  @Override
  public Future<Long> deleteRecords(RequestContext caller, TopicPartition tp, long offset) {
    return checked(() -> CallerPolicy.checkAlter(caller, tp.topic(), "deleted from"),
        () -> delegate.deleteRecords(caller, tp, offset));
  }

  @Override
  public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks) {
    return checked(() -> CallerPolicy.checkProduce(caller, tp.topic()),
        () -> delegate.produce(caller, tp, batches, acks));
  }

}
