package io.sluice.security;

import static io.sluice.security.BasicAuthenticationTest.basic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.cli.UsersCommand;
import io.sluice.config.BrokerConfig;
import io.sluice.http.HttpListener;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connect worker inside a broker with authentication on reaches the cluster through its own HTTP client, which
 * authenticates as the broker ({@code __broker-<id>} and the cluster's token): a connector created by a super user
 * writes its records, and its status (read back from {@code __connect_status} through that client) shows RUNNING.
 */
class AuthenticatedConnectTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final String ADMIN = basic("admin", "admin-secret");

  @TempDir
  Path dir;
  private Broker broker;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @AfterEach
  void stop() throws Exception {
    TestBrokers.close(broker);
  }

  @Test
  void aConnectorWritesThroughTheBrokersOwnCredentials() throws Exception {
    broker = TestBrokers.start(TestBrokers.config(dir, Map.of(BrokerConfig.AUTHENTICATION_METHOD, "BASIC",
        BrokerConfig.SUPER_USERS, "User:admin", BrokerConfig.STREAMS_ENABLED, false, BrokerConfig.HTTP_INSTANCES, 1)),
        GUARD, HttpListener::new);
    assertThat(UsersCommand.run(new String[] {"set", "--zookeeper", broker.zookeeperConnect(), "--user", "admin",
        "--password", "admin-secret"}, new PrintStream(new ByteArrayOutputStream()), System.err)).isZero();
    await(() -> "UP".equals(new JsonObject(get("/health", null).body()).getJsonObject("services")
        .getString("connect")), "the connect worker to start");

    JsonObject connector = new JsonObject().put("name", "gen").put("config", new JsonObject()
        .put("connector.class", "LoadGenerator").put("topic", "generated").put("max.records", "50")
        .put("records.per.second", "0").put("tasks.max", "1"));
    HttpResponse<String> created = send("POST", "/connectors", ADMIN, connector.encode());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    assertThat(send("POST", "/connectors", null, connector.encode()).statusCode()).isEqualTo(401);

    await(() -> {
      HttpResponse<String> offsets = get("/topics/generated/partitions/0/offsets", ADMIN);
      return offsets.statusCode() == 200 && new JsonObject(offsets.body()).getLong("end_offset") >= 50;
    }, "the connector's 50 records");
    await(() -> get("/connectors/gen/status", ADMIN).body().contains("RUNNING"), "the connector's status");
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  private static void await(Check check, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TestBrokers.START_TIMEOUT_S);
    while (!check.holds()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      Thread.sleep(20); // polling a condition with a deadline
    }
  }

  private HttpResponse<String> get(String path, String authorization) throws Exception {
    return send("GET", path, authorization, null);
  }

  private HttpResponse<String> send(String method, String path, String authorization, String json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort() + path))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
