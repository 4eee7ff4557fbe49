package io.sluice.api;

import io.vertx.core.Future;
import java.util.List;

/**
 * Kafka's transaction coordinator (KIP-98): per transactional id a producer id and epoch, the partitions its
 * ongoing transaction wrote to, and the transaction's end. The coordinator of id t is the leader of
 * {@code __consumer_offsets} partition {@code toPositive(murmur2(utf8(t))) % n}; the implementation listeners get
 * routes every call there, from any broker.
 *
 * <p>Fencing: {@link #initTransactions} bumps the epoch, so the previous producer of the id fails PRODUCER_FENCED from
 * then on (its ongoing transaction is aborted first). Errors: INVALID_PRODUCER_ID_MAPPING (the producer id is not the
 * id's), INVALID_TXN_STATE, CONCURRENT_TRANSACTIONS (an end being written; retry), TRANSACTIONAL_ID_NOT_FOUND,
 * INVALID_TRANSACTION_TIMEOUT, NOT_COORDINATOR (retriable). Futures complete on the caller's context.
 */
public interface TransactionService {

  /**
   * A verification's failure as its asker answers it (a produce, a TxnOffsetCommit): the coordinator's
   * PRODUCER_FENCED is INVALID_PRODUCER_EPOCH, as Kafka's AddPartitionsToTxnManager answers it (a late write of an
   * ended transaction whose end bumped the epoch, KIP-890 part 2); other errors pass as they are.
   */
  static <T> Future<T> asVerificationError(Throwable t) {
    if (t instanceof io.sluice.errors.SluiceException e && e.errorCode() == io.sluice.errors.ErrorCode.PRODUCER_FENCED) {
      return Future.failedFuture(new io.sluice.errors.SluiceException(io.sluice.errors.ErrorCode.INVALID_PRODUCER_EPOCH,
          e.getMessage(), e));
    }
    return Future.failedFuture(t);
  }

  /** Kafka's InitProducerId with a transactional id: the id's producer id and a new epoch. */
  Future<ProducerIdentity> initTransactions(RequestContext caller, String transactionalId, long transactionTimeoutMs);

  /** Kafka's AddPartitionsToTxn: completes once the partitions are durably part of the ongoing transaction. */
  Future<Void> addPartitions(RequestContext caller, String transactionalId, ProducerIdentity producer,
      List<TopicPartition> partitions);

  /**
   * Kafka's AddPartitionsToTxn with verifyOnly (KIP-890 part 1): a partition leader asks, before it appends the
   * first transactional batch of {@code producer} to {@code tp}, whether {@code tp} is part of the id's ongoing
   * transaction. Fails CONCURRENT_TRANSACTIONS (retriable) while the id's end is being written, INVALID_TXN_STATE if
   * not (a late or stray batch), or as {@link #addPartitions} for a wrong or fenced producer. Changes nothing. For brokers: clients are refused CLUSTER_AUTHORIZATION_FAILED.
   */
  Future<Void> verifyPartition(RequestContext caller, String transactionalId, ProducerIdentity producer,
      TopicPartition tp);

  /**
   * Kafka's TxnOffsetCommit verification (KIP-890 part 1): a group coordinator asks, before it writes the offsets
   * {@code producer} sends as pending, whether group {@code groupId} is part of the id's ongoing transaction
   * (AddOffsetsToTxn). Fails as {@link #verifyPartition}. Changes nothing. For brokers: clients are refused
   * CLUSTER_AUTHORIZATION_FAILED.
   */
  Future<Void> verifyOffsets(RequestContext caller, String transactionalId, ProducerIdentity producer,
      String groupId);

  /**
   * Kafka's EndTxn: completes once the COMMIT (or ABORT) marker is written to every partition of the transaction,
   * with the producer the next transaction is written with. With {@code bumpEpoch} (KIP-890 part 2, Kafka's
   * transaction version 2) the end bumps the epoch (a new producer id at epoch 0 once it ran out), and the markers
   * carry the new one: a late write of the ended transaction is refused INVALID_PRODUCER_EPOCH. A retry with the
   * old epoch gets the same answer. Without it, the answer is {@code producer}.
   */
  Future<ProducerIdentity> endTransaction(RequestContext caller, String transactionalId, ProducerIdentity producer,
      boolean commit, boolean bumpEpoch);

  /** Kafka's ListTransactions: every transactional id of every coordinator that passes {@code filter}. */
  Future<List<TransactionDescription>> list(RequestContext caller, TransactionFilter filter);

  /** Every transactional id of every coordinator. */
  default Future<List<TransactionDescription>> list(RequestContext caller) {
    return list(caller, TransactionFilter.ALL);
  }

  /** Kafka's DescribeTransactions; TRANSACTIONAL_ID_NOT_FOUND if the id is unknown. */
  Future<TransactionDescription> describe(RequestContext caller, String transactionalId);

  /**
   * Kafka's AddOffsetsToTxn: makes group {@code groupId} part of the ongoing transaction (starting it if none is),
   * so its end completes the group's pending offsets. Routed by the transactional id.
   */
  Future<Void> addOffsetsToTxn(RequestContext caller, String transactionalId, ProducerIdentity producer,
      String groupId);

  /**
   * Kafka's TxnOffsetCommit: the group's coordinator writes {@code offsets} as pending offsets of the producer,
   * invisible to offset fetches until the transaction commits, dropped if it aborts. Routed by the group id.
   * Errors as a commit's (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, OFFSET_METADATA_TOO_LARGE ...); with
   * {@code transaction.partition.verification.enable}, as {@link #verifyOffsets} says (a fenced producer's
   * INVALID_PRODUCER_EPOCH, as Kafka answers it), so that no offsets are left pending that no end will complete.
   */
  Future<Void> txnOffsetCommit(RequestContext caller, String transactionalId, ProducerIdentity producer,
      TxnOffsets offsets);

  /** Kafka's sendOffsetsToTransaction: {@link #addOffsetsToTxn}, then {@link #txnOffsetCommit}. */
  default Future<Void> sendOffsetsToTransaction(RequestContext caller, String transactionalId,
      ProducerIdentity producer, TxnOffsets offsets) {
    return addOffsetsToTxn(caller, transactionalId, producer, offsets.groupId())
        .compose(v -> txnOffsetCommit(caller, transactionalId, producer, offsets));
  }

  /**
   * The transaction coordinator's call once a transaction's markers are written: the group's pending offsets of
   * the producer's id and epoch become its commits ({@code commit}) or are dropped, and any of an older epoch (a
   * fenced producer's) are dropped. Idempotent; routed by the group id.
   */
  Future<Void> completeTxnOffsets(RequestContext caller, String groupId, ProducerIdentity producer, boolean commit);
}
