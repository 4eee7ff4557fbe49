package io.sluice.errors;

/** A batch uses a compression codec Sluice does not know. */
public class UnsupportedCompressionException extends SluiceException {
  public UnsupportedCompressionException(String message) {
    super(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, message);
  }

  public UnsupportedCompressionException(String message, Throwable cause) {
    super(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, message, cause);
  }
}
