package io.sluice.errors;

/**
 * The root of Sluice's typed, unchecked errors. Each carries an {@link ErrorCode}; messages name the
 * topic, partition, offset or file concerned.
 */
public class SluiceException extends RuntimeException {
  private final ErrorCode errorCode;

  public SluiceException(ErrorCode errorCode, String message) {
    super(message);
    this.errorCode = errorCode;
  }

  public SluiceException(ErrorCode errorCode, String message, Throwable cause) {
    super(message, cause);
    this.errorCode = errorCode;
  }

  public ErrorCode errorCode() {
    return errorCode;
  }

  public boolean retriable() {
    return errorCode.retriable();
  }
}
