package io.sluice.security;

import static io.sluice.security.TestIdentityProvider.claims;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.client.ClientOptions;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.config.BrokerConfig;
import io.sluice.config.OAuthBearerConfig;
import io.sluice.http.HttpListener;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker with {@code authentication.method=OAUTHBEARER} alone (BASIC off) and ACLs, against a loopback identity
 * provider: a token's subject is the principal ACLs decide by, a refused token is answered 401 with RFC 6750's
 * challenge and the reason, an SSE stream ends when its token expires, the connect worker still reaches the
 * cluster as the broker, and the Java client sends its supplier's tokens.
 */
class OAuthBearerHttpTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  static Path dir;
  private static Broker broker;
  private static TestIdentityProvider idp;
  private static TestIdentityProvider.SigningKey key;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeAll
  static void start() throws Exception {
    idp = new TestIdentityProvider();
    key = idp.newKey("k1");
    idp.serve(key);
    broker = TestBrokers.start(TestBrokers.config(dir, Map.of(BrokerConfig.AUTHENTICATION_METHOD, "OAUTHBEARER",
        OAuthBearerConfig.JWKS_URL, idp.jwksUrl(), OAuthBearerConfig.EXPECTED_AUDIENCE, "sluice",
        OAuthBearerConfig.EXPECTED_ISSUER, TestIdentityProvider.ISSUER, OAuthBearerConfig.CLOCK_SKEW_SECONDS, 0,
        BrokerConfig.AUTHORIZER_ENABLE, true, BrokerConfig.SUPER_USERS, "User:admin",
        BrokerConfig.STREAMS_ENABLED, false, BrokerConfig.HTTP_INSTANCES, 1)), GUARD, HttpListener::new);
    HttpResponse<String> created = send("POST", "/topics", admin(), new JsonObject().put("name", "orders")
        .put("partitions", 1));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
  }

  @AfterAll
  static void stop() throws Exception {
    TestBrokers.close(broker);
    idp.close();
  }

  private static String admin() {
    return "Bearer " + key.sign(claims("admin", 300));
  }

  private static HttpResponse<String> send(String method, String path, String authorization, JsonObject body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort() + path))
        .timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    if (body != null) {
      b.header("Content-Type", path.startsWith("/topics/") ? "application/vnd.kafka.json.v2+json" : "application/json");
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject record() {
    return new JsonObject().put("records", new JsonArray().add(new JsonObject().put("value", 1)));
  }

  private static void allow(String user, String operation) throws Exception {
    HttpResponse<String> granted = send("POST", "/acls", admin(), new JsonObject().put("resource_type", "TOPIC")
        .put("resource_name", "orders").put("pattern_type", "LITERAL").put("principal", "User:" + user)
        .put("host", "*").put("operation", operation).put("permission", "ALLOW"));
    assertThat(granted.statusCode()).as(granted.body()).isEqualTo(201);
  }

  @Test
  void refusedCallersGet401WithTheBearerChallengeAndTheReason() throws Exception {
    HttpResponse<String> none = send("GET", "/topics", null, null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().allValues("WWW-Authenticate")).containsExactly("Bearer realm=\"sluice\"");

    long now = System.currentTimeMillis() / 1000;
    HttpResponse<String> expired = send("GET", "/topics", "Bearer " + key.sign(claims("alice", 300)
        .put("exp", now - 5)), null);
    assertThat(expired.statusCode()).isEqualTo(401);
    assertThat(expired.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"sluice\","
        + " error=\"invalid_token\"");
    JsonObject error = new JsonObject(expired.body());
    assertThat(error.getInteger("error_code")).isEqualTo(58);
    assertThat(error.getString("message")).contains("expired");

    HttpResponse<String> wrongAudience = send("GET", "/topics", "Bearer " + key.sign(claims("alice", 300)
        .put("aud", "billing")), null);
    assertThat(wrongAudience.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(wrongAudience.body()).getString("message")).contains("audience");

    HttpResponse<String> basic = send("GET", "/topics", BasicAuthenticationTest.basic("alice", "pw"), null);
    assertThat(basic.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(basic.body()).getString("message")).contains("HTTP Basic is not accepted");
  }

  @Test
  void theTokensSubjectIsThePrincipalTheAclsDecideBy() throws Exception {
    String bob = "Bearer " + key.sign(claims("bob", 300));
    HttpResponse<String> refused = send("POST", "/topics/orders", bob, record());
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
    assertThat(new JsonObject(refused.body()).getString("message")).contains("User:bob");
    allow("bob", "WRITE");
    HttpResponse<String> written = send("POST", "/topics/orders", bob, record());
    assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
    String dave = "Bearer " + key.sign(claims("dave", 300));
    assertThat(send("POST", "/topics/orders", dave, record()).statusCode()).isEqualTo(403);
  }

  @Test
  void anSseStreamEndsWhenItsTokenExpires() throws Exception {
    allow("carol", "READ");
    allow("carol", "DESCRIBE");
    long now = System.currentTimeMillis() / 1000;
    String carol = "Bearer " + key.sign(claims("carol", 300).put("exp", now + 5));
    HttpRequest events = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort()
        + "/topics/orders/partitions/0/events?offset=0")).header("Authorization", carol).build();
    // The stream ends by itself once the token expires (its next poll at the latest): the whole body is read.
    HttpResponse<java.util.stream.Stream<String>> stream = HTTP.send(events, HttpResponse.BodyHandlers.ofLines());
    assertThat(stream.statusCode()).isEqualTo(200);
    List<String> lines = stream.body().collect(Collectors.toList());
    assertThat(String.join("\n", lines)).contains("event: error", "\"error_code\":58", "bearer token", "expired");
  }

  @Test
  void idleWebSocketsCloseAtTheirTokensExpiry() throws Exception {
    allow("frank", "READ");
    allow("frank", "DESCRIBE");
    allow("frank", "WRITE");
    // Neither stream is sent a frame nor reads (the consumer grants no credit): only the expiry can close them.
    for (String path : List.of("/ws/consume?topic=orders&partition=0", "/ws/produce?topic=orders")) {
      String frank = "Bearer " + key.sign(claims("frank", 300).put("exp", System.currentTimeMillis() / 1000 + 5));
      java.util.concurrent.CompletableFuture<String> closed = new java.util.concurrent.CompletableFuture<>();
      HTTP.newWebSocketBuilder().header("Authorization", frank).buildAsync(URI.create("ws://127.0.0.1:"
          + broker.httpPort() + path), new java.net.http.WebSocket.Listener() {
            @Override
            public java.util.concurrent.CompletionStage<?> onClose(java.net.http.WebSocket ws, int status,
                String reason) {
              closed.complete(status + " " + reason);
              return null;
            }
          }).get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(closed.get(60, java.util.concurrent.TimeUnit.SECONDS)).as(path)
          .startsWith("1008 ").contains("bearer token", "expired");
    }
  }

  @Test
  void theConnectWorkerReachesTheClusterAsTheBrokerWithBasicOff() throws Exception {
    Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> "UP".equals(new JsonObject(
        send("GET", "/health", null, null).body()).getJsonObject("services").getString("connect")));
    JsonObject connector = new JsonObject().put("name", "gen").put("config", new JsonObject()
        .put("connector.class", "LoadGenerator").put("topic", "generated").put("max.records", "20")
        .put("records.per.second", "0").put("tasks.max", "1"));
    HttpResponse<String> created = send("POST", "/connectors", admin(), connector);
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    Awaitility.await().atMost(Duration.ofSeconds(120)).until(() -> {
      HttpResponse<String> offsets = send("GET", "/topics/generated/partitions/0/offsets", admin(), null);
      return offsets.statusCode() == 200 && new JsonObject(offsets.body()).getLong("end_offset") >= 20;
    });
  }

  @Test
  void theJavaClientSendsItsSuppliersTokens() throws Exception {
    allow("erin", "WRITE");
    AtomicInteger asked = new AtomicInteger();
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:" + broker.httpPort())
        .bearerToken(() -> Uni.createFrom().item(() -> {
          asked.incrementAndGet();
          return key.sign(claims("erin", 300));
        })));
    try {
      var producer = client.producer(ProducerOptions.defaults());
      for (int i = 0; i < 3; i++) {
        producer.send(ProducerRecord.of("orders", "k", "v" + i)).await().atMost(Duration.ofSeconds(30));
      }
      assertThat(asked.get()).isEqualTo(1);
    } finally {
      client.close().await().atMost(Duration.ofSeconds(30));
    }
    SluiceClient withoutToken = SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:"
        + broker.httpPort()));
    try {
      Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> withoutToken.producer(
          ProducerOptions.defaults()).send(ProducerRecord.of("orders", "k", "v")).await()
          .atMost(Duration.ofSeconds(30)));
      assertThat(t).hasMessageContaining("bearer token");
    } finally {
      withoutToken.close().await().atMost(Duration.ofSeconds(30));
    }
  }
}
