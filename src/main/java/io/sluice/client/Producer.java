package io.sluice.client;

import java.util.Map;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

/**
 * Sends records, batched per partition into Kafka v2 record batches over the broker's binary batch path.
 *
 * <p><b>Order.</b> Records sent to one partition are written in the order their {@code Uni}s were subscribed (or
 * their {@code Multi} emitted them); retries never reorder them: with idempotence (the default) the broker refuses
 * a batch out of sequence and the producer resends in order; without it and with retries on, one batch per
 * partition is in flight at a time.
 *
 * <p><b>Failures.</b> Retriable errors (leader moved, not enough replicas, timeouts, lost connections) are retried
 * with exponential backoff until {@link ProducerOptions#retries()} or {@link ProducerOptions#deliveryTimeoutMs()}
 * run out; other errors fail the records of the batch with an {@link io.sluice.errors.SluiceException}. A batch the
 * broker refuses for its own bytes (a record above the topic's {@code max.message.bytes}: MESSAGE_TOO_LARGE, naming
 * the limit; a corrupt or invalid record) fails alone, and later sends to its partition are written, in order, as
 * with Kafka's producer. With idempotence, a batch that failed for good otherwise (retries or the delivery timeout
 * spent: it may have been written) leaves its partition's sequence broken: later sends to that partition fail too,
 * and the application must create a new producer.
 *
 * <p>Thread-safe; see {@link SluiceClient} for where results are delivered.
 */
public interface Producer {

  /** Sends one record when subscribed; emits where it was written once the broker acknowledged it. */
  Uni<RecordMetadata> send(ProducerRecord record);

  /**
   * Sends one record now and calls {@code callback} once it is acknowledged or failed, as Kafka's
   * {@code send(record, callback)}. Same order and failures as {@link #send(ProducerRecord)}; cheaper per record: an
   * unanswered record holds only the callback, where a subscribed {@code Uni} holds its emitter and subscriber too,
   * which a producer with hundreds of thousands of records unanswered pays for in young collections.
   */
  void send(ProducerRecord record, SendCallback callback);

  /**
   * Sends every record of {@code records} in order, asking upstream for more only while fewer than
   * {@link ProducerOptions#maxPendingRecords()} are unacknowledged. Emits one {@link RecordMetadata} per record,
   * in acknowledgement order (which is send order within a partition), and fails on the first failed record.
   */
  Multi<RecordMetadata> send(Multi<ProducerRecord> records);

  /** Sends every record sent before this call without waiting for linger, and completes once all are answered. */
  Uni<Void> flush();

  /** Flushes, then refuses further sends. Idempotent. */
  Uni<Void> close();

  /**
   * Kafka's {@code initTransactions()} for a producer with {@link ProducerOptions#transactionalId}: gets the id's
   * producer id with a new epoch, which fences any earlier producer of the id (its open transaction is aborted). Call
   * once, before the first transaction; sends wait until it is done. Fails IllegalStateException without a
   * transactional id.
   */
  default Uni<Void> initTransactions() {
    return Uni.createFrom().failure(new IllegalStateException("Not a transactional producer (no transactionalId)"));
  }

  /**
   * Opens a transaction: the records sent until {@link #commitTransaction} or {@link #abortTransaction} belong to it
   * (a send outside a transaction fails IllegalStateException). Each partition is added to the transaction before its
   * first batch.
   */
  default void beginTransaction() {
    throw new IllegalStateException("Not a transactional producer (no transactionalId)");
  }

  /**
   * Flushes, then commits the transaction; completes once its COMMIT marker is in every partition it wrote to. Fails
   * if a record of the transaction failed (abort it then), or with PRODUCER_FENCED (a
   * {@link io.sluice.errors.SluiceException}) if a newer producer of the id took over: this one must be closed.
   */
  default Uni<Void> commitTransaction() {
    return Uni.createFrom().failure(new IllegalStateException("Not a transactional producer (no transactionalId)"));
  }

  /**
   * Kafka's {@code sendOffsetsToTransaction}: commits the group's offsets (each the next offset to read, as Kafka's
   * {@code OffsetAndMetadata}) with the open transaction, so a consume-transform-produce loop's input offsets and
   * output records become visible together, or neither (an abort drops the offsets). Until the transaction ends, the
   * group's offset fetches that ask for stable offsets fail UNSTABLE_OFFSET_COMMIT (retriable).
   */
  default Uni<Void> sendOffsetsToTransaction(Map<TopicPartition, Long> offsets, GroupMetadata group) {
    return Uni.createFrom().failure(new IllegalStateException("Not a transactional producer (no transactionalId)"));
  }

  /** Flushes, then aborts the transaction: none of its records will be read by read_committed consumers. */
  default Uni<Void> abortTransaction() {
    return Uni.createFrom().failure(new IllegalStateException("Not a transactional producer (no transactionalId)"));
  }
}
