package io.sluice.errors;

/** An idempotent producer's batch does not carry the next sequence number the partition expects from it. */
public class OutOfOrderSequenceException extends SluiceException {
  /** Whether the batch starts after the expected sequence (a gap a batch still on its way may fill). */
  private final boolean ahead;

  public OutOfOrderSequenceException(String message) {
    this(message, false);
  }

  public OutOfOrderSequenceException(String message, boolean ahead) {
    super(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message);
    this.ahead = ahead;
  }

  /**
   * True when the batch is ahead of the partition's expected sequence, not behind it (a retry too old to be
   * recognised): an earlier batch of the producer that has not arrived yet would make it the next one.
   */
  public boolean ahead() {
    return ahead;
  }
}
