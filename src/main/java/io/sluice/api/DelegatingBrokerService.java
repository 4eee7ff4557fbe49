package io.sluice.api;

import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A {@link BrokerService} that passes every call to {@code delegate}: the base of decorators (the caller policy, the
 * metering), which override only the calls they change, so none can forget to pass one on.
 */
public abstract class DelegatingBrokerService implements BrokerService {
  protected final BrokerService delegate;

  protected DelegatingBrokerService(BrokerService delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public Future<List<String>> listTopics(RequestContext caller) {
    return delegate.listTopics(caller);
  }

  @Override
  public Future<TopicMetadata> createTopic(RequestContext caller, NewTopic request) {
    return delegate.createTopic(caller, request);
  }

  @Override
  public Future<TopicMetadata> describeTopic(RequestContext caller, String topic) {
    return delegate.describeTopic(caller, topic);
  }

  @Override
  public Future<TopicMetadata> metadataForProduce(RequestContext caller, String topic) {
    return delegate.metadataForProduce(caller, topic);
  }

  @Override
  public Future<TopicMetadata> createPartitions(RequestContext caller, String topic, int count) {
    return delegate.createPartitions(caller, topic, count);
  }

  @Override
  public Future<List<TopicConfigEntry>> describeTopicConfigs(RequestContext caller, String topic) {
    return delegate.describeTopicConfigs(caller, topic);
  }

  @Override
  public Future<List<TopicConfigEntry>> alterTopicConfigs(RequestContext caller, String topic,
      List<ConfigAlteration> changes, boolean validateOnly) {
    return delegate.alterTopicConfigs(caller, topic, changes, validateOnly);
  }

  @Override
  public Future<Void> deleteTopic(RequestContext caller, String topic) {
    return delegate.deleteTopic(caller, topic);
  }

  @Override
  public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks) {
    return delegate.produce(caller, tp, batches, acks);
  }

  @Override
  public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks,
      String transactionalId) {
    return delegate.produce(caller, tp, batches, acks, transactionalId);
  }

  @Override
  public Future<ProduceResult> produceAtLeaderEpoch(RequestContext caller, TopicPartition tp, ByteBuffer batches,
      Acks acks, int leaderEpoch) {
    return delegate.produceAtLeaderEpoch(caller, tp, batches, acks, leaderEpoch);
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
  public Future<Long> deleteRecords(RequestContext caller, TopicPartition tp, long offset) {
    return delegate.deleteRecords(caller, tp, offset);
  }

  @Override
  public Future<ProducerIdentity> initProducerId(RequestContext caller) {
    return delegate.initProducerId(caller);
  }

  @Override
  public Future<java.util.Map<TopicPartition, io.sluice.errors.ErrorCode>> writeTxnMarkers(RequestContext caller,
      TxnMarker marker) {
    return delegate.writeTxnMarkers(caller, marker);
  }

  @Override
  public Future<java.util.List<ProducerState>> describeProducers(RequestContext caller, TopicPartition tp) {
    return delegate.describeProducers(caller, tp);
  }

  @Override
  public Future<Void> abortTransaction(RequestContext caller, TopicPartition tp, ProducerIdentity producer,
      int coordinatorEpoch) {
    return delegate.abortTransaction(caller, tp, producer, coordinatorEpoch);
  }

  @Override
  public Future<ClusterDescription> describeCluster(RequestContext caller) {
    return delegate.describeCluster(caller);
  }

  @Override
  public Future<Void> unregisterBroker(RequestContext caller, int brokerId) {
    return delegate.unregisterBroker(caller, brokerId);
  }

  @Override
  public Future<PartitionReassignmentInfo> alterPartitionReassignment(RequestContext caller, TopicPartition tp,
      List<Integer> target) {
    return delegate.alterPartitionReassignment(caller, tp, target);
  }

  @Override
  public Future<List<PartitionReassignmentInfo>> listPartitionReassignments(RequestContext caller) {
    return delegate.listPartitionReassignments(caller);
  }

  @Override
  public Future<List<ElectionResult>> electLeaders(RequestContext caller, ElectionType type,
      List<TopicPartition> partitions) {
    return delegate.electLeaders(caller, type, partitions);
  }

  @Override
  public Optional<String> notReadyReason() {
    return delegate.notReadyReason();
  }

  @Override
  public Future<List<io.sluice.api.acl.AclBinding>> describeAcls(RequestContext caller,
      io.sluice.api.acl.AclBindingFilter filter) {
    return delegate.describeAcls(caller, filter);
  }

  @Override
  public Future<Void> createAcls(RequestContext caller, List<io.sluice.api.acl.AclBinding> bindings) {
    return delegate.createAcls(caller, bindings);
  }

  @Override
  public Future<List<io.sluice.api.acl.AclBinding>> deleteAcls(RequestContext caller,
      io.sluice.api.acl.AclBindingFilter filter) {
    return delegate.deleteAcls(caller, filter);
  }

  @Override
  public Future<Void> authorize(RequestContext caller, io.sluice.api.acl.ResourceType type, String name,
      io.sluice.api.acl.AclOperation op) {
    return delegate.authorize(caller, type, name, op);
  }
}
