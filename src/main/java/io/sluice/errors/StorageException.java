package io.sluice.errors;

/** A write, fsync or index failure: the log refuses appends until it is recovered (reopened). */
public class StorageException extends SluiceException {
  public StorageException(String message) {
    super(ErrorCode.KAFKA_STORAGE_ERROR, message);
  }

  public StorageException(String message, Throwable cause) {
    super(ErrorCode.KAFKA_STORAGE_ERROR, message, cause);
  }
}
