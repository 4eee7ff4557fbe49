package io.sluice.client;

import io.smallrye.mutiny.Uni;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.TrustOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * How a {@link SluiceClient} reaches the cluster. Mutable while being configured, then copied by the client;
 * not thread-safe.
 */
public final class ClientOptions {
  private final List<URI> bootstrap = new ArrayList<>();
  private long requestTimeoutMs = 30_000;
  private long metadataMaxAgeMs = 300_000;
  private int maxConnectionsPerBroker = 16;
  /**
   * Below the broker's default {@code http.idle.timeout.ms} (60 s), so that the client closes an idle connection
   * before the broker does: a request sent just as the broker closes is lost in flight (Kafka's client closes at
   * 9 minutes, its broker at 10).
   */
  public static final long DEFAULT_CONNECTIONS_MAX_IDLE_MS = 50_000;
  private long connectionsMaxIdleMs = DEFAULT_CONNECTIONS_MAX_IDLE_MS;
  private boolean followLeaders = true;
  private String clientId;
  private String clientRack;
  private String username;
  private String password;
  private Supplier<Uni<String>> bearerToken;
  private OAuthClientCredentials oauthClientCredentials;
  private LoginRefresh loginRefresh = LoginRefresh.DEFAULTS;
  private TrustOptions trustOptions;
  private KeyCertOptions keyCertOptions;
  private boolean verifyHostname = true;

  /** Options for the brokers at these base URLs ({@code http://host:port}); any one of them suffices. */
  public static ClientOptions bootstrap(String... urls) {
    ClientOptions options = new ClientOptions();
    for (String url : urls) {
      for (String part : url.split(",")) {
        if (!part.isBlank()) {
          options.bootstrap.add(URI.create(part.trim()));
        }
      }
    }
    if (options.bootstrap.isEmpty()) {
      throw new IllegalArgumentException("At least one bootstrap broker URL is needed");
    }
    return options;
  }

  public List<URI> bootstrapUrls() {
    return List.copyOf(bootstrap);
  }

  /** How long one HTTP request may go without a response byte before it fails as timed out (retriable). */
  public long requestTimeoutMs() {
    return requestTimeoutMs;
  }

  public ClientOptions requestTimeoutMs(long requestTimeoutMs) {
    this.requestTimeoutMs = positive(requestTimeoutMs, "requestTimeoutMs");
    return this;
  }

  /**
   * The name the client gives itself in every request (Kafka's client.id, sent as the {@code Sluice-Client-Id}
   * header): brokers apply client quotas by it and show it in their logs. Null (the default) sends none.
   */
  public String clientId() {
    return clientId;
  }

  public ClientOptions clientId(String clientId) {
    this.clientId = clientId == null || clientId.isEmpty() ? null : clientId;
    return this;
  }

  /**
   * The rack (availability zone) the client runs in, Kafka's {@code client.rack} (KIP-392). With brokers whose
   * {@code replica.selector.class} is Kafka's RackAwareReplicaSelector, partition readers fetch from a live broker of
   * this rack holding an in-sync replica (a follower answers up to the high watermark it knows), and group consumers'
   * instances are created with it; the leader when there is none, or when that broker does not answer. Null (the
   * default): the leader always.
   */
  public String clientRack() {
    return clientRack;
  }

  public ClientOptions clientRack(String clientRack) {
    this.clientRack = clientRack == null || clientRack.isEmpty() ? null : clientRack;
    return this;
  }

  /** How often cached topic metadata is refreshed even when nothing failed (Kafka's metadata.max.age.ms). */
  public long metadataMaxAgeMs() {
    return metadataMaxAgeMs;
  }

  public ClientOptions metadataMaxAgeMs(long metadataMaxAgeMs) {
    this.metadataMaxAgeMs = positive(metadataMaxAgeMs, "metadataMaxAgeMs");
    return this;
  }

