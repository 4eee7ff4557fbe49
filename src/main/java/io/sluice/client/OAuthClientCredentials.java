package io.sluice.client;

import java.net.URI;
import java.util.Objects;

/**
 * The OAuth 2 client-credentials grant (RFC 6749 4.4) a client gets its bearer tokens with, as Kafka's login
 * callback handler does with {@code sasl.oauthbearer.token.endpoint.url} (KIP-768): the client id and secret go as
 * HTTP Basic client authentication, {@code grant_type=client_credentials} and the scope as a form body. A failing
 * endpoint (a lost connection, a timeout, a 5xx, 408 or 429) is asked again after {@link #retryBackoffMs}, doubling up
 * to {@link #retryBackoffMaxMs}, until that much time has passed since the first try; any other answer fails at once.
 * The secret is never logged nor shown in {@link #toString} or an error. {@link ClientOptions} keeps a copy: a grant
 * changed after it was given (or one taken from the options and changed) changes no client.
 */
public final class OAuthClientCredentials {
  private final URI tokenEndpoint;
  private final String clientId;
  private final String clientSecret;
  private String scope;
  private long connectTimeoutMs = 10_000;
  private long readTimeoutMs = 10_000;
  private long retryBackoffMs = 100;
  private long retryBackoffMaxMs = 10_000;

  /** Kafka's {@code sasl.oauthbearer.token.endpoint.url}, {@code ...client.credentials.client.id} and {@code .secret}. */
  public OAuthClientCredentials(String tokenEndpoint, String clientId, String clientSecret) {
    URI uri = URI.create(Objects.requireNonNull(tokenEndpoint, "tokenEndpoint"));
    if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new IllegalArgumentException("the token endpoint must be an http:// or https:// URL, got " + tokenEndpoint);
    }
    if (clientId == null || clientId.isEmpty() || clientId.contains(":")) {
      throw new IllegalArgumentException("the OAuth client id must be non-empty and without ':'");
    }
    this.tokenEndpoint = uri;
    this.clientId = clientId;
    this.clientSecret = Objects.requireNonNull(clientSecret, "clientSecret");
  }

  /** A copy, for {@link ClientOptions} to keep and to hand out. */
  OAuthClientCredentials copy() {
    OAuthClientCredentials c = new OAuthClientCredentials(tokenEndpoint.toString(), clientId, clientSecret);
    c.scope = scope;
    c.connectTimeoutMs = connectTimeoutMs;
    c.readTimeoutMs = readTimeoutMs;
    c.retryBackoffMs = retryBackoffMs;
    c.retryBackoffMaxMs = retryBackoffMaxMs;
    return c;
  }

  public URI tokenEndpoint() {
    return tokenEndpoint;
  }

  public String clientId() {
    return clientId;
  }

  public String clientSecret() {
    return clientSecret;
  }

  /** Kafka's {@code sasl.oauthbearer.scope}: the scope asked for (space-separated); null (the default) asks none. */
  public String scope() {
    return scope;
  }

  public OAuthClientCredentials scope(String scope) {
    this.scope = scope == null || scope.isBlank() ? null : scope.trim();
    return this;
  }

  /** Kafka's {@code sasl.login.connect.timeout.ms}: how long connecting to the endpoint may take. */
  public long connectTimeoutMs() {
    return connectTimeoutMs;
  }

  public OAuthClientCredentials connectTimeoutMs(long ms) {
    this.connectTimeoutMs = ClientOptions.positive(ms, "connectTimeoutMs");
    return this;
  }

  /** Kafka's {@code sasl.login.read.timeout.ms}: how long the endpoint may go without answering. */
  public long readTimeoutMs() {
    return readTimeoutMs;
  }

  public OAuthClientCredentials readTimeoutMs(long ms) {
    this.readTimeoutMs = ClientOptions.positive(ms, "readTimeoutMs");
    return this;
  }

  /** Kafka's {@code sasl.login.retry.backoff.ms} (100). */
  public long retryBackoffMs() {
    return retryBackoffMs;
  }

  public OAuthClientCredentials retryBackoffMs(long ms) {
    this.retryBackoffMs = ClientOptions.positive(ms, "retryBackoffMs");
    return this;
  }

  /** Kafka's {@code sasl.login.retry.backoff.max.ms} (10000). */
  public long retryBackoffMaxMs() {
    return retryBackoffMaxMs;
  }

  public OAuthClientCredentials retryBackoffMaxMs(long ms) {
    this.retryBackoffMaxMs = ClientOptions.positive(ms, "retryBackoffMaxMs");
    return this;
  }

  @Override
  public String toString() {
    return "OAuthClientCredentials[" + tokenEndpoint + ", client id " + clientId + "]";
  }
}
