package io.sluice.http;

import io.sluice.errors.ErrorCode;
import io.vertx.ext.web.RoutingContext;

/**
 * A consumer's {@code client.rack} (KIP-392) as a fetch names it: the {@code client_rack} query parameter or JSON
 * field. Absent or empty means none (the leader answers); Kafka's rack ids are free strings, bounded here so a
 * request cannot carry an arbitrarily long one into every forwarded call.
 */
final class ClientRack {
  static final int MAX_LENGTH = 255;

  private ClientRack() {
  }

  /** The {@code client_rack} query parameter, or null. */
  static String query(RoutingContext ctx) {
    return of(ctx.request().getParam("client_rack"));
  }

  /** {@code value} checked, or null when absent or empty. */
  static String of(String value) {
    if (value == null || value.isEmpty()) {
      return null;
    }
    if (value.length() > MAX_LENGTH) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "client_rack is at most " + MAX_LENGTH
          + " characters, got " + value.length());
    }
    return value;
  }
}
