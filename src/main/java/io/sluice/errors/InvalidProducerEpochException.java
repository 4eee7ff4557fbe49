package io.sluice.errors;

/** A producer's batch carries an epoch older than the newest the partition saw for its id: it is fenced. */
public class InvalidProducerEpochException extends SluiceException {
  public InvalidProducerEpochException(String message) {
    super(ErrorCode.INVALID_PRODUCER_EPOCH, message);
  }
}
