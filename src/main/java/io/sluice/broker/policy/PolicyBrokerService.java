package io.sluice.broker.policy;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.ClusterDescription;
import io.sluice.api.ConfigAlteration;
import io.sluice.api.DelegatingBrokerService;
import io.sluice.api.ElectionResult;
import io.sluice.api.ElectionType;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.NewTopic;
import io.sluice.api.OffsetRange;
import io.sluice.api.PartitionReassignmentInfo;
import io.sluice.api.ProduceResult;
import io.sluice.api.ProducerIdentity;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicConfigEntry;
import io.sluice.api.TopicMetadata;
import io.sluice.api.TopicPartition;
import io.sluice.api.acl.AclBinding;
import io.sluice.api.acl.AclBindingFilter;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.ResourceType;
import io.sluice.broker.acl.Acls;
import io.sluice.broker.acl.Authorizer;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.RecordBatches;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * The {@link BrokerService} every listener is given: checks the caller against {@link CallerPolicy} and, when the
 * authorizer is on, the cluster's ACLs with Kafka's mapping (produce Topic Write, fetch Topic Read, listings filtered
 * by Topic Describe, ...) before the call goes on to {@code delegate} (the forwarding service), so a rule holds on
 * every path into the broker, whichever front end or frame type carried it, and is decided by the broker the client
 * reached (a forwarded call runs as the broker). A refused call fails its future; it never throws. With the authorizer
 * off the ACL checks cost one null test. Thread-safe.
 */
public final class PolicyBrokerService extends DelegatingBrokerService {
  private static final String CLUSTER = ResourceType.CLUSTER_NAME;
  /** Null when the authorizer is off. */
  private final Acls acls;
  private final Authorizer authorizer;

  public PolicyBrokerService(BrokerService delegate) {
    this(delegate, null);
  }

  /** @param acls the ACLs to apply, or null with the authorizer off */
  public PolicyBrokerService(BrokerService delegate, Acls acls) {
    super(delegate);
    this.acls = acls;
    this.authorizer = acls == null ? null : acls.authorizer();
  }

  private static <T> Future<T> checked(Runnable check, Supplier<Future<T>> call) {
    try {
      check.run();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return call.get();
  }

  private void topic(RequestContext caller, String topic, AclOperation op) {
    if (authorizer != null) {
      authorizer.check(caller, ResourceType.TOPIC, topic, op);
    }
  }

  private void cluster(RequestContext caller, AclOperation op) {
    if (authorizer != null) {
      authorizer.check(caller, ResourceType.CLUSTER, CLUSTER, op);
    }
  }

  /** Kafka's CreateTopics: Create on the cluster or on the topic. */
  private boolean mayCreate(RequestContext caller, String topic) {
    return authorizer == null || authorizer.allowed(caller, ResourceType.CLUSTER, CLUSTER, AclOperation.CREATE)
        || authorizer.allowed(caller, ResourceType.TOPIC, topic, AclOperation.CREATE);
  }

  /** Kafka's listing: only the topics the caller may describe, the others are not refused but left out. */
  @Override
  public Future<List<String>> listTopics(RequestContext caller) {
    Future<List<String>> all = delegate.listTopics(caller);
    return authorizer == null ? all : all.map(names -> names.stream()
        .filter(t -> authorizer.allowed(caller, ResourceType.TOPIC, t, AclOperation.DESCRIBE)).toList());
  }

  @Override
  public Future<TopicMetadata> createTopic(RequestContext caller, NewTopic request) {
    return checked(() -> {
      CallerPolicy.checkAlter(caller, request.name(), "created");
      if (!mayCreate(caller, request.name())) {
        throw Authorizer.refusal(caller, ResourceType.TOPIC, request.name(), AclOperation.CREATE);
      }
    }, () -> delegate.createTopic(caller, request));
  }

  /** Checked before the topic is looked up, so a refusal does not tell whether it exists. */
  @Override
  public Future<TopicMetadata> describeTopic(RequestContext caller, String topic) {
    return checked(() -> topic(caller, topic, AclOperation.DESCRIBE), () -> delegate.describeTopic(caller, topic));
  }

  /**
   * Refused like a produce (Write): it is asked only before producing, and would auto-create the topic, which needs
   * Create (without it a missing topic is refused with Create named, not created).
   */
  @Override
  public Future<TopicMetadata> metadataForProduce(RequestContext caller, String topic) {
    return checked(() -> {
      CallerPolicy.checkProduce(caller, topic);
      topic(caller, topic, AclOperation.WRITE);
    }, () -> mayCreate(caller, topic) ? delegate.metadataForProduce(caller, topic)
        : delegate.describeTopic(caller, topic).recover(t -> Future.failedFuture(isUnknownTopic(t)
            ? Authorizer.refusal(caller, ResourceType.TOPIC, topic, AclOperation.CREATE) : t)));
  }

  private static boolean isUnknownTopic(Throwable t) {
    return t instanceof SluiceException e && e.errorCode() == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  }

  @Override
  public Future<TopicMetadata> createPartitions(RequestContext caller, String topic, int count) {
    return checked(() -> {
      CallerPolicy.checkAlter(caller, topic, "grown");
      topic(caller, topic, AclOperation.ALTER);
    }, () -> delegate.createPartitions(caller, topic, count));
  }

  @Override
  public Future<List<TopicConfigEntry>> describeTopicConfigs(RequestContext caller, String topic) {
    return checked(() -> topic(caller, topic, AclOperation.DESCRIBE_CONFIGS),
        () -> delegate.describeTopicConfigs(caller, topic));
  }

  @Override
  public Future<List<TopicConfigEntry>> alterTopicConfigs(RequestContext caller, String topic,
      List<ConfigAlteration> changes, boolean validateOnly) {
    return checked(() -> {
      CallerPolicy.checkAlter(caller, topic, "reconfigured");
      topic(caller, topic, AclOperation.ALTER_CONFIGS);
    }, () -> delegate.alterTopicConfigs(caller, topic, changes, validateOnly));
  }

  @Override
  public Future<Void> deleteTopic(RequestContext caller, String topic) {
    return checked(() -> {
      CallerPolicy.checkAlter(caller, topic, "deleted");
      topic(caller, topic, AclOperation.DELETE);
    }, () -> delegate.deleteTopic(caller, topic));
  }

  @Override
  public Future<Long> deleteRecords(RequestContext caller, TopicPartition tp, long offset) {
    return checked(() -> {
      CallerPolicy.checkAlter(caller, tp.topic(), "deleted from");
      topic(caller, tp.topic(), AclOperation.DELETE);
    }, () -> delegate.deleteRecords(caller, tp, offset));
  }

  @Override
  public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks) {
    return produce(caller, tp, batches, acks, null);
  }

