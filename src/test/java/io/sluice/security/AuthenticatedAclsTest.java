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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Authentication and ACLs together, as a production cluster runs them: the ACLs name users by the principal their
 * HTTP Basic credentials establish, and the quotas' and users' management is the super user's.
 */
class AuthenticatedAclsTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final String ADMIN = basic("admin", "admin-secret");
  private static final String ALICE = basic("alice", "alice-secret");
  private static final String BOB = basic("bob", "bob-secret");

  @TempDir
  static Path dir;
  private static Broker broker;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @BeforeAll
  static void start() throws Exception {
    broker = TestBrokers.start(TestBrokers.config(dir, Map.of(BrokerConfig.AUTHENTICATION_METHOD, "BASIC",
        BrokerConfig.AUTHORIZER_ENABLE, true, BrokerConfig.SUPER_USERS, "User:admin",
        BrokerConfig.CONNECT_ENABLED, false, BrokerConfig.STREAMS_ENABLED, false)), GUARD, HttpListener::new);
    int exit = UsersCommand.run(new String[] {"set", "--zookeeper", broker.zookeeperConnect(), "--user", "admin",
        "--password", "admin-secret"}, new PrintStream(new ByteArrayOutputStream()), System.err);
    assertThat(exit).isZero();
    for (String user : new String[] {"alice", "bob"}) {
      assertThat(send("PUT", "/users/" + user + "/credentials/SCRAM-SHA-256", ADMIN,
          new JsonObject().put("password", user + "-secret")).statusCode()).isEqualTo(201);
    }
    assertThat(send("POST", "/topics", ADMIN, new JsonObject().put("name", "orders").put("partitions", 1))
        .statusCode()).isEqualTo(201);
  }

  @AfterAll
  static void stop() throws Exception {
    TestBrokers.close(broker);
  }

  private static HttpResponse<String> send(String method, String path, String authorization, JsonObject body)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort() + path))
        .timeout(Duration.ofSeconds(30)).header("Authorization", authorization)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (body != null) {
      b.header("Content-Type", path.startsWith("/topics/") ? "application/vnd.kafka.json.v2+json" : "application/json");
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonObject record() {
    return new JsonObject().put("records", new io.vertx.core.json.JsonArray().add(new JsonObject().put("value", 1)));
  }

  @Test
  void anAclNamesTheAuthenticatedUserAndNoOneElse() throws Exception {
    HttpResponse<String> refused = send("POST", "/topics/orders", ALICE, record());
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
    assertThat(new JsonObject(refused.body()).getString("message"))
        .contains("User:alice is not authorized to Write topic 'orders'");

    HttpResponse<String> granted = send("POST", "/acls", ADMIN, new JsonObject().put("resource_type", "TOPIC")
        .put("resource_name", "orders").put("pattern_type", "LITERAL").put("principal", "User:alice")
        .put("host", "*").put("operation", "WRITE").put("permission", "ALLOW"));
    assertThat(granted.statusCode()).as(granted.body()).isEqualTo(201);

    HttpResponse<String> written = send("POST", "/topics/orders", ALICE, record());
    assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
    HttpResponse<String> stillRefused = send("POST", "/topics/orders", BOB, record());
    assertThat(stillRefused.statusCode()).as(stillRefused.body()).isEqualTo(403);
    assertThat(stillRefused.body()).contains("User:bob");
  }

  @Test
  void onlyTheSuperUserManagesAclsQuotasUsersAndBrokerConfigs() throws Exception {
    assertThat(send("GET", "/acls", ALICE, null).statusCode()).isEqualTo(403);
    assertThat(send("GET", "/client-quotas", ALICE, null).statusCode()).isEqualTo(403);
    assertThat(send("GET", "/users", ALICE, null).statusCode()).isEqualTo(403);
    assertThat(send("GET", "/acls", ADMIN, null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/client-quotas", ADMIN, null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/users", ADMIN, null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/brokers/1/configs", ALICE, null).statusCode()).isEqualTo(403);
    assertThat(send("GET", "/brokers/1/configs", ADMIN, null).statusCode()).isEqualTo(200);
  }
}
