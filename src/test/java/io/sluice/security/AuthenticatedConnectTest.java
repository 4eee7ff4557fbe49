package io.sluice.security;

import static io.sluice.security.BasicAuthenticationTest.basic;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestAcls;
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
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connect worker inside a broker with authentication on reaches the cluster through its own HTTP client, which
 * authenticates as the broker ({@code __broker-<id>} and the cluster's token): a connector created by a super user
 * writes its records, and its status (read back from {@code __connect_status} through that client) shows RUNNING.
 * Its tasks read as the broker, yet a sink reads only what the principal who wrote its config may read.
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

  /**
   * A sink's {@code topics.regex} subscription grows with the topics created since its config was written; its task
   * reads as the broker, so before, it read a matching topic its creator (alice) was refused.
   */
  @Test
  void aRegexSinkSkipsAMatchingTopicItsCreatorMayNotRead() throws Exception {
    broker = TestBrokers.start(TestBrokers.config(dir, Map.of(BrokerConfig.AUTHENTICATION_METHOD, "BASIC",
        BrokerConfig.SUPER_USERS, "User:admin", BrokerConfig.AUTHORIZER_ENABLE, true, BrokerConfig.STREAMS_ENABLED,
        false, BrokerConfig.HTTP_INSTANCES, 1, BrokerConfig.CONNECT_FILE_ALLOWED_PATHS, dir.toString())),
        GUARD, HttpListener::new);
    for (String[] user : new String[][] {{"admin", "admin-secret"}, {"alice", "alice-secret"}}) {
      assertThat(UsersCommand.run(new String[] {"set", "--zookeeper", broker.zookeeperConnect(), "--user", user[0],
          "--password", user[1]}, new PrintStream(new ByteArrayOutputStream()), System.err)).isZero();
    }
    String alice = basic("alice", "alice-secret");
    await(() -> "UP".equals(new JsonObject(get("/health", null).body()).getJsonObject("services")
        .getString("connect")), "the connect worker to start");
    allow("CLUSTER", "kafka-cluster", "ALTER");
    allow("CLUSTER", "kafka-cluster", "DESCRIBE");
    allow("TOPIC", "feed-a", "READ");
    allow("TOPIC", "feed-c", "READ");
    allow("TOPIC", "feed-d", "READ");
    createTopic("feed-a");
    createTopic("feed-c");
    JsonObject sink = new JsonObject().put("name", "feeds").put("config", new JsonObject()
        .put("connector.class", "FileStreamSink").put("topics.regex", "feed-.*")
        .put("file", dir.resolve("feeds.txt").toString()));
    HttpResponse<String> created = send("POST", "/connectors", alice, sink.encode());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    await(() -> assigned("connect-feeds").containsAll(List.of("feed-a", "feed-c")), "feed-a and feed-c assigned");

    createTopic("feed-hidden"); // nobody allowed alice to read it
    HttpResponse<String> another = send("POST", "/connectors", alice, sink.put("name", "feeds2").encode());
    assertThat(another.statusCode()).as(another.body()).isEqualTo(403);
    createTopic("feed-d");
    HttpResponse<String> restarted = send("POST", "/connectors/feeds/restart?includeTasks=true", alice, null);
    assertThat(restarted.statusCode()).as(restarted.body()).isEqualTo(202);
    // The restarted task's subscription is computed once, with feed-d and feed-hidden both there.
    await(() -> assigned("connect-feeds").contains("feed-d"), "feed-d assigned after the restart");
    assertThat(assigned("connect-feeds")).containsExactly("feed-a", "feed-c", "feed-d");
  }

  private void createTopic(String topic) throws Exception {
    HttpResponse<String> r = send("POST", "/topics", ADMIN, new JsonObject().put("name", topic)
        .put("partitions", 1).put("replication_factor", 1).encode());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }

  private void allow(String type, String name, String operation) throws Exception {
    HttpResponse<String> r = send("POST", "/acls", ADMIN, TestAcls.allow(type, name, "User:alice", operation)
        .encode());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }

  private java.util.Set<String> assigned(String group) throws Exception {
    java.util.Set<String> topics = new java.util.TreeSet<>();
    HttpResponse<String> r = get("/consumer-groups/" + group, ADMIN);
    if (r.statusCode() == 200) {
      new JsonObject(r.body()).getJsonArray("members").stream()
          .flatMap(m -> ((JsonObject) m).getJsonArray("partitions").stream())
          .forEach(p -> topics.add(((JsonObject) p).getString("topic")));
    }
    return topics;
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  private static void await(Check check, String what) throws Exception {
    Awaitility.await(what).atMost(Duration.ofSeconds(TestBrokers.START_TIMEOUT_S)).until(check::holds);
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
