package io.sluice.consumer;

import io.sluice.api.ProducerIdentity;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.api.TransactionDescription;
import io.sluice.api.TransactionFilter;
import io.sluice.api.TransactionService;
import io.sluice.api.TxnOffsets;
import io.sluice.group.LocalTransactionService;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * The {@link TransactionService} listeners get: each call runs at its transactional id's coordinator, the leader of
 * the id's {@code __consumer_offsets} partition ({@link CoordinatorRouter}, as for groups). An end waits for its
 * markers, up to 30 s: it gets that much longer. Futures complete on the caller's context. Thread-safe.
 */
public final class RoutingTransactionService implements TransactionService {
  private static final long END_TIMEOUT_MS = 30_000 + CoordinatorRouter.FORWARD_TIMEOUT_MS;

  private final CoordinatorRouter router;
  private final CoordinatorRouter.Target<TransactionService> target;

  RoutingTransactionService(CoordinatorRouter router, LocalTransactionService local) {
    this.router = router;
    this.target = new CoordinatorRouter.Target<>(TransactionService.class, local,
        ConsumerForwardServer::transactionsAddress);
  }

  @Override
  public Future<ProducerIdentity> initTransactions(RequestContext caller, String id, long transactionTimeoutMs) {
    // An init may first abort the previous producer's transaction: as long as an end.
    return router.route(target, id, END_TIMEOUT_MS, s -> s.initTransactions(caller, id, transactionTimeoutMs));
  }

  @Override
  public Future<Void> addPartitions(RequestContext caller, String id, ProducerIdentity producer,
      List<TopicPartition> partitions) {
    return route(id, s -> s.addPartitions(caller, id, producer, partitions));
  }

  @Override
  public Future<Void> verifyPartition(RequestContext caller, String id, ProducerIdentity producer,
      TopicPartition tp) {
    return route(id, s -> s.verifyPartition(caller, id, producer, tp));
  }

  @Override
  public Future<Void> verifyOffsets(RequestContext caller, String id, ProducerIdentity producer, String groupId) {
    return route(id, s -> s.verifyOffsets(caller, id, producer, groupId));
  }

  @Override
  public Future<ProducerIdentity> endTransaction(RequestContext caller, String id, ProducerIdentity producer,
      boolean commit, boolean bumpEpoch) {
    return router.route(target, id, END_TIMEOUT_MS, s -> s.endTransaction(caller, id, producer, commit, bumpEpoch));
  }

  /** Every coordinator's ids, merged and sorted. */
  @Override
  public Future<List<TransactionDescription>> list(RequestContext caller, TransactionFilter filter) {
    return router.everyCoordinator(target, s -> s.list(caller, filter)).map(parts -> {
      List<TransactionDescription> all = new ArrayList<>();
      parts.forEach(all::addAll);
      all.sort(Comparator.comparing(TransactionDescription::transactionalId));
      return all;
    });
  }

  @Override
  public Future<TransactionDescription> describe(RequestContext caller, String id) {
    return route(id, s -> s.describe(caller, id));
  }

  @Override
  public Future<Void> addOffsetsToTxn(RequestContext caller, String id, ProducerIdentity producer, String groupId) {
    return route(id, s -> s.addOffsetsToTxn(caller, id, producer, groupId));
  }

  /** At the group's coordinator, which may not be the transactional id's. */
  @Override
  public Future<Void> txnOffsetCommit(RequestContext caller, String id, ProducerIdentity producer,
      TxnOffsets offsets) {
    return route(offsets.groupId(), s -> s.txnOffsetCommit(caller, id, producer, offsets));
  }

  @Override
  public Future<Void> completeTxnOffsets(RequestContext caller, String groupId, ProducerIdentity producer,
      boolean commit) {
    return route(groupId, s -> s.completeTxnOffsets(caller, groupId, producer, commit));
  }

  private <T> Future<T> route(String id, Function<TransactionService, Future<T>> call) {
    return router.route(target, id, CoordinatorRouter.FORWARD_TIMEOUT_MS, call);
  }
}
