package io.sluice.errors;

/**
 * A partition has no sequence for an idempotent producer's epoch (it forgot the producer: idle past
 * {@code producer.id.expiration.ms}, its batches older than a restart reads back, or evicted by a follower's bound
 * before it led) and the batch does not start one at 0. Kafka's UNKNOWN_PRODUCER_ID: nothing was written; the
 * producer starts again at sequence 0 in a newer epoch (or with a new producer id).
 */
public class UnknownProducerIdException extends SluiceException {
  public UnknownProducerIdException(String message) {
    super(ErrorCode.UNKNOWN_PRODUCER_ID, message);
  }
}
