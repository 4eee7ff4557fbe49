package io.sluice.errors;

/**
 * A partition already remembers as many idempotent producers as it may ({@code producer.id.max.per.partition}) and
 * a batch would add one more: the request is refused whole, before anything is written.
 */
public class ProducerIdLimitException extends SluiceException {
  public ProducerIdLimitException(String message) {
    super(ErrorCode.PRODUCER_ID_LIMIT_EXCEEDED, message);
  }
}
