package io.sluice.errors;

/** A batch larger than the partition's max.message.bytes. */
public class RecordTooLargeException extends SluiceException {
  public RecordTooLargeException(String message) {
    super(ErrorCode.MESSAGE_TOO_LARGE, message);
  }

  public RecordTooLargeException(String message, Throwable cause) {
    super(ErrorCode.MESSAGE_TOO_LARGE, message, cause);
  }
}
