package io.sluice.client.impl;

import io.sluice.client.LoginRefresh;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * The client's bearer token ({@code ClientOptions.bearerToken} or {@code oauthClientCredentials}): asked of its
 * source before the first request and again when {@link LoginRefresh} says (Kafka's expiring-credential refresh); the
 * current token serves the requests sent meanwhile, and a failed refresh is tried again after
 * {@link #RETRY_AFTER_FAILED_REFRESH_MS} while the current token lasts. A token the broker refuses as expired is
 * replaced at once, but a source whose fresh tokens are refused too is asked again for a refused one only after
 * Kafka's {@code sasl.login.refresh.min.period.seconds} (and {@link #RETRY_AFTER_FAILED_REFRESH_MS} at least): one
 * question per refused request would hammer the identity provider. Used on the client's context only.
 */
final class BearerTokens {
  /** Kafka's wait before trying a failed re-login again (its refresh thread's 10 s). */
  static final long RETRY_AFTER_FAILED_REFRESH_MS = 10_000;
  private final Supplier<Future<Token>> source;
  private final LoginRefresh refresh;
  private final Supplier<Future<Void>> closing;
  private String header;
  private long refreshAtMs = Long.MAX_VALUE;
  private long usableUntilMs = Long.MAX_VALUE;
  private Future<String> asking;
  /** When a refused token was last replaced ({@link #renew}); MIN_VALUE: never. */
  private long renewedAtMs = Long.MIN_VALUE;

  /** A token valid from {@code startMs} to {@code expiresAtMs} ({@code Long.MAX_VALUE}: not known). */
  record Token(String value, long startMs, long expiresAtMs) {
    /** A token whose lifetime is its JWT's {@code iat} to {@code exp}, when it is a JWT with {@code exp}. */
    static Token of(String token) {
      if (token == null || token.isBlank()) {
        throw new IllegalStateException("The bearer token source gave no token");
      }
      String value = token.trim();
      long now = System.currentTimeMillis();
      JsonObject payload = payload(value);
      if (payload != null && payload.getValue("exp") instanceof Number exp) {
        long issued = payload.getValue("iat") instanceof Number iat ? iat.longValue() * 1000 : now;
        return new Token(value, issued, exp.longValue() * 1000);
      }
      return new Token(value, now, Long.MAX_VALUE);
    }
  }

  BearerTokens(Supplier<Future<Token>> source, LoginRefresh refresh, Supplier<Future<Void>> closing) {
    this.source = source;
    this.refresh = refresh;
    this.closing = closing;
  }

  /** Tokens from the application's supplier ({@code ClientOptions.bearerToken}), completed on {@code context}. */
  static BearerTokens of(Supplier<Uni<String>> supplier, Context context, LoginRefresh refresh) {
    return new BearerTokens(() -> Future.fromCompletionStage(supplier.get().subscribeAsCompletionStage(), context)
        .map(Token::of), refresh, Future::succeededFuture);
  }

  /** Tokens from an identity provider's token endpoint ({@code ClientOptions.oauthClientCredentials}). */
  static BearerTokens of(TokenEndpoint endpoint, LoginRefresh refresh) {
    return new BearerTokens(endpoint::fetch, refresh, endpoint::close);
  }

  /** Releases what the source holds (the token endpoint's connections). */
  Future<Void> close() {
    return closing.get();
  }

  /** The {@code Authorization} header to send now, or null while none is held that has not expired. */
  String current() {
    long now = System.currentTimeMillis();
    if (header == null || now >= usableUntilMs) {
      return null;
    }
    if (now >= refreshAtMs) {
      next();
    }
    return header;
  }

  /**
   * The header to send again a request the broker refused with {@code rejected} because that token expired: the
   * token held now if it is another one, else a fresh one; null when the last refused one was replaced too recently
   * (the request then fails with the broker's refusal).
   */
  Future<String> renew(String rejected) {
    String held = header;
    long now = System.currentTimeMillis();
    if (held != null && !held.equals(rejected) && now < usableUntilMs) {
      return Future.succeededFuture(held);
    }
    long minPeriodMs = Math.max(refresh.minPeriodSeconds() * 1000L, RETRY_AFTER_FAILED_REFRESH_MS);
    if (renewedAtMs != Long.MIN_VALUE && now - renewedAtMs < minPeriodMs) {
      return null;
    }
    renewedAtMs = now;
    return next();
  }

  /** A fresh token's header (one question to the source at a time). */
  Future<String> next() {
    Future<String> a = asking;
    if (a == null) {
      Future<String> fresh;
      try {
        fresh = source.get().map(this::hold);
      } catch (RuntimeException e) {
        fresh = Future.failedFuture(e);
      }
      asking = fresh;
      // a source that answers at once has completed it already: then nothing is being asked any more
      fresh.onComplete(ar -> {
        asking = null;
        if (ar.failed() && header != null) {
          refreshAtMs = System.currentTimeMillis() + RETRY_AFTER_FAILED_REFRESH_MS;
        }
      });
      a = fresh;
    }
    return a;
  }

  private String hold(Token token) {
    long now = System.currentTimeMillis();
    header = "Bearer " + token.value();
    if (token.expiresAtMs() == Long.MAX_VALUE) {
      usableUntilMs = refreshAtMs = Long.MAX_VALUE;
    } else if (token.expiresAtMs() <= now) {
      // Expired by this clock (the provider's may differ): sent as it is, the broker decides, and asked again later.
      usableUntilMs = refreshAtMs = now + RETRY_AFTER_FAILED_REFRESH_MS;
    } else {
      usableUntilMs = token.expiresAtMs();
      refreshAtMs = refresh.refreshAtMs(token.startMs(), token.expiresAtMs(), now,
          ThreadLocalRandom.current().nextDouble());
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
