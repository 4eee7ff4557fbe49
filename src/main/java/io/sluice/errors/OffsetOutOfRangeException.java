package io.sluice.errors;

/** A read below the log start offset or above the log end offset. */
public class OffsetOutOfRangeException extends SluiceException {
  public OffsetOutOfRangeException(String message) {
    super(ErrorCode.OFFSET_OUT_OF_RANGE, message);
  }

  public OffsetOutOfRangeException(String message, Throwable cause) {
    super(ErrorCode.OFFSET_OUT_OF_RANGE, message, cause);
  }
}
