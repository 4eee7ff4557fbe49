package io.sluice.client.impl;

import io.sluice.errors.ErrorCode;

/**
 * What the producer does with a batch of several records the broker refused as too large (above the topic's
 * {@code max.message.bytes}, or alone in a request above the broker's {@code http.max.body.bytes}) while its records
 * may fit alone: as Kafka's producer does ({@code Sender.completeBatch}, {@code RecordAccumulator.splitAndReenqueue}),
 * it is split in two ({@link ProducerBatch#split()}) and the pieces take its place in the partition's queue, unsent,
 * until each piece fits or holds a single record; a single record still too large then fails alone, naming the limit
 * (the refused-batch path, {@link RefusedBatches}).
 *
 * <p><b>Order and sequences.</b> The pieces take the refused batch's place in the partition's order (every batch
 * sealed after it moves two places on) and, with idempotence, its sequence range, split between them, and its epoch:
 * the broker wrote nothing of the refused batch, so the partition's later batches, whose sequences follow that range,
 * stay valid. Those already sent were refused as out of sequence (the range before them was missing) and are resent
 * behind the pieces: the partition recovers (one batch at a time, oldest first) as after a retriable error.
 *
 * <p><b>Later batches.</b> The partition's batches are sealed from then on at half the refused batch's bytes
 * ({@code PartitionQueue.batchCap}), so a steady stream to a topic whose limit is below {@code batchSizeBytes}
 * is refused a few times, not at every batch; the bound grows back as batches near it are written
 * ({@link GrowingCap}), each refusal of a grown bound making the next growth wait longer.
 *
 * <p>Confined to the producer's context, like {@link Sender}.
 */
final class SplitBatches {
  private SplitBatches() {
  }

  /**
   * Whether {@code b}, refused alone with {@code code}, is split: too large, several records, and no earlier attempt
   * that may have been written (its pieces would then repeat records the broker may have).
   */
  static boolean splits(ErrorCode code, ProducerBatch b) {
    return (code == ErrorCode.MESSAGE_TOO_LARGE || code == ErrorCode.REQUEST_TOO_LARGE) && b.recordCount() > 1
        && !b.maybeWritten;
  }

  /** Replaces {@code big} (no longer in flight or ready) by its two pieces, in its place, and recovers the partition. */
  static void split(PartitionQueue q, ProducerBatch big) {
    q.batchCap.refused(big.estimatedSizeInBytes());
    ProducerBatch[] pieces = big.split();
    long order = big.order;
    // Two batches where there was one: every order after it moves one on, the open batch's too (sealed counts).
    q.inFlight.forEach(x -> x.order += x.order > order ? 1 : 0);
    q.ready.forEach(x -> x.order += x.order > order ? 1 : 0);
    if (q.refusedOrder > order) {
      q.refusedOrder++;
    }
    q.sealed++;
    pieces[0].order = order;
    pieces[1].order = order + 1;
    long now = System.currentTimeMillis();
    for (ProducerBatch p : pieces) {
      p.nextAttemptMs = now;
      q.insertInOrder(p);
    }
    q.recovering = true;
  }
}
