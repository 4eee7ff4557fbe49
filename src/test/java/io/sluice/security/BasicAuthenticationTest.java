package io.sluice.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.client.ClientOptions;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.cli.UsersCommand;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP Basic authentication on two real brokers sharing one ZooKeeper, {@code authentication.method=BASIC}: the
 * first super user is written straight to ZooKeeper by {@code sluice users set}, every other change goes through
 * {@code /users}. The blocked-thread guard fails the test if PBKDF2 ran on an event loop.
 */
@Tag("several-brokers")
class BasicAuthenticationTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final long PROPAGATION_DEADLINE_MS = 30_000;

  @TempDir
  static Path dir;
  private static InProcessCluster cluster;
  private static Broker first;
  private static Broker second;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeAll
  static void start() throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).withHttp().set(BrokerConfig.AUTHENTICATION_METHOD, "BASIC")
        .set(BrokerConfig.SUPER_USERS, "User:admin").start(2);
    first = cluster.broker(1);
    second = cluster.broker(2);
    // The first super user, as the README bootstraps it: straight to ZooKeeper with the CLI.
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int exit = UsersCommand.run(new String[] {"set", "--zookeeper", first.zookeeperConnect(), "--user", "admin",
        "--password", "admin-secret", "--mechanism", "SCRAM-SHA-512"}, new PrintStream(out), System.err);
    assertThat(exit).as(out.toString()).isZero();
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void missingWrongAndUnknownCredentialsGet401WithAChallenge() throws Exception {
    for (String authorization : new String[] {null, basic("admin", "wrong"), basic("nobody", "admin-secret"),
        "Bearer abc", "Basic !!!"}) {
      HttpResponse<String> r = send(first, "GET", "/topics", authorization, null);
      assertThat(r.statusCode()).as(String.valueOf(authorization)).isEqualTo(401);
      assertThat(r.headers().firstValue("WWW-Authenticate")).contains("Basic realm=\"sluice\"");
      assertThat(new JsonObject(r.body()).getInteger("error_code")).isEqualTo(58);
    }
    assertThat(send(first, "GET", "/topics", basic("admin", "admin-secret"), null).statusCode()).isEqualTo(200);
    assertThat(send(second, "GET", "/topics", basic("admin", "admin-secret"), null).statusCode()).isEqualTo(200);
  }

  @Test
  void probesNeedNoCredentials() throws Exception {
    assertThat(send(first, "GET", "/health", null, null).statusCode()).isEqualTo(200);
    assertThat(send(first, "GET", "/ready", null, null).statusCode()).isEqualTo(200);
    assertThat(send(first, "GET", "/openapi", null, null).statusCode()).isEqualTo(401);
  }

  @Test
  void superUsersManageCredentialsThatEveryBrokerHonoursAtOnce() throws Exception {
    String admin = basic("admin", "admin-secret");
    HttpResponse<String> created = send(first, "PUT", "/users/alice/credentials/SCRAM-SHA-256", admin,
        "{\"password\": \"alice-1\", \"iterations\": 8192}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    assertThat(send(first, "GET", "/topics", basic("alice", "alice-1"), null).statusCode()).isEqualTo(200);
    awaitStatus(second, basic("alice", "alice-1"), 200);

    // alice is no super user; the listing shows mechanisms and iterations, never a secret
    HttpResponse<String> refused = send(first, "GET", "/users", basic("alice", "alice-1"), null);
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(new JsonObject(refused.body()).getInteger("error_code")).isEqualTo(10031);
    HttpResponse<String> listed = send(second, "GET", "/users", admin, null);
    assertThat(listed.body()).contains("\"user\":\"alice\"", "\"mechanism\":\"SCRAM-SHA-256\"", "\"iterations\":8192")
        .doesNotContain("salt", "stored_key", "server_key", "alice-1");

    // a new password: the old one stops working, on this broker at once (the same keep-alive connection too)
    assertThat(send(first, "PUT", "/users/alice/credentials/SCRAM-SHA-256", admin,
        "{\"password\": \"alice-2\"}").statusCode()).isEqualTo(200);
    assertThat(send(first, "GET", "/topics", basic("alice", "alice-1"), null).statusCode()).isEqualTo(401);
    assertThat(send(first, "GET", "/topics", basic("alice", "alice-2"), null).statusCode()).isEqualTo(200);
    awaitStatus(second, basic("alice", "alice-1"), 401);

    assertThat(send(second, "DELETE", "/users/alice", admin, null).statusCode()).isEqualTo(204);
    assertThat(send(second, "GET", "/topics", basic("alice", "alice-2"), null).statusCode()).isEqualTo(401);
    awaitStatus(first, basic("alice", "alice-2"), 401);
    assertThat(send(first, "DELETE", "/users/alice", admin, null).statusCode()).isEqualTo(404);
  }

  @Test
  void badCredentialRequestsAreRefused() throws Exception {
    String admin = basic("admin", "admin-secret");
    assertThat(send(first, "PUT", "/users/bob/credentials/SCRAM-SHA-1", admin, "{\"password\": \"x\"}").statusCode())
        .isEqualTo(400);
    assertThat(send(first, "PUT", "/users/bob/credentials/SCRAM-SHA-256", admin,
        "{\"password\": \"x\", \"iterations\": 10}").statusCode()).isEqualTo(400);
    assertThat(send(first, "PUT", "/users/__broker-9/credentials/SCRAM-SHA-256", admin, "{\"password\": \"x\"}")
        .statusCode()).isEqualTo(400);
  }

  @Test
  void webSocketHandshakesAuthenticate() throws Exception {
    URI uri = URI.create("ws://127.0.0.1:" + first.httpPort() + "/ws/produce?topic=ws-auth");
    Throwable refused = catchThrowable(() -> HTTP.newWebSocketBuilder().buildAsync(uri, new WebSocket.Listener() { })
        .join());
    assertThat(refused).isInstanceOf(CompletionException.class).hasCauseInstanceOf(WebSocketHandshakeException.class);
    assertThat(((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode()).isEqualTo(401);
    WebSocket ws = HTTP.newWebSocketBuilder().header("Authorization", basic("admin", "admin-secret"))
        .buildAsync(uri, new WebSocket.Listener() { }).get(30, TimeUnit.SECONDS);
    ws.abort();
  }

  /**
   * WebSocket and Server-Sent Events streams outlive their handshake: once their user is deleted, the next message
   * closes the WebSocket (1008) unwritten, and the event stream ends before it sends a record written afterwards.
   */
  @Test
  void streamsStopOnceTheirUsersCredentialsAreDeleted() throws Exception {
    String admin = basic("admin", "admin-secret");
    assertThat(send(first, "PUT", "/users/dave/credentials/SCRAM-SHA-256", admin, "{\"password\": \"dave-1\"}")
        .statusCode()).isEqualTo(201);
    HttpResponse<String> created = send(first, "POST", "/topics", admin,
        "{\"name\": \"revoked\", \"partitions\": 1, \"replication_factor\": 1}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String dave = basic("dave", "dave-1");
    java.util.concurrent.BlockingQueue<String> replies = new java.util.concurrent.LinkedBlockingQueue<>();
    java.util.concurrent.CompletableFuture<Integer> closed = new java.util.concurrent.CompletableFuture<>();
    WebSocket ws = HTTP.newWebSocketBuilder().header("Authorization", dave).buildAsync(
        URI.create("ws://127.0.0.1:" + first.httpPort() + "/ws/produce?topic=revoked"), new WebSocket.Listener() {
          @Override
          public java.util.concurrent.CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            replies.add(data.toString()); // replies are small: one part each
            w.request(1);
            return null;
          }

          @Override
          public java.util.concurrent.CompletionStage<?> onClose(WebSocket w, int status, String reason) {
            closed.complete(status);
            return null;
          }
        }).get(30, TimeUnit.SECONDS);
    HttpRequest sse = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + first.httpPort()
        + "/topics/revoked/partitions/0/events?offset=0")).header("Authorization", dave).build();
    java.util.Iterator<String> events = HTTP.send(sse, HttpResponse.BodyHandlers.ofLines()).body().iterator();
    ws.sendText("{\"records\": [{\"value\": \"before\"}]}", true).get(30, TimeUnit.SECONDS);
    assertThat(replies.poll(30, TimeUnit.SECONDS)).contains("\"offset\":0");
    String line;
    do {
      line = events.next();
    } while (!line.contains("before"));

    assertThat(send(first, "DELETE", "/users/dave", admin, null).statusCode()).isEqualTo(204);
    ws.sendText("{\"records\": [{\"value\": \"after\"}]}", true).get(30, TimeUnit.SECONDS);
    assertThat(closed.get(30, TimeUnit.SECONDS)).isEqualTo(1008);
    assertThat(replies).isEmpty();
    HttpResponse<String> written = send(first, "POST", "/topics/revoked", admin,
        "{\"records\": [{\"value\": \"after-admin\"}]}");
    assertThat(written.body()).contains("\"offset\":1");
    java.util.List<String> rest = new java.util.ArrayList<>();
    events.forEachRemaining(rest::add); // ends once the stream ends
    assertThat(String.join("\n", rest)).contains("event: error", "\"error_code\":58").doesNotContain("after");
  }

  @Test
  void theJavaClientSendsItsCredentials() throws Exception {
    String bootstrap = "http://127.0.0.1:" + first.httpPort();
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap(bootstrap).credentials("admin", "admin-secret"));
    try {
      client.admin().createTopic("client-auth", 2, 1, Map.of()).await().atMost(Duration.ofSeconds(30));
      var producer = client.producer(ProducerOptions.defaults());
      producer.send(ProducerRecord.of("client-auth", "k", "v")).await().atMost(Duration.ofSeconds(30));
      // Kafka's alter/describeUserScramCredentials through the client's Admin
      client.admin().upsertUserScramCredential("carol", "SCRAM-SHA-512", 4096, "carol-secret").await()
          .atMost(Duration.ofSeconds(30));
      assertThat(client.admin().describeUserScramCredentials().await().atMost(Duration.ofSeconds(30)))
          .containsEntry("carol", Map.of("SCRAM-SHA-512", 4096));
      assertThat(send(first, "GET", "/topics", basic("carol", "carol-secret"), null).statusCode()).isEqualTo(200);
      client.admin().deleteUserScramCredential("carol", "SCRAM-SHA-512").await().atMost(Duration.ofSeconds(30));
      assertThat(client.admin().describeUserScramCredentials().await().atMost(Duration.ofSeconds(30)))
          .doesNotContainKey("carol");
    } finally {
      client.close().await().atMost(Duration.ofSeconds(30));
    }
    SluiceClient anonymous = SluiceClient.create(ClientOptions.bootstrap(bootstrap));
    try {
      Throwable t = catchThrowable(() -> anonymous.admin().listTopics().await().atMost(Duration.ofSeconds(30)));
      assertThat(t).isInstanceOf(SluiceException.class);
      assertThat(((SluiceException) t).errorCode()).isEqualTo(ErrorCode.SASL_AUTHENTICATION_FAILED);
    } finally {
      anonymous.close().await().atMost(Duration.ofSeconds(30));
    }
  }

  /** Repeats the request until it gets {@code status}: another broker hears of a change from ZooKeeper. */
  private static void awaitStatus(Broker broker, String authorization, int status) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PROPAGATION_DEADLINE_MS);
    int seen;
    do {
      // a refused attempt is answered after the failure delay: the loop is paced by it
      seen = send(broker, "GET", "/topics", authorization, null).statusCode();
    } while (seen != status && System.nanoTime() < deadline);
    assertThat(seen).isEqualTo(status);
  }

  static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static HttpResponse<String> send(Broker broker, String method, String path, String authorization,
      String json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort() + path))
        .timeout(Duration.ofSeconds(30))
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
