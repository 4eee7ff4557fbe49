package io.sluice.errors;

/** A record batch failed its checks: bad CRC, wrong magic, inconsistent length or record count. */
public class CorruptRecordException extends SluiceException {
  public CorruptRecordException(String message) {
    super(ErrorCode.CORRUPT_MESSAGE, message);
  }

  public CorruptRecordException(String message, Throwable cause) {
    super(ErrorCode.CORRUPT_MESSAGE, message, cause);
  }
}
