package io.sluice.security;

import static io.sluice.security.TestIdentityProvider.claims;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.client.ClientOptions;
import io.sluice.client.LoginRefresh;
import io.sluice.client.OAuthClientCredentials;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.config.BrokerConfig;
import io.sluice.config.OAuthBearerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.http.HttpListener;
import io.smallrye.mutiny.Uni;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client's own bearer tokens against a broker with {@code authentication.method=OAUTHBEARER} and a loopback
 * identity provider: tokens got from the token endpoint with the client-credentials grant and refreshed before they
 * expire, a failing endpoint retried and then surfaced without the secret, and a request the broker refuses for an
 * expired token sent again once with a fresh token.
 */
class OAuthClientTokensTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String SECRET = "s3cr&t=x";
  @TempDir
  static Path dir;
  private static Broker broker;
  private static TestIdentityProvider idp;
  private static TestIdentityProvider.SigningKey key;

  @BeforeAll
  static void start() throws Exception {
    idp = new TestIdentityProvider();
    key = idp.newKey("k1");
    idp.serve(key);
    idp.client("app", SECRET, key);
    broker = TestBrokers.start(TestBrokers.config(dir, Map.of(BrokerConfig.AUTHENTICATION_METHOD, "OAUTHBEARER",
        OAuthBearerConfig.JWKS_URL, idp.jwksUrl(), OAuthBearerConfig.EXPECTED_AUDIENCE, "sluice",
        OAuthBearerConfig.EXPECTED_ISSUER, TestIdentityProvider.ISSUER, OAuthBearerConfig.CLOCK_SKEW_SECONDS, 0,
        BrokerConfig.STREAMS_ENABLED, false, BrokerConfig.CONNECT_ENABLED, false, BrokerConfig.HTTP_INSTANCES, 1)),
        GUARD, HttpListener::new);
    with(options().bearerToken(key.sign(claims("admin", 300))),
        c -> c.admin().createTopic("orders", 1, -1, Map.of()).await().atMost(WAIT));
  }

  @AfterAll
  static void stop() throws Exception {
    TestBrokers.close(broker);
    idp.close();
  }

  private static ClientOptions options() {
    return ClientOptions.bootstrap("http://127.0.0.1:" + broker.httpPort());
  }

  /** Refreshed at half the lifetime, no jitter, no minimum period nor buffer: short-lived tokens refresh soon. */
  private static ClientOptions granted(OAuthClientCredentials grant) {
    return options().oauthClientCredentials(grant).loginRefresh(new LoginRefresh(0.5, 0, 0, 0));
  }

  private static OAuthClientCredentials grant(String secret) {
    return new OAuthClientCredentials(idp.tokenUrl(), "app", secret).scope("produce consume");
  }

  private static <T> T with(ClientOptions options, Function<SluiceClient, T> use) {
    SluiceClient client = SluiceClient.create(options);
    try {
      return use.apply(client);
    } finally {
      client.close().await().atMost(WAIT);
    }
  }

  private static void send(SluiceClient client, String value) {
    client.producer(ProducerOptions.defaults()).send(ProducerRecord.of("orders", "k", value)).await().atMost(WAIT);
  }

  /** Sends until the endpoint was asked {@code n} times in all (each send must succeed). */
  private static void sendUntilAsked(SluiceClient client, int n) {
    AtomicInteger i = new AtomicInteger();
    Awaitility.await().atMost(WAIT).pollDelay(Duration.ZERO).until(() -> {
      send(client, "v" + i.incrementAndGet());
      return idp.tokenRequests() >= n;
    });
  }

  @Test
  void tokensComeFromTheEndpointAndAreRefreshedBeforeExpiresIn() {
    // The JWT lives 300 s, but the endpoint says 4 s: the client goes by expires_in, and asks at 2 s.
    idp.tokens(300, 4L);
    int before = idp.tokenRequests();
    int whileValid = idp.askedWhileValid();
    with(granted(grant(SECRET)), c -> {
      sendUntilAsked(c, before + 2);
      return null;
    });
    assertThat(idp.askedWhileValid() - whileValid).as("refreshes asked before the token expired").isPositive();
    String pair = "app:" + java.net.URLEncoder.encode(SECRET, StandardCharsets.UTF_8);
    assertThat(idp.lastAuthorization()).isEqualTo("Basic " + Base64.getEncoder().encodeToString(
        pair.getBytes(StandardCharsets.UTF_8)));
    assertThat(idp.lastForm()).isEqualTo("grant_type=client_credentials&scope=produce+consume");
  }

  @Test
  void withoutExpiresInTheJwtsExpIsTheLifetime() {
    idp.tokens(6, null);
    int before = idp.tokenRequests();
    int whileValid = idp.askedWhileValid();
    with(granted(grant(SECRET)), c -> {
      sendUntilAsked(c, before + 2);
      return null;
    });
    assertThat(idp.askedWhileValid() - whileValid).isPositive();
  }

  @Test
  void perfGetsItsTokensFromTheEndpointInItsCommandConfig() throws Exception {
    idp.tokens(300, 300L);
    Path config = dir.resolve("oauth-client.properties");
    java.nio.file.Files.writeString(config, "sasl.mechanism=OAUTHBEARER\n"
        + "sasl.oauthbearer.token.endpoint.url=" + idp.tokenUrl() + "\n"
        + "sasl.oauthbearer.client.credentials.client.id=app\n"
        + "sasl.oauthbearer.client.credentials.client.secret=" + SECRET + "\n");
    int before = idp.tokenRequests();
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int exit = io.sluice.cli.perf.PerfCommand.run(new String[] {"produce", "--bootstrap", "http://127.0.0.1:"
        + broker.httpPort(), "--command-config", config.toString(), "--topic", "orders", "--records", "20",
        "--record-size", "10", "--throughput", "-1"}, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()),
        new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(exit).as(err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(idp.tokenRequests() - before).isEqualTo(1);
  }

  @Test
  void aFailingEndpointIsAskedAgainWithBackoff() {
    idp.tokens(300, 300L);
    idp.failTokenRequests(2);
    int before = idp.tokenRequests();
    with(granted(grant(SECRET).retryBackoffMs(20)), c -> {
      send(c, "after two 503s");
      return null;
    });
    assertThat(idp.tokenRequests() - before).isEqualTo(3);
  }

  @Test
  void anEndpointThatKeepsFailingFailsTheRequestNamingTheClientNotTheSecret() {
    idp.tokens(300, 300L);
    idp.failTokenRequests(Integer.MAX_VALUE);
    int before = idp.tokenRequests();
    try {
      Throwable t = with(granted(grant(SECRET).retryBackoffMs(20).retryBackoffMaxMs(500)),
          c -> catchThrowable(() -> send(c, "never")));
      assertThat(t).isInstanceOf(SluiceException.class).hasMessageContaining("client id 'app'")
          .hasMessageContaining("503").hasMessageContaining(idp.tokenUrl()).hasMessageNotContaining(SECRET);
      assertThat(((SluiceException) t).errorCode()).isEqualTo(ErrorCode.SASL_AUTHENTICATION_FAILED);
      assertThat(idp.tokenRequests() - before).as("tries").isGreaterThan(1);
    } finally {
      idp.failTokenRequests(0);
    }
  }

  @Test
  void aRefusedClientIsNotAskedForAgain() {
    int before = idp.tokenRequests();
    Throwable t = with(granted(grant("wrong-" + SECRET)), c -> catchThrowable(() -> send(c, "never")));
    assertThat(t).hasMessageContaining("client id 'app'").hasMessageContaining("401")
        .hasMessageContaining("invalid_client").hasMessageNotContaining(SECRET);
    assertThat(idp.tokenRequests() - before).isEqualTo(1);
  }

  @Test
  void aRequestRefusedForAnExpiredTokenIsSentAgainOnceWithAFreshToken() {
    long now = System.currentTimeMillis() / 1000;
    String expired = key.sign(claims("app", 300).put("iat", now - 65).put("exp", now - 5));
    AtomicInteger asked = new AtomicInteger();
    with(options().bearerToken(() -> Uni.createFrom().item(() -> asked.incrementAndGet() == 1 ? expired
        : key.sign(claims("app", 300)))), c -> {
      send(c, "sent again");
      return null;
    });
    assertThat(asked.get()).isEqualTo(2);

    AtomicInteger askedAlways = new AtomicInteger();
    Throwable t = with(options().bearerToken(() -> Uni.createFrom().item(() -> {
      askedAlways.incrementAndGet();
      return expired;
    })), c -> catchThrowable(() -> send(c, "never")));
    assertThat(t).hasMessageContaining("token expired");
    assertThat(askedAlways.get()).as("the first token and one fresh one").isEqualTo(2);
  }

  @Test
  void aSourceWhoseFreshTokensAreRefusedTooIsNotAskedAgainForEachRefusedRequest() {
    long now = System.currentTimeMillis() / 1000;
    String expired = key.sign(claims("app", 300).put("iat", now - 65).put("exp", now - 5));
    AtomicInteger asked = new AtomicInteger();
    List<Throwable> refusals = with(options().bearerToken(() -> Uni.createFrom().item(() -> {
      asked.incrementAndGet();
      return expired;
    })), c -> List.of(catchThrowable(() -> send(c, "one")), catchThrowable(() -> send(c, "two")),
        catchThrowable(() -> send(c, "three"))));
    assertThat(refusals).allSatisfy(t -> assertThat(t).hasMessageContaining("token expired"));
    assertThat(asked.get()).as("the first token and one fresh one, not one per refused request").isEqualTo(2);
  }
}
