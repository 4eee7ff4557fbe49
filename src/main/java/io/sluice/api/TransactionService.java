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

  /** Kafka's InitProducerId with a transactional id: the id's producer id and a new epoch. */
  Future<ProducerIdentity> initTransactions(RequestContext caller, String transactionalId, long transactionTimeoutMs);

  /** Kafka's AddPartitionsToTxn: completes once the partitions are durably part of the ongoing transaction. */
  Future<Void> addPartitions(RequestContext caller, String transactionalId, ProducerIdentity producer,
      List<TopicPartition> partitions);

  /** Kafka's EndTxn: completes once the COMMIT (or ABORT) marker is written to every partition of the transaction. */
  Future<Void> endTransaction(RequestContext caller, String transactionalId, ProducerIdentity producer, boolean commit);

  /** Kafka's ListTransactions: every transactional id of every coordinator. */
  Future<List<TransactionDescription>> list(RequestContext caller);

  /** Kafka's DescribeTransactions; TRANSACTIONAL_ID_NOT_FOUND if the id is unknown. */
  Future<TransactionDescription> describe(RequestContext caller, String transactionalId);
}