  /**
   * How many HTTP/1.1 connections the client holds to one broker: each carries one request at a time, so this bounds
   * the requests in flight to one broker (more wait for a connection to come free, for at most
   * {@link #requestTimeoutMs}).
   */
  public int maxConnectionsPerBroker() {
    return maxConnectionsPerBroker;
  }

  public ClientOptions maxConnectionsPerBroker(int maxConnectionsPerBroker) {
    this.maxConnectionsPerBroker = (int) positive(maxConnectionsPerBroker, "maxConnectionsPerBroker");
    return this;
  }

  /**
   * How long a connection to a broker may stay idle before the client closes it (Kafka's
   * {@code connections.max.idle.ms}); keep it below the brokers' {@code http.idle.timeout.ms}.
   */
  public long connectionsMaxIdleMs() {
    return connectionsMaxIdleMs;
  }

  public ClientOptions connectionsMaxIdleMs(long connectionsMaxIdleMs) {
    this.connectionsMaxIdleMs = positive(connectionsMaxIdleMs, "connectionsMaxIdleMs");
    return this;
  }

  /**
   * Whether requests go straight to each partition's leader at the address the cluster advertises in
   * {@code GET /cluster} (the default), or only ever to the bootstrap addresses, which forward them inside the
   * cluster. Turn it off when the advertised addresses are not reachable from the client: behind a load balancer,
   * a proxy or a port mapping.
   */
  public boolean followLeaders() {
    return followLeaders;
  }

  public ClientOptions followLeaders(boolean followLeaders) {
    this.followLeaders = followLeaders;
    return this;
  }

  /**
   * HTTP Basic credentials sent on every request, for brokers with {@code authentication.method=BASIC} (use TLS
   * where the network is not trusted: Basic sends the password in every request).
   */
  public ClientOptions credentials(String username, String password) {
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
    if (username.isEmpty() || username.contains(":")) {
      throw new IllegalArgumentException("username must be non-empty and without ':'");
    }
    this.username = username;
    this.password = password;
    this.bearerToken = null;
    this.oauthClientCredentials = null;
    return this;
  }

  /**
   * OAuth 2 bearer tokens (JWTs from the organization's identity provider), for brokers with
   * {@code authentication.method} OAUTHBEARER, as Kafka's login callback handler supplies them: {@code tokens} is
   * asked for a token before the first request, and again as {@link #loginRefresh} says (by default once 80-85% of
   * the token's lifetime, {@code iat} to {@code exp}, has passed), while the current one keeps serving until the new
   * one arrives; a token that is not a JWT with {@code exp} is used until the client closes. A request the broker
   * refuses because its token expired is sent again once, with a fresh token. Replaces {@link #credentials} and
   * {@link #oauthClientCredentials}.
   */
  public ClientOptions bearerToken(Supplier<Uni<String>> tokens) {
    this.bearerToken = Objects.requireNonNull(tokens, "tokens");
    this.username = null;
    this.password = null;
    this.oauthClientCredentials = null;
    return this;
  }

  /**
   * Bearer tokens the client gets itself from the identity provider's token endpoint with the client-credentials
   * grant (Kafka's {@code sasl.oauthbearer.token.endpoint.url}, KIP-768); the token's lifetime is the answer's
   * {@code expires_in}, else the JWT's {@code exp}. Refreshed and retried as {@link #bearerToken(Supplier)}'s. An
   * {@code https://} endpoint is checked against {@link #trustOptions} and shown {@link #keyCertOptions}. Replaces
   * {@link #credentials} and {@link #bearerToken(Supplier)}. A copy is kept: changing {@code grant} afterwards changes
   * nothing here.
   */
  public ClientOptions oauthClientCredentials(OAuthClientCredentials grant) {
    this.oauthClientCredentials = Objects.requireNonNull(grant, "grant").copy();
    this.bearerToken = null;
    this.username = null;
    this.password = null;
    return this;
  }

