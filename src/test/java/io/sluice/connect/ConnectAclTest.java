package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestAcls;
import io.sluice.config.BrokerConfig;
import io.sluice.connect.ConnectTestSupport.Reply;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client allowed to manage connectors (Cluster Alter) is held, with the authorizer on, to what Kafka Connect's
 * workers need of their principal on a connector's topics: before, it created a sink copying a topic it could not
 * read, or a source writing one it could not write, and saw and changed every connector. The broker allows everything
 * no ACL applies to, so the anonymous client loses a right on a topic when an ACL there names someone else. The last
 * test takes Cluster Alter from it for good (an ACL on the cluster), hence the order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConnectAclTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  static Path dir;
  private static ConnectTestSupport connect;

  @BeforeAll
  static void start() throws Exception {
    connect = new ConnectTestSupport(dir.resolve("data"), GUARD, Map.of(BrokerConfig.AUTHORIZER_ENABLE, true,
        BrokerConfig.ALLOW_EVERYONE_IF_NO_ACL_FOUND, true, BrokerConfig.CONNECT_FILE_ALLOWED_PATHS, dir.toString()));
  }

  @AfterAll
  static void stop() throws Exception {
    connect.close();
  }

  private static void allow(String type, String name, String principal, String operation) throws Exception {
    connect.allow(type, name, principal, operation);
  }

  private static void createTopic(String name) throws Exception {
    connect.createTopic(name);
  }

  /** A sink that stays STOPPED: these tests are about who may define it, not about its records. */
  private static JsonObject sink(String name, String topicsKey, String topics) {
    return new JsonObject().put("name", name).put("initial_state", "STOPPED").put("config", new JsonObject()
        .put("connector.class", "FileStreamSink").put(topicsKey, topics)
        .put("file", dir.resolve(name + ".txt").toString()));
  }

  private static JsonObject source(String name, String topic) {
    return new JsonObject().put("name", name).put("initial_state", "STOPPED").put("config", new JsonObject()
        .put("connector.class", "LoadGenerator").put("topic", topic).put("records.per.second", 1));
  }

  private static void assertRefused(Reply r, String... named) {
    TestAcls.assertRefused(r.status(), r.body(), named);
  }

  @Test
  @Order(1)
  void creatingAConnectorNeedsReadOnWhatItReadsAndWriteOnWhatItWrites() throws Exception {
    createTopic("hr-salaries");
    createTopic("open-in");
    createTopic("read-only");
    allow("TOPIC", "hr-salaries", "User:payroll", "READ");
    allow("TOPIC", "read-only", "User:ANONYMOUS", "READ");

    assertRefused(connect.send("POST", "/connectors", sink("leak", "topics", "open-in,hr-salaries")),
        "Read topic 'hr-salaries'");
    assertRefused(connect.send("POST", "/connectors", sink("leak-regex", "topics.regex", "hr-.*")),
        "Read topic 'hr-salaries'");
    assertRefused(connect.send("POST", "/connectors", source("push", "read-only")), "Write topic 'read-only'");
    JsonObject dlq = sink("dlq", "topics", "open-in");
    dlq.getJsonObject("config").put("errors.tolerance", "all").put("errors.deadletterqueue.topic.name", "read-only");
    assertRefused(connect.send("POST", "/connectors", dlq), "Write topic 'read-only'");
    assertRefused(connect.send("PUT", "/connectors/put-leak/config", sink("put-leak", "topics", "hr-salaries")
        .getJsonObject("config")), "Read topic 'hr-salaries'");
    for (String name : new String[] {"leak", "leak-regex", "push", "dlq", "put-leak"}) {
      assertThat(connect.get("/connectors/" + name).status()).as(name + " stored").isEqualTo(404);
    }

    assertThat(connect.send("POST", "/connectors", sink("fine", "topics", "open-in,read-only")).status())
        .isEqualTo(201);
    assertThat(connect.send("POST", "/connectors", source("gen", "open-in")).status()).isEqualTo(201);
  }

  @Test
  @Order(2)
  void changingOrSeeingAConnectorNeedsWhatRunningItNeedsAndDoesNotNameItsTopics() throws Exception {
    createTopic("mirror-in");
    assertThat(connect.send("POST", "/connectors", sink("mirror", "topics", "mirror-in")).status()).isEqualTo(201);
    allow("TOPIC", "mirror-in", "User:owner", "READ");

    Reply[] refused = {connect.send("PUT", "/connectors/mirror/config", sink("mirror", "topics", "open-in")
        .getJsonObject("config")), connect.send("PUT", "/connectors/mirror/resume", null),
        connect.send("PUT", "/connectors/mirror/pause", null), connect.send("POST", "/connectors/mirror/restart", null),
        connect.send("DELETE", "/connectors/mirror/offsets", null),
        connect.send("PUT", "/connectors/mirror/topics/reset", null), connect.send("DELETE", "/connectors/mirror", null),
        connect.get("/connectors/mirror"), connect.get("/connectors/mirror/config"),
        connect.get("/connectors/mirror/status"), connect.get("/connectors/mirror/offsets")};
    for (Reply r : refused) {
      assertRefused(r, "connector 'mirror'");
      assertThat(r.body()).doesNotContain("mirror-in");
    }
    assertThat(connect.get("/connectors").array()).contains("fine").doesNotContain("mirror");
    assertThat(connect.get("/connectors?expand=status").json().fieldNames()).doesNotContain("mirror");
    Map<String, String> configs = connect.latest(ConnectState.CONFIGS_TOPIC);
    assertThat(configs.get(ConnectState.connectorKey("mirror"))).contains("mirror-in");
    assertThat(configs.get(ConnectState.targetStateKey("mirror"))).contains("STOPPED");
  }

  @Test
  @Order(3)
  void aConnectorMayNotNameTheBrokersInternalTopics() throws Exception {
    JsonObject dlq = sink("inner", "topics", "open-in");
    dlq.getJsonObject("config").put("errors.tolerance", "all")
        .put("errors.deadletterqueue.topic.name", "__consumer_offsets");
    for (JsonObject c : new JsonObject[] {sink("inner", "topics", "__consumer_offsets"),
        source("inner", "__connect_configs"), source("inner", "__consumer_offsets"), dlq}) {
      Reply r = connect.send("POST", "/connectors", c);
      assertThat(r.status()).as(r.body()).isEqualTo(400);
      assertThat(r.json().getInteger("error_code")).isEqualTo(17);
    }
    assertThat(ConnectAccess.matching(".*", java.util.List.of("__consumer_offsets", "__connect_status", "open-in")))
        .as("a regex sink never subscribes to the broker's topics").containsExactly("open-in");
  }

  /** Takes Cluster Alter from the anonymous client for good: the last test. */
  @Test
  @Order(4)
  void anUnknownConnectorIsRefusedLikeAHiddenOneToWhoMayNotCreateConnectors() throws Exception {
    // Who holds Cluster Alter is told 404 for an unknown connector (a create's 409 would tell it anyway).
    assertThat(connect.get("/connectors/nowhere").status()).isEqualTo(404);
    allow("CLUSTER", "kafka-cluster", "User:ANONYMOUS", "DESCRIBE");

    for (String[] call : new String[][] {{"GET", ""}, {"GET", "/status"}, {"GET", "/config"}, {"GET", "/tasks"},
        {"GET", "/offsets"}, {"GET", "/topics"}}) {
      Reply hidden = connect.send(call[0], "/connectors/mirror" + call[1], null);
      Reply unknown = connect.send(call[0], "/connectors/nowhere" + call[1], null);
      assertRefused(hidden, "connector 'mirror'");
      assertThat(unknown.status()).as(unknown.body()).isEqualTo(hidden.status());
      assertThat(unknown.body().replace("nowhere", "mirror")).isEqualTo(hidden.body());
      assertThat(hidden.body()).doesNotContain("mirror-in");
    }
    assertThat(connect.get("/connectors/fine").status()).isEqualTo(200);
  }
}
