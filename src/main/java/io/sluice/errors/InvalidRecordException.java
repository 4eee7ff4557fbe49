package io.sluice.errors;

/** A well-formed batch whose content Sluice refuses (offset deltas out of order, bad timestamps, a control batch from a client). */
public class InvalidRecordException extends SluiceException {
  public InvalidRecordException(String message) {
    super(ErrorCode.INVALID_RECORD, message);
  }

  public InvalidRecordException(String message, Throwable cause) {
    super(ErrorCode.INVALID_RECORD, message, cause);
  }
}
