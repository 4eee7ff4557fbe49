package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a connector's status says when a topic it uses, or the connector itself, is deleted at runtime: a sink gives
 * up a deleted topic and keeps running (Kafka Connect, KAFKA-14750), and a deleted connector leaves no status or
 * active topic behind for one created again under its name.
 */
class ConnectDeletionTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dir;
  private ConnectTestSupport connect;

  @BeforeEach
  void start() throws Exception {
    connect = new ConnectTestSupport(dir.resolve("data"), GUARD,
        Map.of(io.sluice.config.BrokerConfig.CONNECT_FILE_ALLOWED_PATHS, dir.toString(),
            io.sluice.config.BrokerConfig.AUTO_CREATE_TOPICS_ENABLE, false));
  }

  @AfterEach
  void stop() throws Exception {
    StopGateSinkConnector.release();
    connect.close();
  }

  /**
   * On main the task's next commit named the deleted topic: refused for 30 s of retries, then the task failed (the
   * other topic's records waiting meanwhile) and restarted.
   */
  @Test
  void aSinkGivesUpADeletedTopicAndGoesOnWithItsOtherWithoutFailing() throws Exception {
    createTopic("gone");
    createTopic("kept");
    produce("gone", "g1");
    produce("kept", "k1");
    Path out = dir.resolve("two.txt");
    connect.create("two", fileSink(out, "gone,kept"));
    ConnectTestSupport.await("both records in the file", () -> lines(out).size() == 2);
    assertThat(connect.send("DELETE", "/topics/gone", null).status()).isEqualTo(204);
    produce("kept", "k2");
    ConnectTestSupport.await("the kept topic's next record", () -> lines(out).contains("k2"));
    assertNeverFailed("two");
    awaitAssignedOnly("connect-two", "kept");
    // The coordinator deletes a deleted topic's commits at its next sweep (commits carry no topic id, so a topic
    // created again before that sweep would be read from the old position: documented, not this test's case).
    awaitNoCommits("connect-two", "gone");
    // Created again, the topic is assigned anew and read from its start (its old commits went with it).
    createTopic("gone");
    produce("gone", "g2");
    ConnectTestSupport.await("the new topic's record", () -> lines(out).contains("g2"));
    assertThat(lines(out)).containsExactlyInAnyOrder("g1", "k1", "k2", "g2");
    assertNeverFailed("two");
  }

  /** Kafka Connect's behaviour: the task runs on, assigned nothing, and reads the topic once it exists again. */
  @Test
  void aSinkWhoseOnlyTopicIsDeletedWaitsRunningAndReadsTheTopicCreatedAgainFromItsStart() throws Exception {
    createTopic("only");
    produce("only", "o1");
    Path out = dir.resolve("one.txt");
    connect.create("one", fileSink(out, "only"));
    ConnectTestSupport.await("the record in the file", () -> lines(out).contains("o1"));
    assertThat(connect.send("DELETE", "/topics/only", null).status()).isEqualTo(204);
    awaitAssignedOnly("connect-one");
    // The rebalance sees the deletion before the coordinator's sweep deletes the commits: a topic created again in
    // between would be read from the old position (the other test's note); under load that window was seen.
    awaitNoCommits("connect-one", "only");
    createTopic("only");
    produce("only", "o2");
    ConnectTestSupport.await("the new topic's record", () -> lines(out).contains("o2"));
    assertThat(lines(out)).containsExactly("o1", "o2");
    assertNeverFailed("one");
  }

  /**
   * Waits until the group's members are assigned only partitions of {@code topics}: the coordinator has seen the
   * deletion (a deletion and a re-creation both between two of its sweeps are not seen; commits carry no topic id).
   */
  private void awaitNoCommits(String group, String topic) {
    ConnectTestSupport.await(group + " without commits of " + topic, () -> {
      try {
        ConnectTestSupport.Reply lags = connect.get("/consumer-groups/" + group + "/lags");
        return lags.status() == 200 && new io.vertx.core.json.JsonArray(lags.body()).stream()
            .noneMatch(p -> topic.equals(((JsonObject) p).getString("topic")));
      } catch (Exception e) {
        return false;
      }
    });
  }

  private void awaitAssignedOnly(String group, String... topics) {
    ConnectTestSupport.await(group + " assigned only " + List.of(topics), () -> {
      try {
        return connect.get("/consumer-groups/" + group).json().getJsonArray("members").stream()
            .flatMap(m -> ((JsonObject) m).getJsonArray("partitions").stream())
            .allMatch(p -> List.of(topics).contains(((JsonObject) p).getString("topic")));
      } catch (Exception e) {
        return false;
      }
    });
  }

  /**
   * On main the producer retried the sends for its delivery timeout (2 min) with the task RUNNING, then every
   * restart sent to the remembered topic unchecked: RUNNING a minute, FAILED a moment, and again, for good.
   */
  @Test
  void aSourceWhoseTopicIsDeletedFailsNamingItAndRunsAgainOnceItIsCreatedAgain() throws Exception {
    createTopic("feed");
    connect.create("gen", new JsonObject().put("connector.class", "LoadGenerator").put("topic", "feed")
        .put("records.per.second", "50"));
    ConnectTestSupport.await("records in the topic", () -> endOffset("feed") > 0);
    assertThat(connect.send("DELETE", "/topics/feed", null).status()).isEqualTo(204);
    ConnectTestSupport.await("the task FAILED naming the topic", () -> {
      try {
        JsonObject t = connect.get("/connectors/gen/status").json().getJsonArray("tasks").getJsonObject(0);
        return "FAILED".equals(t.getString("state")) && t.getString("trace").contains("Topic 'feed'");
      } catch (Exception e) {
        return false;
      }
    });
    createTopic("feed");
    ConnectTestSupport.await("records in the topic created again", () -> endOffset("feed") > 0);
    connect.awaitState("gen", 0, "RUNNING");
  }

  private long endOffset(String topic) {
    try {
      ConnectTestSupport.Reply r = connect.get("/topics/" + topic + "/partitions/0/offsets");
      return r.status() == 200 ? r.json().getLong("end_offset") : -1;
    } catch (Exception e) {
      return -1;
    }
  }

  /** On main the deleted connector's active topic stayed, listed for the connector created again. */
  @Test
  void aDeletedConnectorLeavesNoStatusNorActiveTopicBehind() throws Exception {
    createTopic("used");
    produce("used", "u1");
    Path out = dir.resolve("d.txt");
    connect.create("d", fileSink(out, "used"));
    ConnectTestSupport.await("the record in the file", () -> lines(out).contains("u1"));
    ConnectTestSupport.await("the active topic recorded", () -> {
      try {
        return activeTopics("d").contains("used");
      } catch (Exception e) {
        return false;
      }
    });
    assertThat(connect.send("DELETE", "/connectors/d", null).status()).isEqualTo(204);
    createTopic("other");
    connect.create("d", fileSink(dir.resolve("d2.txt"), "other"));
    assertThat(activeTopics("d")).isEmpty();
    assertThat(connect.send("DELETE", "/connectors/d", null).status()).isEqualTo(204);
    ConnectTestSupport.await("nothing of d in the status topic", () -> statusKeysOf("d").isEmpty());
  }

  /**
   * A unit may write its status after the delete's tombstone, until its broker sees the deletion and stops it (here
   * written by the test while the task is stopping). On main it stayed in the status topic, and a connector created
   * again under the name showed it until its own task wrote.
   */
  @Test
  void aStatusWrittenByAStoppingUnitOfADeletedConnectorIsClearedOnceItStops() throws Exception {
    createTopic("gate");
    JsonObject config = new JsonObject().put("connector.class", StopGateSinkConnector.class.getName())
        .put("topics", "gate");
    connect.create("late", config);
    connect.awaitState("late", 0, "RUNNING");
    StopGateSinkConnector.close();
    assertThat(connect.send("DELETE", "/connectors/late", null).status()).isEqualTo(204);
    assertThat(StopGateSinkConnector.stopping.await(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    String late = new JsonObject().put("state", "RUNNING").put("worker_id", "a stopping unit").encode();
    JsonObject record = new JsonObject().put("key", base64(ConnectState.taskStatusKey("late", 0)))
        .put("value", base64(late));
    assertThat(postBinary(ConnectState.STATUS_TOPIC, record)).isEqualTo(200);
    ConnectTestSupport.await("the late status read", () -> statusKeysOf("late").size() == 1);
    StopGateSinkConnector.release();
    ConnectTestSupport.await("nothing of the deleted connector in the status topic",
        () -> statusKeysOf("late").isEmpty());
  }

  private static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** Produces one record given as {@code {"key", "value"}} in base64; the HTTP status. */
  private int postBinary(String topic, JsonObject record) throws Exception {
    java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
        + connect.broker.httpPort() + "/topics/" + topic)).timeout(java.time.Duration.ofSeconds(60))
        .header("Content-Type", "application/vnd.kafka.binary.v2+json")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(new JsonObject().put("records",
            new JsonArray().add(record)).encode())).build();
    java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(request,
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.statusCode();
  }

  /** Keys of the status topic (read to its end from its start) that belong to connector {@code name}. */
  private List<String> statusKeysOf(String name) {
    try {
      return connect.latest(ConnectState.STATUS_TOPIC).entrySet().stream().filter(e -> e.getValue() != null)
          .map(Map.Entry::getKey).filter(k -> k.equals(ConnectState.connectorStatusKey(name))
              || k.startsWith("status-task-" + name + "-") || k.endsWith("-connector-" + name)).toList();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private List<String> activeTopics(String name) throws Exception {
    return connect.get("/connectors/" + name + "/topics").json().getJsonObject(name).getJsonArray("topics").stream()
        .map(Object::toString).toList();
  }

  /** The task is RUNNING and never restarted (its meter counts automatic restarts after a failure). */
  private void assertNeverFailed(String name) throws Exception {
    assertThat(connect.state(name, 0)).isEqualTo("RUNNING");
    assertThat(connect.get("/metrics").body())
        .contains("sluice_connect_task_restarts_total{connector=\"" + name + "\",task=\"0\"} 0.0");
  }

  private JsonObject fileSink(Path out, String topics) {
    return new JsonObject().put("connector.class", "FileStreamSink").put("file", out.toString())
        .put("topics", topics).put("offset.flush.interval.ms", "50")
        .put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
  }

  private void createTopic(String name) throws Exception {
    ConnectTestSupport.Reply r = connect.send("POST", "/topics", new JsonObject().put("name", name)
        .put("partitions", 1).put("replication_factor", 1));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
  }

  private void produce(String topic, String value) throws Exception {
    postBinary(topic, new JsonObject().put("value", base64(value)));
  }

  private static List<String> lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file) : List.of();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