  /** A copy of the client-credentials grant the client gets its tokens with; null without one. */
  public OAuthClientCredentials oauthClientCredentials() {
    return oauthClientCredentials == null ? null : oauthClientCredentials.copy();
  }

  /** When bearer tokens are refreshed (Kafka's {@code sasl.login.refresh.*}); {@link LoginRefresh#DEFAULTS} unless set. */
  public LoginRefresh loginRefresh() {
    return loginRefresh;
  }

  public ClientOptions loginRefresh(LoginRefresh loginRefresh) {
    this.loginRefresh = Objects.requireNonNull(loginRefresh, "loginRefresh");
    return this;
  }

  /** A bearer token that never changes (the CLI's {@code --bearer-token}); see {@link #bearerToken(Supplier)}. */
  public ClientOptions bearerToken(String token) {
    Objects.requireNonNull(token, "token");
    return bearerToken(() -> Uni.createFrom().item(token));
  }

  /** The bearer tokens' source; null without one. */
  public Supplier<Uni<String>> bearerToken() {
    return bearerToken;
  }

  /** The {@code Authorization} header value of {@link #credentials}, or null without credentials. */
  public String authorization() {
    return username == null ? null : "Basic " + java.util.Base64.getEncoder().encodeToString(
        (username + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * The CAs an {@code https://} broker's certificate is checked against (null, the default: the JVM's own); e.g.
   * {@code new PemTrustOptions().addCertPath("ca.pem")} or {@code new PfxOptions().setPath(..).setPassword(..)}.
   */
  public TrustOptions trustOptions() {
    return trustOptions;
  }

  public ClientOptions trustOptions(TrustOptions trustOptions) {
    this.trustOptions = trustOptions;
    return this;
  }

  /** The client's own certificate and key, shown to brokers that ask for one ({@code ssl.client.auth}); or null. */
  public KeyCertOptions keyCertOptions() {
    return keyCertOptions;
  }

  public ClientOptions keyCertOptions(KeyCertOptions keyCertOptions) {
    this.keyCertOptions = keyCertOptions;
    return this;
  }

  /**
   * Whether an {@code https://} broker's certificate must name the host it was reached at (Kafka's
   * {@code ssl.endpoint.identification.algorithm=https}, the default); false checks only that a trusted CA signed it.
   */
  public boolean verifyHostname() {
    return verifyHostname;
  }

  public ClientOptions verifyHostname(boolean verifyHostname) {
    this.verifyHostname = verifyHostname;
    return this;
  }

  /**
   * Applies Kafka's client TLS settings from {@code properties} (a tool's {@code --command-config} file):
   * {@code ssl.truststore.type|location|password|certificates}, {@code ssl.keystore.type|location|password},
   * {@code ssl.key.password}, {@code ssl.keystore.key} with {@code ssl.keystore.certificate.chain} (PEM) and
   * {@code ssl.endpoint.identification.algorithm} (empty turns host name checks off); and Kafka's OAuth client
   * settings ({@link ClientOAuthProperties}): {@code sasl.oauthbearer.token.endpoint.url} with
   * {@code sasl.oauthbearer.client.credentials.client.id|secret} (or {@code clientId}/{@code clientSecret}/{@code scope}
   * in {@code sasl.jaas.config}), {@code sasl.oauthbearer.scope}, {@code sasl.login.connect|read.timeout.ms},
   * {@code sasl.login.retry.backoff.ms|max.ms} and {@code sasl.login.refresh.*}. Other keys are ignored.
   */
  public ClientOptions properties(Map<String, String> properties) {
    ClientTlsProperties.apply(this, properties);
    ClientOAuthProperties.apply(this, properties);
    return this;
  }

  static long positive(long value, String name) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + " must be positive, got " + value);
    }
    return value;
  }

  @Override
  public String toString() {
    return "ClientOptions" + Objects.toString(bootstrap);
  }
}
