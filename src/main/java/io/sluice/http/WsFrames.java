package io.sluice.http;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import java.util.Set;

/** Frame helpers shared by the WebSocket sessions: parsing client frames and sending error frames. */
final class WsFrames {
  private static final System.Logger LOG = System.getLogger(WsFrames.class.getName());

  private WsFrames() {
  }

  /** The text frame as a JSON object whose fields are all in {@code allowed}; MALFORMED_REQUEST otherwise. */
  static JsonObject parse(String text, Set<String> allowed) {
    Object decoded;
    try {
      decoded = io.vertx.core.json.Json.decodeValue(text);
    } catch (DecodeException e) {
      throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "Frame is not valid JSON");
    }
    if (!(decoded instanceof JsonObject frame)) {
      throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "Frame must be a JSON object");
    }
    for (String f : frame.fieldNames()) {
      if (!allowed.contains(f)) {
        throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "Unknown frame field '" + f + "'; allowed: "
            + new java.util.TreeSet<>(allowed));
      }
    }
    if (frame.isEmpty()) {
      throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "Empty frame; allowed fields: "
          + new java.util.TreeSet<>(allowed));
    }
    return frame;
  }

  /** {@code {"error_code", "message"}} for a failure; unexpected ones are logged and reported generically. */
  static JsonObject error(Throwable t) {
    if (t instanceof SluiceException se && se.errorCode() != ErrorCode.UNKNOWN_SERVER_ERROR) {
      return new JsonObject().put("error_code", se.errorCode().code()).put("message", se.getMessage());
    }
    LOG.log(Level.ERROR, "Unexpected failure on a WebSocket", t);
    return new JsonObject().put("error_code", ErrorCode.UNKNOWN_SERVER_ERROR.code())
        .put("message", "Internal server error");
  }

  static void sendError(ServerWebSocket ws, Throwable t) {
    if (!ws.isClosed()) {
      ws.writeTextMessage(error(t).encode());
    }
  }
}
