package io.sluice.errors;

/** An idempotent producer's batch does not carry the next sequence number the partition expects from it. */
public class OutOfOrderSequenceException extends SluiceException {
  public OutOfOrderSequenceException(String message) {
    super(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message);
  }
}
