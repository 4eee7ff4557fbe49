package io.sluice.client.impl;

import io.sluice.client.OAuthClientCredentials;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Gets bearer tokens from an identity provider's token endpoint with the client-credentials grant (RFC 6749 4.4),
 * through Vert.x's non-blocking HTTP client on the client's context. A failure worth trying again (no answer, a 5xx,
 * 408 or 429) is retried after a backoff doubling from {@code retryBackoffMs} for up to {@code retryBackoffMaxMs} in
 * all, as Kafka's token retriever does; a refusal (another 4xx) or an answer without {@code access_token} fails at
 * once. Errors name the endpoint and the client id, never the secret.
 */
final class TokenEndpoint {
  private static final Logger LOG = Logger.getLogger(TokenEndpoint.class.getName());
  private final Vertx vertx;
  private final Context context;
  private final OAuthClientCredentials grant;
  private final HttpClientAgent http;
  private final RequestOptions request;
  private final Buffer form;

  TokenEndpoint(Vertx vertx, Context context, OAuthClientCredentials grant, HttpClientOptions tls) {
    this.vertx = vertx;
    this.context = context;
    this.grant = grant;
    this.http = vertx.httpClientBuilder().with(tls.setConnectTimeout((int) Math.min(Integer.MAX_VALUE,
        grant.connectTimeoutMs())).setSsl("https".equals(grant.tokenEndpoint().getScheme()))).build();
    this.request = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(grant.tokenEndpoint().toString())
        .setIdleTimeout(grant.readTimeoutMs())
        .putHeader(HttpHeaders.AUTHORIZATION, basic(grant.clientId(), grant.clientSecret()))
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/x-www-form-urlencoded")
        .putHeader(HttpHeaders.ACCEPT, "application/json");
    this.form = Buffer.buffer("grant_type=client_credentials"
        + (grant.scope() == null ? "" : "&scope=" + URLEncoder.encode(grant.scope(), StandardCharsets.UTF_8)));
  }

  /** RFC 6749 2.3.1: the id and secret form-urlencoded, then joined as HTTP Basic credentials. */
  private static String basic(String id, String secret) {
    String pair = URLEncoder.encode(id, StandardCharsets.UTF_8) + ":" + URLEncoder.encode(secret, StandardCharsets.UTF_8);
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }

  /** A fresh token, completed on the client's context. */
  Future<BearerTokens.Token> fetch() {
    Promise<BearerTokens.Token> got = Promise.promise();
    Unis.run(context, () -> attempt(System.currentTimeMillis(), 1, grant.retryBackoffMs(), got));
    return got.future();
  }

  private void attempt(long startMs, int attempt, long backoffMs, Promise<BearerTokens.Token> got) {
    // The body is asked for in a stage of send()'s own future: one composed after it may run once the answer has
    // ended, and Vert.x 5.0.7 then loses the body and never completes (see Jwks#answer).
    http.request(request).compose(req -> req.send(form).compose(resp -> resp.body()
        .map(body -> answer(resp.statusCode(), body))))
        .onComplete(ar -> {
          if (ar.succeeded()) {
            got.complete(ar.result());
            return;
          }
          Throwable t = ar.cause();
          boolean retriable = !(t instanceof Refused);
          long waitMs = Math.min(backoffMs, grant.retryBackoffMaxMs());
          long spent = System.currentTimeMillis() - startMs;
          if (!retriable || spent + waitMs > grant.retryBackoffMaxMs()) {
            got.fail(new SluiceException(ErrorCode.SASL_AUTHENTICATION_FAILED, "No bearer token from the token"
                + " endpoint " + grant.tokenEndpoint() + " for client id '" + grant.clientId() + "'"
                + (attempt > 1 ? " after " + attempt + " tries in " + spent + " ms" : "") + ": " + reason(t)));
            return;
          }
          LOG.log(Level.FINE, () -> "Token endpoint " + grant.tokenEndpoint() + " try " + attempt + " failed ("
              + reason(t) + "); trying again in " + waitMs + " ms");
          vertx.setTimer(waitMs, id -> attempt(startMs, attempt + 1, backoffMs * 2, got));
        });
  }

  /** The token of a 2xx answer, or why there is none ({@link Refused}: asking again would not help). */
  private BearerTokens.Token answer(int status, Buffer body) {
    if (status >= 500 || status == 408 || status == 429) {
      throw new Unavailable("answered " + status + describe(body));
    }
    if (status >= 300) {
      throw new Refused("refused with " + status + describe(body));
    }
    JsonObject json;
    try {
      json = body.toJsonObject();
    } catch (DecodeException | ClassCastException e) {
      throw new Refused("the answer is not a JSON object");
    }
    if (!(json.getValue("access_token") instanceof String token) || token.isBlank()) {
      throw new Refused("the answer has no access_token");
    }
    long now = System.currentTimeMillis();
    if (json.getValue("expires_in") instanceof Number seconds && seconds.longValue() > 0) {
      return new BearerTokens.Token(token.trim(), now, now + seconds.longValue() * 1000);
    }
    return BearerTokens.Token.of(token);
  }

  /** RFC 6749 5.2's {@code error} and {@code error_description}, when the body has them. */
  private static String describe(Buffer body) {
    try {
      JsonObject error = body.toJsonObject();
      String code = error.getValue("error") instanceof String s ? s : null;
      String text = error.getValue("error_description") instanceof String s ? s : null;
      return code == null ? "" : " (" + code + (text == null ? "" : ": " + text) + ")";
    } catch (RuntimeException e) {
      return "";
    }
  }

  private static String reason(Throwable t) {
    return t instanceof Refused || t instanceof Unavailable ? t.getMessage() : t.toString();
  }

  Future<Void> close() {
    return http.close();
  }

  /** An answer that may change if asked again. */
  private static final class Unavailable extends RuntimeException {
    Unavailable(String message) {
      super(message, null, false, false);
    }
  }

  /** An answer asking again would not change. */
  private static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message, null, false, false);
    }
  }
}
