package io.sluice.broker.policy;

import io.sluice.api.ProducerIdentity;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.api.TransactionDescription;
import io.sluice.api.TransactionFilter;
import io.sluice.api.TransactionService;
import io.sluice.api.TxnOffsets;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.ResourceType;
import io.sluice.broker.acl.Authorizer;
import io.vertx.core.Future;
import java.util.List;
import java.util.function.Supplier;

/**
 * The {@link TransactionService} listeners get when the authorizer is on, with Kafka's mapping: initializing,
 * adding partitions and ending need TransactionalId Write (adding partitions also Write on each topic, as a produce
 * would), describing needs TransactionalId Describe (and shows only the partitions of topics the caller may
 * Describe); the listing leaves out the ids the caller may not describe
 * (TRANSACTIONAL_ID_AUTHORIZATION_FAILED 53). Thread-safe.
 */
public final class AuthorizingTransactionService implements TransactionService {
  private final TransactionService delegate;
  private final Authorizer authorizer;

  public AuthorizingTransactionService(TransactionService delegate, Authorizer authorizer) {
    this.delegate = delegate;
    this.authorizer = authorizer;
  }

  private <T> Future<T> checked(RequestContext caller, String id, AclOperation op, List<TopicPartition> partitions,
      Supplier<Future<T>> call) {
    try {
      authorizer.check(caller, ResourceType.TRANSACTIONAL_ID, id, op);
      for (String topic : AuthorizingGroupService.topicsOf(partitions)) {
        authorizer.check(caller, ResourceType.TOPIC, topic, AclOperation.WRITE);
      }
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return call.get();
  }

  @Override
  public Future<ProducerIdentity> initTransactions(RequestContext caller, String id, long transactionTimeoutMs) {
    return checked(caller, id, AclOperation.WRITE, List.of(),
        () -> delegate.initTransactions(caller, id, transactionTimeoutMs));
  }

  @Override
  public Future<Void> addPartitions(RequestContext caller, String id, ProducerIdentity producer,
      List<TopicPartition> partitions) {
    return checked(caller, id, AclOperation.WRITE, partitions,
        () -> delegate.addPartitions(caller, id, producer, partitions));
  }

  /** A broker's question (internal callers only): a client learns nothing of others' transactions by it. */
  @Override
  public Future<Void> verifyPartition(RequestContext caller, String id, ProducerIdentity producer,
      TopicPartition tp) {
    return brokersOnly(caller, () -> delegate.verifyPartition(caller, id, producer, tp));
  }

  /** A broker's question, as {@link #verifyPartition}. */
  @Override
  public Future<Void> verifyOffsets(RequestContext caller, String id, ProducerIdentity producer, String groupId) {
    return brokersOnly(caller, () -> delegate.verifyOffsets(caller, id, producer, groupId));
  }

  private static Future<Void> brokersOnly(RequestContext caller, Supplier<Future<Void>> call) {
    if (!caller.isInternal()) {
      return Future.failedFuture(new io.sluice.errors.SluiceException(
          io.sluice.errors.ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Only brokers verify transactions"));
    }
    return call.get();
  }

  @Override
  public Future<ProducerIdentity> endTransaction(RequestContext caller, String id, ProducerIdentity producer,
      boolean commit, boolean bumpEpoch) {
    return checked(caller, id, AclOperation.WRITE, List.of(),
        () -> delegate.endTransaction(caller, id, producer, commit, bumpEpoch));
  }

  @Override
  public Future<List<TransactionDescription>> list(RequestContext caller, TransactionFilter filter) {
    return delegate.list(caller, filter).map(all -> all.stream().filter(t -> authorizer.allowed(caller,
        ResourceType.TRANSACTIONAL_ID, t.transactionalId(), AclOperation.DESCRIBE)).toList());
  }

  /**
   * TransactionalId Describe; the partitions shown are only those of topics the caller may Describe, as Kafka's
   * DescribeTransactions filters them (before, every topic the transaction wrote to was named).
   */
  @Override
  public Future<TransactionDescription> describe(RequestContext caller, String id) {
    return checked(caller, id, AclOperation.DESCRIBE, List.of(), () -> delegate.describe(caller, id).map(t ->
        new TransactionDescription(t.transactionalId(), t.coordinatorId(), t.state(), t.producerId(),
            t.producerEpoch(), t.transactionTimeoutMs(), t.transactionStartTimeMs(), t.partitions().stream()
            .filter(tp -> AuthorizingGroupService.describes(authorizer, caller, tp.topic())).toList())));
  }

  /** Kafka's AddOffsetsToTxn: TransactionalId Write and Group Read. */
  @Override
  public Future<Void> addOffsetsToTxn(RequestContext caller, String id, ProducerIdentity producer, String groupId) {
    return checked(caller, id, AclOperation.WRITE, List.of(), () -> AuthorizingGroupService.authorized(authorizer,
        caller, groupId, AclOperation.READ, List.of(), () -> delegate.addOffsetsToTxn(caller, id, producer, groupId)));
  }

  /** Kafka's TxnOffsetCommit: TransactionalId Write, Group Read and Read on each topic (as a commit). */
  @Override
  public Future<Void> txnOffsetCommit(RequestContext caller, String id, ProducerIdentity producer,
      TxnOffsets offsets) {
    return checked(caller, id, AclOperation.WRITE, List.of(), () -> AuthorizingGroupService.authorized(authorizer,
        caller, offsets.groupId(), AclOperation.READ, AuthorizingGroupService.topicsOf(offsets.offsets().keySet()),
        () -> delegate.txnOffsetCommit(caller, id, producer, offsets)));
  }

  /** A broker-to-broker call (a transaction coordinator's, as its markers): refused to any caller not a broker. */
  @Override
  public Future<Void> completeTxnOffsets(RequestContext caller, String groupId, ProducerIdentity producer,
      boolean commit) {
    if (!caller.principal().isBroker()) {
      return Future.failedFuture(new io.sluice.errors.SluiceException(io.sluice.errors.ErrorCode
          .CLUSTER_AUTHORIZATION_FAILED, "Only a broker completes a transaction's offsets; " + caller.principal()
          + " is not one"));
    }
    return delegate.completeTxnOffsets(caller, groupId, producer, commit);
  }
}
