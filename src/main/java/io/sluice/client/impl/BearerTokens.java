package io.sluice.client.impl;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.function.Supplier;

/**
 * The client's bearer token ({@code ClientOptions.bearerToken}): asked of the application's supplier before the
 * first request and again at 80% of the token's lifetime, as Kafka's expiring-credential refresh does; the current
 * token serves the requests sent meanwhile. Used on the client's context only.
 */
final class BearerTokens {
  static final double REFRESH_WINDOW_FACTOR = 0.8;
  private final Supplier<Uni<String>> supplier;
  private final Context context;
  private String header;
  private long refreshAtMs = Long.MAX_VALUE;
  private long expiresAtMs = Long.MAX_VALUE;
  private Future<String> asking;

  BearerTokens(Supplier<Uni<String>> supplier, Context context) {
    this.supplier = supplier;
    this.context = context;
  }

  /** The {@code Authorization} header to send now, or null while none is held that has not expired. */
  String current() {
    long now = System.currentTimeMillis();
    if (header == null || now >= expiresAtMs) {
      return null;
    }
    if (now >= refreshAtMs) {
      next();
    }
    return header;
  }

  /** A fresh token's header (one question to the supplier at a time). */
  Future<String> next() {
    Future<String> a = asking;
    if (a == null) {
      Future<String> fresh = Future.fromCompletionStage(supplier.get().subscribeAsCompletionStage(), context)
          .map(this::hold);
      asking = fresh;
      // a supplier that answers at once has completed it already: then nothing is being asked any more
      fresh.onComplete(ar -> asking = null);
      a = fresh;
    }
    return a;
  }

  private String hold(String token) {
    if (token == null || token.isBlank()) {
      throw new IllegalStateException("The bearer token supplier gave no token");
    }
    long now = System.currentTimeMillis();
    header = "Bearer " + token.trim();
    expiresAtMs = Long.MAX_VALUE;
    refreshAtMs = Long.MAX_VALUE;
    JsonObject payload = payload(token.trim());
    if (payload != null && payload.getValue("exp") instanceof Number exp) {
      long issued = payload.getValue("iat") instanceof Number iat ? iat.longValue() * 1000 : now;
      expiresAtMs = exp.longValue() * 1000;
      refreshAtMs = issued + (long) ((expiresAtMs - issued) * REFRESH_WINDOW_FACTOR);
    }
    return header;
  }

  /**
   * The claims of a JWT, unverified: only to know when to ask for the next token (the broker verifies the token).
   * Read here with the JDK's Base64 rather than vertx-auth-jwt, which the client does not depend on (it needs
   * vertx-core alone). Null for a token that is not a JWT.
   */
  private static JsonObject payload(String token) {
    String[] parts = token.split("\\.");
    if (parts.length != 3) {
      return null;
    }
    try {
      return new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      return null;
    }
  }
}
