package io.sluice.client.impl;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;

/** Turns a broker's error answer back into the {@link ErrorCode} it was made from. Stateless. */
final class ErrorCodes {
  private static final Map<Integer, ErrorCode> BY_CODE = new HashMap<>();

  static {
    for (ErrorCode c : ErrorCode.values()) {
      BY_CODE.put(c.code(), c);
    }
  }

  private ErrorCodes() {
  }

  /** The code for a wire number, UNKNOWN_SERVER_ERROR for one this client does not know. */
  static ErrorCode byCode(int code) {
    return BY_CODE.getOrDefault(code, ErrorCode.UNKNOWN_SERVER_ERROR);
  }

  /** The failure an error answer stands for; a body that is not the API's JSON is judged by status alone. */
  static SluiceException fromResponse(int status, Buffer body, String request) {
    try {
      JsonObject json = body.toJsonObject();
      Integer code = json.getInteger("error_code");
      if (code != null) {
        return new SluiceException(byCode(code), request + ": " + json.getString("message", "(no message)"));
      }
    } catch (RuntimeException notJson) {
      // fall through: a proxy or an old broker answered
    }
    ErrorCode byStatus = switch (status) {
      case 404 -> ErrorCode.NOT_FOUND;
      case 421 -> ErrorCode.NOT_LEADER_OR_FOLLOWER;
      case 503 -> ErrorCode.SERVICE_UNAVAILABLE;
      case 504 -> ErrorCode.REQUEST_TIMED_OUT;
      default -> status >= 500 ? ErrorCode.UNKNOWN_SERVER_ERROR : ErrorCode.INVALID_REQUEST;
    };
    return new SluiceException(byStatus, request + " answered status " + status);
  }

  /** Whether resending the same request may succeed. */
  static boolean retriable(Throwable t) {
    return t instanceof SluiceException e && e.errorCode().retriable();
  }

  static ErrorCode codeOf(Throwable t) {
    return t instanceof SluiceException e ? e.errorCode() : ErrorCode.UNKNOWN_SERVER_ERROR;
  }

  /** Errors after which the partition's leader should be looked up again before retrying. */
  static boolean staleMetadata(Throwable t) {
    ErrorCode c = codeOf(t);
    return c == ErrorCode.NOT_LEADER_OR_FOLLOWER || c == ErrorCode.LEADER_NOT_AVAILABLE
        || c == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || c == ErrorCode.NETWORK_EXCEPTION
        || c == ErrorCode.FENCED_LEADER_EPOCH || c == ErrorCode.UNKNOWN_LEADER_EPOCH;
  }
}
