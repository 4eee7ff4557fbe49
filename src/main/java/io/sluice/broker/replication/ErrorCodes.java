package io.sluice.broker.replication;

import io.sluice.errors.ErrorCode;

/** Error codes back from their wire numbers (messages between brokers carry {@link ErrorCode#code()}). */
public final class ErrorCodes {
  private ErrorCodes() {
  }

  /** The error with this code; UNKNOWN_SERVER_ERROR if none has it (a newer broker's code). */
  public static ErrorCode byCode(int code) {
    for (ErrorCode e : ErrorCode.values()) {
      if (e.code() == code) {
        return e;
      }
    }
    return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}
