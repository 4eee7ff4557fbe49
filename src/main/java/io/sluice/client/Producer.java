package io.sluice.client;

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
}
