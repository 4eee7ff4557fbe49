package io.sluice.client.impl;

import io.sluice.errors.ErrorCode;
import java.util.EnumSet;
import java.util.Set;

/**
 * What an idempotent producer does after the broker refused one of a partition's batches for good (its own bytes:
 * above the topic's {@code max.message.bytes}, corrupt, invalid), as Kafka's producer does for an idempotent,
 * non-transactional producer (KIP-360): the refused batch fails, and the partition's later batches move to the next
 * epoch from sequence 0, so the hole the refused batch left in the old epoch's sequence never blocks them. Kafka
 * bumps the producer's epoch for all its partitions; here only the partition's moves (a broker checks epochs per
 * partition), so the producer's other partitions keep their sequences and their batches in flight.
 *
 * <p>A refused batch was never written, so no later batch of the old epoch can have been either (the broker
 * writes a producer's batches only in sequence). The move waits until every batch sealed before the refused one is
 * finished and nothing of the partition is in flight: an earlier batch may still be written in the old epoch, and a
 * later one's old-epoch request, still travelling, is then refused by the broker (out of sequence before any
 * new-epoch batch is written, fenced after), never written beside its new-epoch copy.
 *
 * <p>Confined to the producer's context, like {@link Sender}.
 */
final class RefusedBatches {
  /**
   * Refusals of a batch's own bytes. The broker validates every batch of a partition's section before it writes any,
   * so nothing of a refused section was written, and sending the same bytes again cannot succeed. A body above the
   * broker's {@code http.max.body.bytes} (REQUEST_TOO_LARGE) is refused before any of it is read.
   */
  private static final Set<ErrorCode> REFUSALS = EnumSet.of(ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.CORRUPT_MESSAGE,
      ErrorCode.INVALID_RECORD, ErrorCode.INVALID_TIMESTAMP, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      ErrorCode.REQUEST_TOO_LARGE);

  private RefusedBatches() {
  }

  static boolean refusal(ErrorCode code) {
    return REFUSALS.contains(code);
  }

  /**
   * Refusals of the request rather than of the batch's bytes, which the broker answers before writing anything of
   * it. A partition full of producers ({@code producer.id.max.per.partition}) refuses a new one until one expires;
   * an authorization refusal (Kafka's producer counts it as not written too: no sequence consumed) holds until an
   * ACL changes. Once the batch's retries are spent it failed unwritten, as a refusal, and the partition's later
   * batches go on in the next epoch rather than failing behind a hole: the producer's later records are written once
   * allowed, not "create a new producer".
   */
  private static final Set<ErrorCode> UNWRITTEN = EnumSet.of(ErrorCode.PRODUCER_ID_LIMIT_EXCEEDED,
      ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);

  static boolean refusedUnwritten(ErrorCode code) {
    return UNWRITTEN.contains(code);
  }

  /**
   * Moves the partition's waiting batches (nothing is in flight) to the next epoch, numbered from 0 in order, and
   * later ones follow them. Returns false when the epoch cannot grow any more (the partition then fails as before).
   */
  static boolean moveToNextEpoch(PartitionQueue q, short producerEpoch) {
    int current = q.epoch >= 0 ? q.epoch : producerEpoch;
    q.refusedOrder = -1;
    if (current >= Short.MAX_VALUE) {
      return false;
    }
    q.epoch = current + 1;
    q.nextSequence = 0;
    for (ProducerBatch b : q.ready) {
      b.restamp((short) q.epoch, q.nextSequence);
      q.nextSequence += b.recordCount();
    }
    return true;
  }
}
