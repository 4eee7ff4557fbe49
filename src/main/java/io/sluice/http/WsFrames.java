package io.sluice.http;

import io.sluice.errors.Echo;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.http.ErrorResponses.ApiError;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.lang.System.Logger.Level;
import java.util.Set;
import java.util.TreeSet;

/**
 * Frame helpers shared by the WebSocket sessions: parsing client messages ({@link StrictJson}), the optional
 * {@code "id"} a client puts in a message for its reply to carry back, and error messages.
 */
final class WsFrames {
  /** The field a client may set on any message it wants to match with its reply. */
  static final String ID = "id";
  static final int MAX_ID_CHARS = 256;
  private static final System.Logger LOG = System.getLogger(WsFrames.class.getName());

  private WsFrames() {
  }

  /** The text message as a JSON object whose fields are all in {@code allowed}; MALFORMED_REQUEST otherwise. */
  static JsonObject parse(String text, Set<String> allowed) {
    if (!(StrictJson.parse(text, "Message") instanceof JsonObject frame)) {
      throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "Message must be a JSON object");
    }
    for (String f : frame.fieldNames()) {
      if (!allowed.contains(f)) {
        throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "Unknown message field " + Echo.quoted(f) + "; allowed: "
            + new TreeSet<>(allowed));
      }
    }
    if (frame.isEmpty() || frame.size() == 1 && frame.containsKey(ID)) {
      throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "Empty message; allowed fields: "
          + new TreeSet<>(allowed));
    }
    return frame;
  }

  /** The message's {@code id} (a string of at most 256 chars or an integer), or null; MALFORMED_REQUEST if bad. */
  static Object id(JsonObject frame) {
    Object id = frame.getValue(ID);
    if (id == null || id instanceof String s && s.length() <= MAX_ID_CHARS
        || id instanceof Integer || id instanceof Long) {
      return id;
    }
    throw new SluiceException(ErrorCode.MALFORMED_REQUEST,
        "'id' must be a string of at most " + MAX_ID_CHARS + " characters or an integer");
  }

  /** {@code reply} with {@code "id": id} added when the client gave one. */
  static JsonObject withId(JsonObject reply, Object id) {
    return id == null ? reply : reply.put(ID, id);
  }

  /** {@code {"error_code", "message"}} for a failure; unexpected ones are logged and reported generically. */
  static JsonObject error(Throwable t) {
    ApiError e = apiError(t);
    return e.toJson();
  }

  static ApiError apiError(Throwable t) {
    if (t instanceof SluiceException se && se.errorCode() != ErrorCode.UNKNOWN_SERVER_ERROR) {
      return new ApiError(se.errorCode(), se.getMessage());
    }
    LOG.log(Level.ERROR, "Unexpected failure on a WebSocket", t);
    return new ApiError(ErrorCode.UNKNOWN_SERVER_ERROR, "Internal server error");
  }

  static void sendError(ServerWebSocket ws, Throwable t) {
    sendError(ws, t, null);
  }

  static void sendError(ServerWebSocket ws, Throwable t, Object id) {
    if (!ws.isClosed()) {
      ws.writeTextMessage(withId(error(t), id).encode());
    }
  }
}
