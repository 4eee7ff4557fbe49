package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestAcls;
import io.sluice.cli.UsersCommand;
import io.sluice.config.BrokerConfig;
import io.sluice.connect.ConnectTestSupport.Reply;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A connector's tasks move only what the principal who wrote its config may, checked while they run: the topics a
 * transformation routes a source's records to, a sink's topics after its owner loses Read, the dead letter queue
 * (written, and created, as the owner), and a connector with no recorded owner. Its tasks reach the cluster as the
 * broker ({@code __broker-<id>}, authentication on), so before, each of these moved records the owner was refused.
 * The broker allows everything no ACL applies to, so alice loses a right on a topic when an ACL there names someone
 * else; the cluster has ACLs (Alter and Describe for alice, to manage connectors), so Create on it is refused.
 */
class ConnectOwnerRightsTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String JSON = "org.apache.kafka.connect.json.JsonConverter";

  @TempDir
  static Path dir;
  private static ConnectTestSupport connect;

  @BeforeAll
  static void start() throws Exception {
    connect = new ConnectTestSupport(dir.resolve("data"), GUARD, Map.of(BrokerConfig.AUTHENTICATION_METHOD, "BASIC",
        BrokerConfig.AUTHORIZER_ENABLE, true, BrokerConfig.ALLOW_EVERYONE_IF_NO_ACL_FOUND, true,
        BrokerConfig.CONNECT_FILE_ALLOWED_PATHS, dir.toString()));
    assertThat(UsersCommand.run(new String[] {"set", "--zookeeper", connect.broker.zookeeperConnect(), "--user",
        "alice", "--password", "alice-secret"}, new PrintStream(new ByteArrayOutputStream()), System.err)).isZero();
    connect.authorization = "Basic " + Base64.getEncoder().encodeToString("alice:alice-secret"
        .getBytes(StandardCharsets.UTF_8));
    allow("CLUSTER", "kafka-cluster", "User:alice", "ALTER");
    allow("CLUSTER", "kafka-cluster", "User:alice", "DESCRIBE");
  }

  @AfterAll
  static void stop() throws Exception {
    connect.close();
  }

  private static void allow(String type, String name, String principal, String operation) throws Exception {
    connect.allow(type, name, principal, operation);
  }

  /**
   * Takes {@code operation} on {@code topic} from alice: an ACL there now names someone else. She keeps Describe,
   * so she still sees the topic and the connectors that name it.
   */
  private static void takeAway(String topic, String operation) throws Exception {
    allow("TOPIC", topic, "User:someone-else", operation);
    allow("TOPIC", topic, "User:alice", "DESCRIBE");
  }

  private static void createTopic(String name) throws Exception {
    connect.createTopic(name);
  }

  private static long endOffset(String topic) throws Exception {
    return connect.get("/topics/" + topic + "/partitions/0/offsets").json().getLong("end_offset");
  }

  private static JsonObject generator(String topic) {
    return new JsonObject().put("connector.class", "LoadGenerator").put("topic", topic)
        .put("records.per.second", 50).put("task.restart.max.attempts", "0");
  }

  private static JsonObject routed(String from, String to) {
    return generator(from).put("transforms", "route").put("transforms.route.type", "RegexRouter")
        .put("transforms.route.regex", from).put("transforms.route.replacement", to);
  }

  private static JsonObject sink(String topic, String file) {
    return new JsonObject().put("connector.class", "FileStreamSink").put("topics", topic)
        .put("file", dir.resolve(file).toString()).put("task.restart.max.attempts", "0");
  }

  private static String taskTrace(String connector) throws Exception {
    return connect.get("/connectors/" + connector + "/tasks/0/status").json().getString("trace");
  }

  private static void awaitFailed(String connector, int task) {
    await().atMost(WAIT).until(() -> "FAILED".equals(connect.state(connector, task)));
  }

  private static List<String> lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file) : List.of();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aSourceWhoseTransformationRoutesToATopicItsOwnerMayNotWriteFails() throws Exception {
    createTopic("route-in");
    createTopic("route-secret");
    takeAway("route-secret", "WRITE");
    connect.create("router", routed("route-in", "route-secret"));

    awaitFailed("router", 0);
    assertThat(taskTrace("router")).contains("Not authorized to access topics: [route-secret]")
        .contains("User:alice is not authorized to Write topic 'route-secret'");
    assertThat(endOffset("route-secret")).isZero();
  }

  @Test
  void underErrorsToleranceAllARefusedRecordIsSkippedAndTheSourceGoesOn() throws Exception {
    createTopic("skip-in");
    createTopic("skip-secret");
    takeAway("skip-secret", "WRITE");
    connect.create("skipper", routed("skip-in", "skip-secret").put("errors.tolerance", "all"));

    // The skipped records' source offsets are committed, as Kafka commits those of records its producer failed.
    await().atMost(WAIT).until(() -> !connect.get("/connectors/skipper/offsets").json().getJsonArray("offsets")
        .isEmpty());
    assertThat(connect.state("skipper", 0)).isEqualTo("RUNNING");
    assertThat(endOffset("skip-secret")).isZero();
  }

  @Test
  void aSourceFailsOnceItsOwnerLosesWriteOnTheTopicItWrites() throws Exception {
    createTopic("live-out");
    connect.create("live", generator("live-out"));
    await().atMost(WAIT).until(() -> endOffset("live-out") > 0);

    takeAway("live-out", "WRITE");
    awaitFailed("live", 0);
    assertThat(taskTrace("live")).contains("Not authorized to access topics: [live-out]");
  }

  @Test
  void aSourceCreatesATopicOnlyIfItsOwnerMayCreateIt() throws Exception {
    createTopic("made-in");
    allow("TOPIC", "made-secret", "User:alice", "WRITE"); // Write, but not Create, on the missing topic
    connect.create("maker", routed("made-in", "made-secret"));

    awaitFailed("maker", 0);
    assertThat(taskTrace("maker")).contains("User:alice is not authorized to Create topic 'made-secret'");
    assertThat(connect.get("/topics/made-secret").status()).isEqualTo(404);
  }

  @Test
  void topicCreationMakesATopicOnlyIfItsOwnerMayCreateIt() throws Exception {
    allow("TOPIC", "grouped-secret", "User:alice", "WRITE"); // Write, but not Create, on the missing topic
    connect.create("grouped-maker", generator("grouped-secret").put("topic.creation.default.partitions", 2)
        .put("topic.creation.default.replication.factor", 1));
    awaitFailed("grouped-maker", 0);
    assertThat(taskTrace("grouped-maker")).contains("could not create topic 'grouped-secret'")
        .contains("User:alice is not authorized to Create topic 'grouped-secret'");
    assertThat(connect.get("/topics/grouped-secret").status()).isEqualTo(404);

    allow("TOPIC", "grouped-open", "User:alice", "WRITE");
    allow("TOPIC", "grouped-open", "User:alice", "CREATE");
    connect.create("grouped-open-maker", generator("grouped-open").put("topic.creation.default.partitions", 2)
        .put("topic.creation.default.replication.factor", 1));
    await().atMost(WAIT).until(() -> connect.get("/topics/grouped-open").status() == 200);
    assertThat(connect.get("/topics/grouped-open").json().getJsonArray("partitions")).hasSize(2);
  }

  @Test
  void aSinkFailsOnceItsOwnerLosesReadOnItsTopic() throws Exception {
    createTopic("feed-in");
    connect.produce("feed-in", null, "first");
    Path out = dir.resolve("feed.txt");
    connect.create("feed", sink("feed-in", "feed.txt").put("value.converter",
        "org.apache.kafka.connect.storage.StringConverter"));
    await().atMost(WAIT).until(() -> lines(out).contains("first"));

    takeAway("feed-in", "READ");
    awaitFailed("feed", 0);
    assertThat(taskTrace("feed")).contains("Not authorized to access topics: [feed-in]")
        .contains("User:alice is not authorized to Read topic 'feed-in'");
  }

  @Test
  void aSinksDeadLetterQueueNeedsCreateWhenItMustBeCreated() throws Exception {
    createTopic("dlq-src");
    allow("TOPIC", "dlq-new", "User:alice", "WRITE"); // Write, but not Create, on the missing topic
    JsonObject config = sink("dlq-src", "dlq-new.txt").put("errors.tolerance", "all")
        .put("errors.deadletterqueue.topic.name", "dlq-new");
    Reply r = connect.send("POST", "/connectors", new JsonObject().put("name", "dlq-new").put("config", config));
    TestAcls.assertRefused(r.status(), r.body(), "Create topic 'dlq-new'");
    assertThat(connect.get("/connectors/dlq-new").status()).isEqualTo(404);
  }

  @Test
  void aSinkFailsRatherThanWriteItsDeadLetterQueueWithoutItsOwnersWrite() throws Exception {
    createTopic("bad-in");
    createTopic("bad-dlq");
    connect.produce("bad-in", null, "{\"ok\": 1}");
    Path out = dir.resolve("bad.txt");
    connect.create("bad", sink("bad-in", "bad.txt").put("value.converter", JSON)
        .put("value.converter.schemas.enable", "false").put("errors.tolerance", "all")
        .put("errors.deadletterqueue.topic.name", "bad-dlq"));
    await().atMost(WAIT).until(() -> lines(out).contains("{ok=1}"));

    takeAway("bad-dlq", "WRITE");
    connect.produce("bad-in", null, "not json");
    awaitFailed("bad", 0);
    assertThat(taskTrace("bad")).contains("Not authorized to access topics: [bad-dlq]");
    assertThat(endOffset("bad-dlq")).isZero();
  }

  @Test
  void aConnectorWithNoRecordedOwnerDoesNotStartUntilItsConfigIsResubmitted() throws Exception {
    createTopic("legacy-out");
    JsonObject config = generator("legacy-out");
    Reply created = connect.send("POST", "/connectors", new JsonObject().put("name", "legacy")
        .put("initial_state", "STOPPED").put("config", config));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    // As a broker from before owners were recorded left it: no creator record.
    connect.produce(ConnectState.CONFIGS_TOPIC, ConnectState.creatorKey("legacy"), null);
    await().atMost(WAIT).until(() -> connect.latest(ConnectState.CONFIGS_TOPIC)
        .get(ConnectState.creatorKey("legacy")) == null);

    assertThat(connect.send("PUT", "/connectors/legacy/resume", null).status()).isEqualTo(202);
    await().atMost(WAIT).until(() -> "FAILED".equals(connect.state("legacy", -1)));
    String trace = connect.get("/connectors/legacy/status").json().getJsonObject("connector").getString("trace");
    assertThat(trace).contains("no recorded owner").contains("PUT /connectors/legacy/config");
    assertThat(endOffset("legacy-out")).isZero();

    Reply resubmitted = connect.send("PUT", "/connectors/legacy/config", config);
    assertThat(resubmitted.status()).as(resubmitted.body()).isEqualTo(200);
    connect.awaitState("legacy", -1, "RUNNING");
    await().atMost(WAIT).until(() -> endOffset("legacy-out") > 0);
  }
}
