package io.sluice.group;

import io.sluice.api.ProducerIdentity;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.api.TransactionalIds;
import io.sluice.api.TransactionDescription;
import io.sluice.api.TransactionFilter;
import io.sluice.api.TransactionService;
import io.sluice.api.TxnOffsets;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.util.List;

/**
 * {@link TransactionService} for the transactional ids this broker's {@link GroupCoordinator} coordinates (others fail
 * NOT_COORDINATOR; the router in front sends each call to the id's coordinator). Every call runs on the coordinator
 * context through {@link GroupCoordinator#run(String, java.util.function.Supplier)}.
 */
public final class LocalTransactionService implements TransactionService {
  private final GroupCoordinator coordinator;

  public LocalTransactionService(GroupCoordinator coordinator) {
    this.coordinator = coordinator;
  }

  @Override
  public Future<ProducerIdentity> initTransactions(RequestContext caller, String id, long transactionTimeoutMs) {
    return checked(id, () -> coordinator.transactions().init(id, transactionTimeoutMs));
  }

  @Override
  public Future<Void> addPartitions(RequestContext caller, String id, ProducerIdentity producer,
      List<TopicPartition> partitions) {
    return checked(id, () -> coordinator.transactions().addPartitions(id, producer, partitions));
  }

  @Override
  public Future<Void> verifyPartition(RequestContext caller, String id, ProducerIdentity producer,
      TopicPartition tp) {
    return checked(id, () -> coordinator.transactions().verify(id, producer, tp));
  }

  @Override
  public Future<Void> verifyOffsets(RequestContext caller, String id, ProducerIdentity producer, String groupId) {
    return checked(id, () -> coordinator.transactions().verifyOffsets(id, producer, groupId));
  }

  @Override
  public Future<ProducerIdentity> endTransaction(RequestContext caller, String id, ProducerIdentity producer,
      boolean commit, boolean bumpEpoch) {
    return checked(id, () -> coordinator.transactions().end(id, producer, commit, bumpEpoch));
  }

  /** The ids of this coordinator only; the router merges every coordinator's. */
  @Override
  public Future<List<TransactionDescription>> list(RequestContext caller, TransactionFilter filter) {
    return coordinator.runAllLoaded(() -> Future.succeededFuture(coordinator.transactions().list(filter)));
  }

  @Override
  public Future<TransactionDescription> describe(RequestContext caller, String id) {
    return checked(id, () -> Future.succeededFuture(coordinator.transactions().describe(id)));
  }

  @Override
  public Future<Void> addOffsetsToTxn(RequestContext caller, String id, ProducerIdentity producer, String groupId) {
    try {
      requireGroup(groupId);
    } catch (SluiceException e) {
      return Future.failedFuture(e);
    }
    return checked(id, () -> coordinator.transactions().addOffsets(id, producer, groupId));
  }

  /** Runs at the group's coordinator (the transactional id's may be another broker). */
  @Override
  public Future<Void> txnOffsetCommit(RequestContext caller, String id, ProducerIdentity producer,
      TxnOffsets offsets) {
    try {
      requireGroup(offsets.groupId());
    } catch (SluiceException e) {
      return Future.failedFuture(e);
    }
    return LocalGroupService.requireExisting(coordinator.service(), offsets.offsets().keySet()).compose(v ->
        coordinator.run(offsets.groupId(), () -> coordinator.txnCommit(id, producer, offsets)));
  }

  @Override
  public Future<Void> completeTxnOffsets(RequestContext caller, String groupId, ProducerIdentity producer,
      boolean commit) {
    return coordinator.run(groupId, () -> coordinator.completeTxnOffsets(groupId, producer, commit));
  }

  /**
   * Kafka's rule for a group id (INVALID_GROUP_ID, 24): before, any non-empty string was taken, so a transaction
   * could name (and the coordinator persist in its metadata) a group id of a whole request body, or one no URL names.
   */
  private static String requireGroup(String groupId) {
    io.sluice.api.GroupIds.validate(groupId);
    return groupId;
  }

  private <T> Future<T> checked(String id, java.util.function.Supplier<Future<T>> call) {
    try {
      TransactionalIds.validate(id);
    } catch (SluiceException e) {
      return Future.failedFuture(e);
    }
    return coordinator.run(id, call);
  }
}