  /** Kafka's Produce: Topic Write, and TransactionalId Write on the id a request of transactional batches names. */
  @Override
  public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks,
      String transactionalId) {
    return checked(() -> {
      CallerPolicy.checkProduce(caller, tp.topic());
      transactionalWrite(caller, batches, transactionalId);
      topic(caller, tp.topic(), AclOperation.WRITE);
    }, () -> delegate.produce(caller, tp, batches, acks, transactionalId));
  }

  /** A coordinator's write of its internal partition: refused to any caller that is not a broker. */
  @Override
  public Future<ProduceResult> produceAtLeaderEpoch(RequestContext caller, TopicPartition tp, ByteBuffer batches,
      Acks acks, int leaderEpoch) {
    return checked(() -> {
      if (!caller.isInternal()) {
        throw new SluiceException(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Only a broker's coordinator writes at a"
            + " leader epoch; " + caller.principal() + " is not one");
      }
    }, () -> delegate.produceAtLeaderEpoch(caller, tp, batches, acks, leaderEpoch));
  }

  /**
   * As Kafka's produce handler: transactional batches need Write on the transactional id the request names, and are
   * refused (TRANSACTIONAL_ID_AUTHORIZATION_FAILED) when it names none, whoever the caller; an idempotent producer's
   * batches need no more than Topic Write (since Kafka 3.0 IdempotentWrite is asked only at InitProducerId). The
   * batch headers are read only with the authorizer on.
   */
  private void transactionalWrite(RequestContext caller, ByteBuffer batches, String transactionalId) {
    if (authorizer == null || caller.isInternal() || !RecordBatches.anyTransactional(batches)) {
      return;
    }
    if (transactionalId == null) {
      throw new SluiceException(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, "Transactional batches to a"
          + " partition must name their transactional id (the transactional_id query parameter): " + caller.principal()
          + " named none");
    }
    authorizer.check(caller, ResourceType.TRANSACTIONAL_ID, transactionalId, AclOperation.WRITE);
  }

  @Override
  public Future<FetchResult> fetch(RequestContext caller, FetchRequest request) {
    if (authorizer == null) {
      return delegate.fetch(caller, request);
    }
    return checked(() -> topic(caller, request.tp().topic(), AclOperation.READ), () -> delegate.fetch(caller, request));
  }

  @Override
  public Future<OffsetRange> offsets(RequestContext caller, TopicPartition tp) {
    return checked(() -> topic(caller, tp.topic(), AclOperation.DESCRIBE), () -> delegate.offsets(caller, tp));
  }

  @Override
  public Future<OptionalLong> offsetForTimestamp(RequestContext caller, TopicPartition tp, long timestampMs) {
    return checked(() -> topic(caller, tp.topic(), AclOperation.DESCRIBE),
        () -> delegate.offsetForTimestamp(caller, tp, timestampMs));
  }

  /** Kafka's InitProducerId since 3.0: IdempotentWrite on the cluster, or Write on any topic. */
  @Override
  public Future<ProducerIdentity> initProducerId(RequestContext caller) {
    return checked(() -> {
      if (authorizer != null && !authorizer.allowed(caller, ResourceType.CLUSTER, CLUSTER, AclOperation.IDEMPOTENT_WRITE)
          && !authorizer.allowedOnAny(caller, ResourceType.TOPIC, AclOperation.WRITE)) {
        throw Authorizer.refusal(caller, ResourceType.CLUSTER, CLUSTER, AclOperation.IDEMPOTENT_WRITE);
      }
    }, () -> delegate.initProducerId(caller));
  }

  /** Kafka's DescribeProducers needs Read on the topic. */
  @Override
  public Future<List<io.sluice.api.ProducerState>> describeProducers(RequestContext caller, TopicPartition tp) {
    return checked(() -> topic(caller, tp.topic(), AclOperation.READ), () -> delegate.describeProducers(caller, tp));
  }

  /**
   * Kafka's WriteTxnMarkers from an Admin (KIP-664): a broker, or with the authorizer on Alter on the cluster
   * (KIP-1037) or ClusterAction.
   */
  @Override
  public Future<Void> abortTransaction(RequestContext caller, TopicPartition tp, ProducerIdentity producer,
      int coordinatorEpoch) {
    return checked(() -> {
      if (authorizer != null && !caller.principal().isBroker()
          && !authorizer.allowed(caller, ResourceType.CLUSTER, CLUSTER, AclOperation.CLUSTER_ACTION)) {
        cluster(caller, AclOperation.ALTER);
      }
    }, () -> delegate.abortTransaction(caller, tp, producer, coordinatorEpoch));
  }

  /** A broker-to-broker call (a transaction coordinator's): refused to any caller that is not a broker. */
  @Override
  public Future<java.util.Map<TopicPartition, ErrorCode>> writeTxnMarkers(RequestContext caller,
      io.sluice.api.TxnMarker marker) {
    return checked(() -> {
      if (!caller.principal().isBroker()) {
        throw new SluiceException(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Only a broker writes transaction"
            + " markers; " + caller.principal() + " is not one");
      }
    }, () -> delegate.writeTxnMarkers(caller, marker));
  }

  /**
   * Any authenticated caller, as Kafka answers a broker's DescribeCluster and Metadata's broker list (only the
   * controller listener's DescribeCluster needs Cluster Alter): a client cannot find the brokers it may produce to or
   * read from without it. Before, the Java client's bootstrap needed Cluster Describe, which Kafka never asks of a
   * producer or consumer.
   */
  @Override
  public Future<ClusterDescription> describeCluster(RequestContext caller) {
    return delegate.describeCluster(caller);
  }

  /** Kafka's AlterPartitionReassignments needs Cluster Alter. */
  @Override
  public Future<PartitionReassignmentInfo> alterPartitionReassignment(RequestContext caller, TopicPartition tp,
      List<Integer> target) {
    return checked(() -> cluster(caller, AclOperation.ALTER),
        () -> delegate.alterPartitionReassignment(caller, tp, target));
  }

  /** Kafka's ListPartitionReassignments needs Cluster Describe. */
  @Override
  public Future<List<PartitionReassignmentInfo>> listPartitionReassignments(RequestContext caller) {
    return checked(() -> cluster(caller, AclOperation.DESCRIBE), () -> delegate.listPartitionReassignments(caller));
  }

  /** Kafka's ElectLeaders needs Cluster Alter. */
  @Override
  public Future<List<ElectionResult>> electLeaders(RequestContext caller, ElectionType type,
      List<TopicPartition> partitions) {
    return checked(() -> cluster(caller, AclOperation.ALTER), () -> delegate.electLeaders(caller, type, partitions));
  }

  /** Kafka's UnregisterBroker: Alter on the cluster. */
  @Override
  public Future<Void> unregisterBroker(RequestContext caller, int brokerId) {
    return checked(() -> cluster(caller, AclOperation.ALTER), () -> delegate.unregisterBroker(caller, brokerId));
  }

  @Override
  public Future<List<AclBinding>> describeAcls(RequestContext caller, AclBindingFilter filter) {
    return acls == null ? delegate.describeAcls(caller, filter) : acls.describe(caller, filter);
  }

  @Override
  public Future<Void> createAcls(RequestContext caller, List<AclBinding> bindings) {
    return acls == null ? delegate.createAcls(caller, bindings) : acls.create(caller, bindings);
  }

  @Override
  public Future<List<AclBinding>> deleteAcls(RequestContext caller, AclBindingFilter filter) {
    return acls == null ? delegate.deleteAcls(caller, filter) : acls.delete(caller, filter);
  }

  @Override
  public Future<Void> authorize(RequestContext caller, ResourceType type, String name, AclOperation op) {
    return authorizer == null ? Future.succeededFuture()
        : checked(() -> authorizer.check(caller, type, name, op), Future::succeededFuture);
  }
}
