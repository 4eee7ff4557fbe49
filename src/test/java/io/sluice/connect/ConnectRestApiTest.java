package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.connect.ConnectTestSupport.Reply;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Kafka Connect's REST API on a broker: paths, JSON shapes, status codes and error bodies. */
class ConnectRestApiTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  static Path dir;
  private static ConnectTestSupport connect;
  private static final int MAX_CONNECTORS = 40;

  @BeforeAll
  static void start() throws Exception {
    connect = new ConnectTestSupport(dir.resolve("data"), GUARD, Map.of(BrokerConfig.CONNECT_MAX_CONNECTORS,
        MAX_CONNECTORS, BrokerConfig.CONNECT_FILE_ALLOWED_PATHS, dir.toString()));
  }

  @AfterAll
  static void stop() throws Exception {
    connect.close();
  }

  private static java.util.List<String> names() throws Exception {
    return connect.get("/connectors").array().stream().map(Object::toString).toList();
  }

  private static JsonObject generator(String topic, long rate) {
    return new JsonObject().put("connector.class", "LoadGenerator").put("topic", topic)
        .put("records.per.second", rate).put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
  }

  private static void assertError(Reply r, int status, ErrorCode code) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.json().getInteger("error_code")).as(r.body()).isEqualTo(code.code());
    assertThat(r.json().getString("message")).isNotBlank();
  }

  @Test
  void unknownConnectorIs404OnEveryPath() throws Exception {
    for (String[] call : new String[][] {{"GET", ""}, {"GET", "/status"}, {"GET", "/config"}, {"GET", "/tasks"},
        {"DELETE", ""}, {"PUT", "/pause"}, {"PUT", "/resume"}, {"PUT", "/stop"}, {"POST", "/restart"},
        {"GET", "/offsets"}, {"GET", "/topics"}, {"GET", "/tasks/0/status"}, {"POST", "/tasks/0/restart"}}) {
      Reply r = connect.send(call[0], "/connectors/nope" + call[1], null);
      assertError(r, 404, ErrorCode.CONNECTOR_NOT_FOUND);
      assertThat(r.json().getString("message")).isEqualTo("Connector nope not found");
    }
  }

  @Test
  void invalidConfigIs400ListingEveryBadField() throws Exception {
    JsonObject config = new JsonObject().put("connector.class", "FileStreamSink").put("tasks.max", "0")
        .put("file", dir.resolve("bad.txt").toString()).put("errors.tolerance", "sometimes").put("transforms", "bad")
        .put("value.converter", "no.such.Converter");
    Reply r = connect.send("POST", "/connectors", new JsonObject().put("name", "bad").put("config", config));
    assertError(r, 400, ErrorCode.INVALID_CONNECTOR_CONFIG);
    String message = r.json().getString("message");
    assertThat(message).contains("6 error(s)").contains("tasks.max:").contains("errors.tolerance:")
        .contains("transforms.bad.type:").contains("value.converter:").contains("topics:");
    assertThat(connect.get("/connectors/bad").status()).isEqualTo(404);

    Reply unknownClass = connect.send("PUT", "/connectors/bad2/config", new JsonObject()
        .put("connector.class", "NoSuchConnector"));
    assertError(unknownClass, 400, ErrorCode.INVALID_CONNECTOR_CONFIG);
    assertThat(unknownClass.json().getString("message")).contains("connector.class:");

    Reply mismatch = connect.send("PUT", "/connectors/a/config", generator("t", 1).put("name", "b"));
    assertError(mismatch, 400, ErrorCode.INVALID_CONNECTOR_CONFIG);
    assertError(connect.send("POST", "/connectors", "{not json"), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(connect.send("POST", "/connectors", new JsonObject().put("config", new JsonObject())), 400,
        ErrorCode.INVALID_CONNECTOR_CONFIG);
  }

  /** tasks.max was unbounded: 2^31 - 1 made the generator build that many task configs, and the heap ran out. */
  @Test
  void tasksMaxAboveTheWorkersLimitIsRefusedAndAConnectorMakingMoreTasksThanItsTasksMaxFails() throws Exception {
    Reply r = connect.send("POST", "/connectors", new JsonObject().put("name", "many")
        .put("config", generator("many", 1).put("tasks.max", "2147483647")));
    assertError(r, 400, ErrorCode.INVALID_CONNECTOR_CONFIG);
    assertThat(r.json().getString("message")).contains("tasks.max:").contains("256");
    assertThat(tasksMaxErrors("257")).contains("256");
    assertThat(tasksMaxErrors("256")).isEqualTo("[]");

    connect.create("greedy", new JsonObject().put("connector.class", GreedySourceConnector.class.getName())
        .put("tasks.max", "2"));
    connect.awaitState("greedy", -1, "FAILED");
    assertThat(connect.get("/connectors/greedy/status").json().getJsonObject("connector").getString("trace"))
        .contains("has generated 3 tasks, which is greater than 2");
    assertThat(connect.get("/connectors/greedy/tasks").array()).isEmpty();
    connect.send("DELETE", "/connectors/greedy", null);
  }

  /** Each connector runs threads on a broker: a client creating them in a loop had no bound. */
  @Test
  void creatingMoreConnectorsThanTheClustersLimitIsRefusedUntilOneIsDeleted() throws Exception {
    java.util.List<String> made = new java.util.ArrayList<>();
    Reply refused = null;
    for (int i = 0; i <= MAX_CONNECTORS && refused == null; i++) {
      Reply r = connect.send("POST", "/connectors", new JsonObject().put("name", "cap-" + i)
          .put("config", generator("cap", 1)).put("initial_state", "STOPPED"));
      if (r.status() == 201) {
        made.add("cap-" + i);
      } else {
        refused = r;
      }
    }
    assertThat(refused).as("a create beyond " + MAX_CONNECTORS + " connectors").isNotNull();
    assertError(refused, 400, ErrorCode.CONNECTOR_LIMIT_EXCEEDED);
    assertThat(refused.json().getString("message")).contains("connect.max.connectors");
    assertError(connect.send("PUT", "/connectors/cap-put/config", generator("cap", 1)), 400,
        ErrorCode.CONNECTOR_LIMIT_EXCEEDED);
    assertThat(connect.send("PUT", "/connectors/" + made.get(0) + "/config", generator("cap", 2)).status())
        .as("an existing connector's config still changes").isEqualTo(200);
    assertThat(connect.send("DELETE", "/connectors/" + made.remove(0), null).status()).isEqualTo(204);
    assertThat(connect.send("POST", "/connectors", new JsonObject().put("name", "cap-again")
        .put("config", generator("cap", 1)).put("initial_state", "STOPPED")).status()).isEqualTo(201);
    made.add("cap-again");
    for (String name : made) {
      connect.send("DELETE", "/connectors/" + name, null);
    }
  }

  /** A sink's offset entry names one partition: it moved every partition of the topic, and "x" was a 500. */
  @Test
  void alteringASinksOffsetMovesOnlyThePartitionItNames() throws Exception {
    assertThat(connect.send("POST", "/topics", new JsonObject().put("name", "two-parts").put("partitions", 2))
        .status()).isEqualTo(201);
    JsonArray records = new JsonArray();
    for (int i = 0; i < 6; i++) {
      records.add(new JsonObject().put("value", "v" + i).put("partition", i % 2));
    }
    assertThat(connect.send("POST", "/topics/two-parts", new JsonObject().put("records", records)).status())
        .isEqualTo(200);
    assertThat(connect.send("POST", "/connectors", new JsonObject().put("name", "two-sink").put("initial_state",
        "STOPPED").put("config", new JsonObject().put("connector.class", "FileStreamSink").put("topics", "two-parts")
        .put("file", dir.resolve("two.txt").toString()))).status()).isEqualTo(201);

    assertThat(connect.send("PATCH", "/connectors/two-sink/offsets", sinkOffsets("0", 2)).status()).isEqualTo(200);
    assertThat(sinkOffsets("two-sink")).containsExactly(Map.entry(0, 2L));
    assertThat(connect.send("PATCH", "/connectors/two-sink/offsets", sinkOffsets(1, 1)).status()).isEqualTo(200);
    assertThat(sinkOffsets("two-sink")).containsExactly(Map.entry(0, 2L), Map.entry(1, 1L));

    for (JsonObject bad : new JsonObject[] {sinkOffsets(0, "x"), sinkOffsets(0, 1.5), sinkOffsets(-1, 1),
        sinkOffsets("one", 1), sinkOffsets(0, -3)}) {
      assertError(connect.send("PATCH", "/connectors/two-sink/offsets", bad), 400, ErrorCode.MALFORMED_REQUEST);
    }
    assertError(connect.send("PATCH", "/connectors/two-sink/offsets", sinkOffsets(2, 1)), 404,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertThat(sinkOffsets("two-sink")).containsExactly(Map.entry(0, 2L), Map.entry(1, 1L));
    connect.send("DELETE", "/connectors/two-sink", null);
  }

  /**
   * An offset outside the partition's log was clamped into it and answered "altered successfully": a PATCH to 500 of
   * a three-record partition left the commit at 3. Refused now, naming the partition and its range, and no entry of
   * the request is written (Kafka Connect stores it as given, and its consumer then replays the partition from the
   * earliest offset: the opposite of the skip asked for).
   */
  @Test
  void aSinkOffsetOutsideThePartitionsLogIsRefusedAndNothingIsAltered() throws Exception {
    assertThat(connect.send("POST", "/topics", new JsonObject().put("name", "range-parts").put("partitions", 2))
        .status()).isEqualTo(201);
    JsonArray records = new JsonArray();
    for (int i = 0; i < 6; i++) {
      records.add(new JsonObject().put("value", "v" + i).put("partition", i % 2));
    }
    assertThat(connect.send("POST", "/topics/range-parts", new JsonObject().put("records", records)).status())
        .isEqualTo(200);
    assertThat(connect.send("POST", "/connectors", new JsonObject().put("name", "range-sink").put("initial_state",
        "STOPPED").put("config", new JsonObject().put("connector.class", "FileStreamSink").put("topics",
        "range-parts").put("file", dir.resolve("range.txt").toString()))).status()).isEqualTo(201);
    assertThat(connect.send("PATCH", "/connectors/range-sink/offsets", offsetsOf("range-parts", 0, 1)).status())
        .isEqualTo(200);

    JsonObject twoEntries = offsetsOf("range-parts", 0, 2);
    twoEntries.getJsonArray("offsets").addAll(offsetsOf("range-parts", 1, 500).getJsonArray("offsets"));
    Reply past = connect.send("PATCH", "/connectors/range-sink/offsets", twoEntries);
    assertError(past, 400, ErrorCode.INVALID_REQUEST);
    assertThat(past.json().getString("message")).contains("500", "range-parts-1", "0 to 3");
    assertThat(sinkOffsets("range-sink")).as("neither entry written").containsExactly(Map.entry(0, 1L));

    Reply end = connect.send("PATCH", "/connectors/range-sink/offsets", offsetsOf("range-parts", 1, 3));
    assertThat(end.status()).as("the end offset is in range: " + end.body()).isEqualTo(200);
    assertThat(sinkOffsets("range-sink")).containsExactly(Map.entry(0, 1L), Map.entry(1, 3L));
    connect.send("DELETE", "/connectors/range-sink", null);
  }

  /**
   * As Kafka Connect (KIP-875): a null offset forgets that partition's commit, and a reset forgets the sink's whole
   * group, so its consumer starts at its auto.offset.reset. Main refused the null (400) and reset to the earliest
   * offset (the commits stayed, listed at 0).
   */
  @Test
  void aSinksNullOffsetForgetsThePartitionAndAResetForgetsEveryCommit() throws Exception {
    assertThat(connect.send("POST", "/topics", new JsonObject().put("name", "forget-parts").put("partitions", 2))
        .status()).isEqualTo(201);
    JsonArray records = new JsonArray();
    for (int i = 0; i < 6; i++) {
      records.add(new JsonObject().put("value", "v" + i).put("partition", i % 2));
    }
    assertThat(connect.send("POST", "/topics/forget-parts", new JsonObject().put("records", records)).status())
        .isEqualTo(200);
    assertThat(connect.send("POST", "/connectors", new JsonObject().put("name", "forget-sink").put("initial_state",
        "STOPPED").put("config", new JsonObject().put("connector.class", "FileStreamSink").put("topics",
        "forget-parts").put("file", dir.resolve("forget.txt").toString()))).status()).isEqualTo(201);
    Reply never = connect.send("PATCH", "/connectors/forget-sink/offsets", offsetsOf("forget-parts", 0, null));
    assertThat(never.status()).as("a group that never committed has nothing to forget: " + never.body())
        .isEqualTo(200);
    assertThat(connect.send("PATCH", "/connectors/forget-sink/offsets", offsetsOf("forget-parts", 0, 2)).status())
        .isEqualTo(200);
    assertThat(connect.send("PATCH", "/connectors/forget-sink/offsets", offsetsOf("forget-parts", 1, 1)).status())
        .isEqualTo(200);
    assertThat(sinkOffsets("forget-sink")).containsExactly(Map.entry(0, 2L), Map.entry(1, 1L));

    Reply forgot = connect.send("PATCH", "/connectors/forget-sink/offsets", offsetsOf("forget-parts", 0, null));
    assertThat(forgot.status()).as(forgot.body()).isEqualTo(200);
    assertThat(sinkOffsets("forget-sink")).containsExactly(Map.entry(1, 1L));
    assertError(connect.send("PATCH", "/connectors/forget-sink/offsets", offsetsOf("forget-parts", 7, null)), 404,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    Reply reset = connect.send("DELETE", "/connectors/forget-sink/offsets", null);
    assertThat(reset.status()).as(reset.body()).isEqualTo(200);
    assertThat(sinkOffsets("forget-sink")).as("no commit left, none moved to the earliest offset").isEmpty();
    assertThat(connect.send("DELETE", "/connectors/forget-sink/offsets", null).status()).as("idempotent")
        .isEqualTo(200);
    connect.send("DELETE", "/connectors/forget-sink", null);
  }

  /**
   * Deleting a sink connector leaves its group connect-<name> and its commits, as Kafka Connect does (a sink created
   * again under the name would resume from them); the group can then be deleted, and a sink of that name starts with
   * no offsets.
   */
  @Test
  void deletingASinkLeavesItsGroupWhichCanThenBeDeleted() throws Exception {
    assertThat(connect.send("POST", "/topics", new JsonObject().put("name", "left-parts").put("partitions", 1))
        .status()).isEqualTo(201);
    assertThat(connect.send("POST", "/topics/left-parts", new JsonObject().put("records", new JsonArray()
        .add(new JsonObject().put("value", "v0")).add(new JsonObject().put("value", "v1")))).status()).isEqualTo(200);
    JsonObject sink = new JsonObject().put("name", "left-sink").put("initial_state", "STOPPED").put("config",
        new JsonObject().put("connector.class", "FileStreamSink").put("topics", "left-parts")
            .put("file", dir.resolve("left.txt").toString()));
    assertThat(connect.send("POST", "/connectors", sink).status()).isEqualTo(201);
    assertThat(connect.send("PATCH", "/connectors/left-sink/offsets", offsetsOf("left-parts", 0, 1)).status())
        .isEqualTo(200);
    assertThat(connect.send("DELETE", "/connectors/left-sink", null).status()).isEqualTo(204);

    Reply lags = connect.send("GET", "/consumer-groups/connect-left-sink/lags", null);
    assertThat(lags.status()).as("the group stays: " + lags.body()).isEqualTo(200);
    assertThat(lags.array()).hasSize(1);
    Reply deleted = connect.send("DELETE", "/consumer-groups/connect-left-sink", null);
    assertThat(deleted.status()).as(deleted.body()).isEqualTo(204);
    assertThat(connect.send("POST", "/connectors", sink).status()).isEqualTo(201);
    assertThat(sinkOffsets("left-sink")).as("a sink of the name starts with no offsets").isEmpty();
    connect.send("DELETE", "/connectors/left-sink", null);
  }

  /**
   * A config over max.message.bytes was a 413 naming only the worker's internal append to __connect_configs, and the
   * refused batch left the worker's producer unable to write that partition again: the next change failed too.
   */
  @Test
  void aConfigTooLargeForTheConfigsTopicIsRefusedNamingTheConnectorItsSizeAndTheLimit() throws Exception {
    JsonObject big = new JsonObject().put("connector.class", "FileStreamSink").put("topics", "big-topic")
        .put("file", dir.resolve("big.txt").toString()).put("padding", "x".repeat(1_100_000));
    Reply created = connect.send("POST", "/connectors", new JsonObject().put("name", "big").put("config", big));
    assertError(created, 413, ErrorCode.MESSAGE_TOO_LARGE);
    assertThat(created.json().getString("message")).contains("connector big", "1048588", "__connect_configs")
        .doesNotContain("POST /batches").containsPattern("is 110\\d{4} bytes");
    assertThat(connect.get("/connectors/big").status()).isEqualTo(404);

    assertThat(connect.send("PUT", "/connectors/big/config", big.copy().put("padding", "small")).status())
        .isEqualTo(201);
    Reply put = connect.send("PUT", "/connectors/big/config", big);
    assertError(put, 413, ErrorCode.MESSAGE_TOO_LARGE);
    assertThat(put.json().getString("message")).contains("connector big").doesNotContain("POST /batches");
    assertThat(get("/connectors/big/config").getString("padding")).isEqualTo("small");
    connect.send("DELETE", "/connectors/big", null);

    // A source offset altered by hand goes to __connect_offsets the same way; on main the refused batch also left the
    // worker's producer unable to write that partition again, so the next, small, change failed too.
    assertThat(connect.send("POST", "/connectors", new JsonObject().put("name", "big-src").put("initial_state",
        "STOPPED").put("config", generator("big-src-topic", 1))).status()).isEqualTo(201);
    JsonObject huge = new JsonObject().put("offsets", new JsonArray().add(new JsonObject()
        .put("partition", new JsonObject().put("generator", "0"))
        .put("offset", new JsonObject().put("seq", 1).put("pad", "x".repeat(1_100_000)))));
    Reply refused = connect.send("PATCH", "/connectors/big-src/offsets", huge);
    assertError(refused, 413, ErrorCode.MESSAGE_TOO_LARGE);
    assertThat(refused.json().getString("message")).contains("connector big-src", "__connect_offsets")
        .doesNotContain("POST /batches");
    assertThat(connect.send("PATCH", "/connectors/big-src/offsets", offsets(5)).status()).isEqualTo(200);
    ConnectTestSupport.await("the small offset written", () -> committedSeq("big-src") == 5);
    connect.send("DELETE", "/connectors/big-src", null);
  }

  private static JsonObject offsetsOf(String topic, int partition, Object offset) {
    return new JsonObject().put("offsets", new JsonArray().add(new JsonObject()
        .put("partition", new JsonObject().put("kafka_topic", topic).put("kafka_partition", partition))
        .put("offset", offset == null ? null : new JsonObject().put("kafka_offset", offset))));
  }

  private static JsonObject sinkOffsets(Object partition, Object offset) {
    return new JsonObject().put("offsets", new JsonArray().add(new JsonObject()
        .put("partition", new JsonObject().put("kafka_topic", "two-parts").put("kafka_partition", partition))
        .put("offset", new JsonObject().put("kafka_offset", offset))));
  }

  private static Map<Integer, Long> sinkOffsets(String name) throws Exception {
    Map<Integer, Long> out = new java.util.TreeMap<>();
    for (Object o : get("/connectors/" + name + "/offsets").getJsonArray("offsets")) {
      JsonObject e = (JsonObject) o;
      out.put(e.getJsonObject("partition").getInteger("kafka_partition"),
          e.getJsonObject("offset").getLong("kafka_offset"));
    }
    return out;
  }

  private static String tasksMaxErrors(String tasksMax) throws Exception {
    JsonObject validated = connect.send("PUT", "/connector-plugins/LoadGenerator/config/validate",
        generator("many", 1).put("tasks.max", tasksMax)).json();
    return validated.getJsonArray("configs").stream().map(c -> ((JsonObject) c).getJsonObject("value"))
        .filter(v -> v.getString("name").equals("tasks.max")).findFirst().orElseThrow()
        .getJsonArray("errors").encode();
  }

  @Test
  void bodiesThatAreNotOneJsonObjectAreRefusedNamingWhy() throws Exception {
    String[][] calls = {{"POST", "/connectors"}, {"PUT", "/connectors/odd/config"},
        {"PUT", "/connector-plugins/FileStreamSink/config/validate"}};
    for (String[] call : calls) {
      for (String body : new String[] {"[]", "\"x\"", "1e999", "null"}) {
        Reply r = connect.send(call[0], call[1], body);
        assertError(r, 400, ErrorCode.MALFORMED_REQUEST);
        assertThat(r.json().getString("message")).as(body).contains("must be a JSON object");
      }
      // A key given twice is refused, not decided silently by the last one.
      Reply twice = connect.send(call[0], call[1], "{\"name\": \"a\", \"name\": \"b\", \"config\": {}}");
      assertError(twice, 400, ErrorCode.MALFORMED_REQUEST);
      assertThat(twice.json().getString("message")).contains("name");
    }
    assertThat(connect.get("/connectors/odd").status()).isEqualTo(404);
  }

  @Test
  void namesAUrlCannotAddressOrWithControlCharactersAreRefused() throws Exception {
    for (String name : new String[] {".", "..", "a\u0001b"}) {
      Reply r = connect.send("POST", "/connectors", new JsonObject().put("name", name).put("config", generator("t", 1)));
      assertError(r, 400, ErrorCode.INVALID_CONNECTOR_CONFIG);
      assertThat(r.json().getString("message")).contains("name:");
    }
    assertThat(connect.get("/connectors").array()).doesNotContain(".", "..", "a\u0001b");
  }

  /** Was created (201): no URL could name it again (414), so it ran until the cluster's data was wiped. */
  @Test
  void aNameTooLongForAnyUrlIsRefused() throws Exception {
    String longest = "n".repeat(249);
    for (String name : new String[] {longest + "n", "n".repeat(100_000)}) {
      Reply r = connect.send("POST", "/connectors", new JsonObject().put("name", name).put("config", generator("t", 1)));
      assertError(r, 400, ErrorCode.INVALID_CONNECTOR_CONFIG);
      assertThat(r.json().getString("message")).contains("name:").contains("at most 249 characters");
    }
    Reply put = connect.send("PUT", "/connectors/" + longest + "n/config", generator("t", 1));
    assertError(put, 400, ErrorCode.INVALID_CONNECTOR_CONFIG);
    assertThat(names()).noneMatch(n -> n.length() > 249);
    assertThat(connect.create(longest, generator("longest", 1)).status()).isEqualTo(201);
    assertThat(connect.send("DELETE", "/connectors/" + longest, null).status()).isEqualTo(204);
  }

  /**
   * A sink's group is connect-<name>: a name Kafka Connect takes but Sluice's group ids do not (a space, a slash,
   * unicode) was created (201) and its task failed at every start ("Group id 'connect-my sink' is illegal").
   */
  @Test
  void aSinkNameThatMakesNoLegalGroupIdIsRefusedWhereASourceMayHaveIt() throws Exception {
    for (String name : new String[] {"my sink", "a/b", "s\u00e9", "s".repeat(242)}) {
      JsonObject sink = new JsonObject().put("connector.class", "FileStreamSink").put("topics", "t")
          .put("file", dir.resolve("sink.txt").toString());
      Reply r = connect.send("POST", "/connectors", new JsonObject().put("name", name).put("config", sink));
      assertError(r, 400, ErrorCode.INVALID_CONNECTOR_CONFIG);
      assertThat(r.json().getString("message")).as(name).contains("name:").contains("connect-<name>");
      Reply validate = connect.send("PUT", "/connector-plugins/FileStreamSink/config/validate", sink.copy()
          .put("name", name));
      assertThat(validate.json().getInteger("error_count")).as(name).isEqualTo(1);
    }
    assertThat(names()).doesNotContain("my sink", "a/b", "s\u00e9");
    assertThat(connect.create("my source", generator("t", 1)).status()).isEqualTo(201);
    assertThat(connect.send("DELETE", "/connectors/my%20source", null).status()).isEqualTo(204);
  }

  /**
   * A sink's topic no broker could hold: created (201) and RUNNING, reading nothing from it; a dead letter queue so
   * named failed only when a record first needed it.
   */
  @Test
  void aSinksTopicsAndDeadLetterQueueMustBeLegalTopicNames() throws Exception {
    JsonObject sink = new JsonObject().put("connector.class", "FileStreamSink")
        .put("file", dir.resolve("legal.txt").toString());
    String[][] cases = {{"topics", "bad name!,fine"}, {"topics", "fine," + "t".repeat(250)},
        {"errors.deadletterqueue.topic.name", "dl/q"}};
    for (String[] c : cases) {
      JsonObject config = sink.copy().put("topics", "fine").put(c[0], c[1]);
      Reply r = connect.send("POST", "/connectors", new JsonObject().put("name", "legal").put("config", config));
      assertError(r, 400, ErrorCode.INVALID_CONNECTOR_CONFIG);
      assertThat(r.json().getString("message")).as(c[1]).contains(c[0] + ": Topic name");
    }
    assertThat(connect.get("/connectors/legal").status()).isEqualTo(404);
  }

  /** A misspelt "initial_state" was ignored and the connector started RUNNING. */
  @Test
  void anUnknownFieldOfACreateIsRefusedNamingIt() throws Exception {
    Reply r = connect.send("POST", "/connectors", new JsonObject().put("name", "typo").put("config",
        generator("t", 1)).put("initial-state", "PAUSED"));
    assertError(r, 400, ErrorCode.MALFORMED_REQUEST);
    assertThat(r.json().getString("message")).contains("initial-state").contains("initial_state");
    assertThat(connect.get("/connectors/typo").status()).isEqualTo(404);
  }

  @Test
  void createReadUpdateDeleteWithKafkaConnectShapes() throws Exception {
    Reply created = connect.create("gen", generator("gen-topic", 50));
    JsonObject info = created.json();
    assertThat(info.getString("name")).isEqualTo("gen");
    assertThat(info.getString("type")).isEqualTo("source");
    assertThat(info.getJsonObject("config").getString("name")).isEqualTo("gen");
    assertThat(info.getJsonArray("tasks")).isNotNull();
    assertError(connect.send("POST", "/connectors", new JsonObject().put("name", "gen")
        .put("config", generator("x", 1))), 409, ErrorCode.CONNECTOR_ALREADY_EXISTS);

    connect.awaitState("gen", 0, "RUNNING");
    connect.awaitState("gen", -1, "RUNNING");
    assertThat(names()).contains("gen");
    JsonObject expanded = connect.get("/connectors?expand=status&expand=info").json().getJsonObject("gen");
    assertThat(expanded.getJsonObject("status").getJsonObject("connector").getString("state")).isEqualTo("RUNNING");
    assertThat(expanded.getJsonObject("info").getJsonArray("tasks").getJsonObject(0))
        .isEqualTo(new JsonObject().put("connector", "gen").put("task", 0));
    JsonObject status = connect.get("/connectors/gen/status").json();
    assertThat(status.fieldNames()).containsExactlyInAnyOrder("name", "connector", "tasks", "type");
    JsonObject task = status.getJsonArray("tasks").getJsonObject(0);
    assertThat(task.getInteger("id")).isZero();
    assertThat(task.getString("worker_id")).isEqualTo("127.0.0.1:" + connect.broker.httpPort());
    assertThat(connect.get("/connectors/gen/tasks/0/status").json()).isEqualTo(task);
    assertError(connect.get("/connectors/gen/tasks/7/status"), 404, ErrorCode.CONNECTOR_TASK_NOT_FOUND);
    JsonArray tasks = connect.get("/connectors/gen/tasks").array();
    assertThat(tasks.getJsonObject(0).getJsonObject("id")).isEqualTo(new JsonObject().put("connector", "gen")
        .put("task", 0));
    assertThat(tasks.getJsonObject(0).getJsonObject("config").getString("topic")).isEqualTo("gen-topic");
    assertThat(connect.get("/connectors/gen/config").json().getString("topic")).isEqualTo("gen-topic");
    // The active topic is recorded (asynchronously) when the task first writes to it.
    JsonObject expectedTopics = new JsonObject().put("gen", new JsonObject().put("topics",
        new JsonArray().add("gen-topic")));
    ConnectTestSupport.await("active topic recorded", () -> get("/connectors/gen/topics").equals(expectedTopics));

    Reply updated = connect.send("PUT", "/connectors/gen/config", generator("gen-topic", 60));
    assertThat(updated.status()).as(updated.body()).isEqualTo(200);
    assertThat(connect.get("/connectors/gen/config").json().getString("records.per.second")).isEqualTo("60");
    Reply createdByPut = connect.send("PUT", "/connectors/gen2/config", generator("gen2-topic", 1));
    assertThat(createdByPut.status()).as(createdByPut.body()).isEqualTo(201);

    assertThat(connect.send("DELETE", "/connectors/gen2", null).status()).isEqualTo(204);
    assertThat(connect.send("DELETE", "/connectors/gen", null).status()).isEqualTo(204);
    assertThat(connect.get("/connectors/gen").status()).isEqualTo(404);
    assertThat(names()).doesNotContain("gen", "gen2");
  }

  @Test
  void concurrentCreatesOfOneNameLetExactlyOneWin() throws Exception {
    int racers = 6;
    java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(racers);
    try {
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      java.util.List<java.util.concurrent.Future<Reply>> replies = new java.util.ArrayList<>();
      for (int i = 0; i < racers; i++) {
        JsonObject config = generator("race-topic-" + i, 1);
        replies.add(threads.submit(() -> {
          go.await();
          return connect.send("POST", "/connectors", new JsonObject().put("name", "race").put("config", config));
        }));
      }
      go.countDown();
      java.util.List<Reply> won = new java.util.ArrayList<>();
      for (java.util.concurrent.Future<Reply> f : replies) {
        Reply r = f.get(60, java.util.concurrent.TimeUnit.SECONDS);
        if (r.status() == 201) {
          won.add(r);
        } else {
          assertError(r, 409, ErrorCode.CONNECTOR_ALREADY_EXISTS);
        }
      }
      assertThat(won).as("creates answered 201").hasSize(1);
      String winnersTopic = won.get(0).json().getJsonObject("config").getString("topic");
      assertThat(connect.get("/connectors/race/config").json().getString("topic"))
          .as("the stored config is the one whose create answered 201").isEqualTo(winnersTopic);
    } finally {
      threads.shutdownNow();
      connect.send("DELETE", "/connectors/race", null);
    }
  }

  /**
   * A delete took no lock: a config PUT that had found the connector could write after the delete's tombstone and
   * bring it back (answered 200 "updated", its target state gone), and a restart or pause written after the delete
   * left live records of a deleted connector in the compacted configs topic. Every outcome must be one of the serial
   * orders: the connector exists afterwards exactly when the PUT created it anew (201), and a deleted one leaves no
   * live record.
   */
  @Test
  void aDeleteRacingAConfigPutARestartAndAPauseEndsAsOneOfTheirSerialOrders() throws Exception {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      for (int round = 0; round < 8; round++) {
        String name = "race-" + round;
        assertThat(connect.send("POST", "/connectors", new JsonObject().put("name", name).put("initial_state",
            "STOPPED").put("config", generator("race-topic", 1))).status()).isEqualTo(201);
        var put = pool.submit(() -> connect.send("PUT", "/connectors/" + name + "/config", generator("race-topic", 2)));
        var restart = pool.submit(() -> connect.send("POST", "/connectors/" + name + "/restart", null));
        var pause = pool.submit(() -> connect.send("PUT", "/connectors/" + name + "/pause", null));
        var delete = pool.submit(() -> connect.send("DELETE", "/connectors/" + name, null));
        assertThat(delete.get().status()).as(delete.get().body()).isEqualTo(204);
        assertThat(restart.get().status()).as(restart.get().body()).isIn(204, 404);
        assertThat(pause.get().status()).as(pause.get().body()).isIn(202, 404);
        int putStatus = put.get().status();
        assertThat(putStatus).as(put.get().body()).isIn(200, 201);
        boolean exists = connect.get("/connectors/" + name).status() == 200;
        assertThat(exists).as("round " + round + ": exists after the race, the PUT answered " + putStatus)
            .isEqualTo(putStatus == 201);
        if (exists) {
          // Created anew and running: its worker may still write its task configs and statuses after this delete,
          // records of the worker's own, not of these requests; only a race that ended in a delete is checked.
          assertThat(connect.send("DELETE", "/connectors/" + name, null).status()).isEqualTo(204);
          continue;
        }
        java.util.regex.Pattern own = java.util.regex.Pattern.compile("(connector|target-state|tasks|restart)-"
            + name + "|restart-task-" + name + "-\\d+");
        Map<String, String> live = new java.util.TreeMap<>(connect.latest(ConnectState.CONFIGS_TOPIC));
        live.values().removeIf(java.util.Objects::isNull);
        live.keySet().removeIf(k -> !own.matcher(k).matches());
        assertThat(live).as("round " + round + ": live records of the deleted connector").isEmpty();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void pauseResumeStopAndOffsetsAlterAndReset() throws Exception {
    connect.create("life", generator("life-topic", 200));
    connect.awaitState("life", 0, "RUNNING");
    assertThat(connect.send("PUT", "/connectors/life/pause", null).status()).isEqualTo(202);
    connect.awaitState("life", 0, "PAUSED");
    connect.awaitState("life", -1, "PAUSED");
    long pausedSeq = committedSeq("life");
    assertThat(connect.send("PUT", "/connectors/life/resume", null).status()).isEqualTo(202);
    connect.awaitState("life", 0, "RUNNING");
    ConnectTestSupport.await("offsets move on after resume", () -> committedSeq("life") > pausedSeq);

    assertError(connect.send("PATCH", "/connectors/life/offsets", offsets(5)), 400, ErrorCode.CONNECTOR_NOT_STOPPED);
    assertError(connect.send("DELETE", "/connectors/life/offsets", null), 400, ErrorCode.CONNECTOR_NOT_STOPPED);
    assertThat(connect.send("PUT", "/connectors/life/stop", null).status()).isEqualTo(202);
    connect.awaitState("life", -1, "STOPPED");
    assertThat(connect.get("/connectors/life/status").json().getJsonArray("tasks")).isEmpty();

    Reply altered = connect.send("PATCH", "/connectors/life/offsets", offsets(5));
    assertThat(altered.status()).as(altered.body()).isEqualTo(200);
    assertThat(altered.json().getString("message"))
        .isEqualTo("The offsets for this connector have been altered successfully");
    ConnectTestSupport.await("altered offset visible", () -> committedSeq("life") == 5);
    Reply reset = connect.send("DELETE", "/connectors/life/offsets", null);
    assertThat(reset.status()).as(reset.body()).isEqualTo(200);
    assertThat(reset.json().getString("message")).isEqualTo("The offsets for this connector have been reset"
        + " successfully");
    ConnectTestSupport.await("offsets reset", () -> get("/connectors/life/offsets").getJsonArray("offsets")
        .isEmpty());
    assertThat(connect.send("PUT", "/connectors/life/resume", null).status()).isEqualTo(202);
    connect.awaitState("life", 0, "RUNNING");
    ConnectTestSupport.await("a new offset after the reset", () -> committedSeq("life") > 0);
    connect.send("DELETE", "/connectors/life", null);
  }

  /** A wrong-typed "offset" was a 500 (a cast in the route); a field beside the two was ignored. */
  @Test
  void anOffsetsEntryOfTheWrongShapeIsA400NamingIt() throws Exception {
    connect.send("POST", "/connectors", new JsonObject().put("name", "shapes").put("config", generator("shapes", 1))
        .put("initial_state", "STOPPED"));
    JsonObject sink = new JsonObject().put("connector.class", "FileStreamSink").put("topics", "shapes")
        .put("file", dir.resolve("shapes.txt").toString());
    connect.send("POST", "/connectors", new JsonObject().put("name", "shapes-sink").put("config", sink)
        .put("initial_state", "STOPPED"));
    JsonObject sourcePartition = new JsonObject().put("generator", "0");
    JsonObject sinkPartition = new JsonObject().put("kafka_topic", "shapes").put("kafka_partition", 0);
    for (String name : new String[] {"shapes", "shapes-sink"}) {
      JsonObject partition = name.equals("shapes") ? sourcePartition : sinkPartition;
      for (Object offset : new Object[] {"5", 5, new JsonArray().add(1), true}) {
        Reply r = connect.send("PATCH", "/connectors/" + name + "/offsets", new JsonObject().put("offsets",
            new JsonArray().add(new JsonObject().put("partition", partition).put("offset", offset))));
        assertError(r, 400, ErrorCode.MALFORMED_REQUEST);
        assertThat(r.json().getString("message")).as(name + " " + offset).contains("\"offset\" must be an object");
      }
      Reply extra = connect.send("PATCH", "/connectors/" + name + "/offsets", new JsonObject().put("offsets",
          new JsonArray().add(new JsonObject().put("partition", partition).put("offset", new JsonObject()
              .put("seq", 1)).put("offest", new JsonObject()))));
      assertError(extra, 400, ErrorCode.MALFORMED_REQUEST);
      assertThat(extra.json().getString("message")).contains("offest");
    }
    assertThat(get("/connectors/shapes/offsets").getJsonArray("offsets")).isEmpty();
    connect.send("DELETE", "/connectors/shapes", null);
    connect.send("DELETE", "/connectors/shapes-sink", null);
  }

  /** {"name": {"a": 1}} was a connector named {"a":1}. */
  @Test
  void aCreatesNameAndInitialStateMustBeStrings() throws Exception {
    for (String field : new String[] {"name", "initial_state"}) {
      JsonObject body = new JsonObject().put("name", "typed").put("config", generator("t", 1))
          .put(field, new JsonObject().put("a", 1));
      Reply r = connect.send("POST", "/connectors", body);
      assertError(r, 400, ErrorCode.MALFORMED_REQUEST);
      assertThat(r.json().getString("message")).contains(field + " must be a string");
    }
    assertThat(names()).doesNotContain("{\"a\":1}", "typed");
  }

  private static JsonObject offsets(long seq) {
    return new JsonObject().put("offsets", new JsonArray().add(new JsonObject()
        .put("partition", new JsonObject().put("generator", "0")).put("offset", new JsonObject().put("seq", seq))));
  }

  private static JsonObject get(String path) {
    try {
      return connect.get(path).json();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static long committedSeq(String name) {
    JsonArray offsets = get("/connectors/" + name + "/offsets").getJsonArray("offsets");
    return offsets.isEmpty() ? -1 : offsets.getJsonObject(0).getJsonObject("offset").getLong("seq");
  }

  @Test
  void restartsAnswerAsKafkaConnect() throws Exception {
    connect.create("rs", generator("rs-topic", 10));
    connect.awaitState("rs", 0, "RUNNING");
    assertThat(connect.send("POST", "/connectors/rs/restart", null).status()).isEqualTo(204);
    Reply withTasks = connect.send("POST", "/connectors/rs/restart?includeTasks=true", null);
    assertThat(withTasks.status()).as(withTasks.body()).isEqualTo(202);
    assertThat(withTasks.json().getJsonObject("connector").getString("state")).isEqualTo("RESTARTING");
    assertThat(withTasks.json().getJsonArray("tasks").getJsonObject(0).getString("state")).isEqualTo("RESTARTING");
    Reply onlyFailed = connect.send("POST", "/connectors/rs/restart?includeTasks=true&onlyFailed=true", null);
    assertThat(onlyFailed.json().getJsonArray("tasks").getJsonObject(0).getString("state")).isEqualTo("RUNNING");
    assertThat(connect.send("POST", "/connectors/rs/tasks/0/restart", null).status()).isEqualTo(204);
    assertError(connect.send("POST", "/connectors/rs/tasks/3/restart", null), 404,
        ErrorCode.CONNECTOR_TASK_NOT_FOUND);
    connect.awaitState("rs", 0, "RUNNING");
    connect.send("DELETE", "/connectors/rs", null);
  }

  @Test
  void failedTaskRestartsByItselfWithBackoffAndReportsItsTrace() throws Exception {
    String runId = "auto-" + System.nanoTime();
    connect.create("flaky", new JsonObject().put("connector.class", FlakySourceConnector.class.getName())
        .put("topic", "flaky-topic").put("failures", "2").put("run.id", runId)
        .put("task.restart.backoff.initial.ms", "700").put("value.converter",
            "org.apache.kafka.connect.storage.StringConverter"));
    ConnectTestSupport.await("FAILED with the trace", () -> {
      JsonObject t = taskStatus("flaky");
      return t != null && "FAILED".equals(t.getString("state"))
          && t.getString("trace", "").contains("flaky task failing on purpose");
    });
    // A failing start shows RUNNING for a moment before its first poll throws: wait for the third start first.
    ConnectTestSupport.await("third start", () -> FlakySourceConnector.STARTS.get(runId).get() >= 3);
    connect.awaitState("flaky", 0, "RUNNING");
    assertThat(FlakySourceConnector.STARTS.get(runId).get()).isEqualTo(3);
    connect.send("DELETE", "/connectors/flaky", null);
  }

  /**
   * A source writing to a topic the broker refuses (an illegal name) failed once with the broker's reason; every
   * restart after it then skipped the topic check and sent to the topic unchecked, RUNNING for the producer's 3 min
   * timeout each time (30 min of a healthy-looking task writing nothing). Each attempt now fails at once with the
   * reason, and the trace's first line says whether and when the task restarts by itself.
   */
  @Test
  void aSourceWritingToAnIllegalTopicIsFailedWithTheReasonAtEveryAttempt() throws Exception {
    connect.create("illegal-out", generator("bad topic!", 10).put("task.restart.max.attempts", "2")
        .put("task.restart.backoff.initial.ms", "100"));
    ConnectTestSupport.await("out of automatic restarts", () -> {
      JsonObject t = taskStatus("illegal-out");
      return t != null && "FAILED".equals(t.getString("state"))
          && t.getString("trace", "").startsWith("No automatic restart left (2 of task.restart.max.attempts 2 done)");
    });
    assertThat(taskStatus("illegal-out").getString("trace")).as("the last attempt's reason")
        .contains("Topic name 'bad topic!' is illegal")
        .contains("POST /connectors/illegal-out/tasks/0/restart");
    connect.send("DELETE", "/connectors/illegal-out", null);
  }

  @Test
  void aSinkTaskRestartedAfterAFailureReadsOnWithoutFailingAgain() throws Exception {
    String runId = "sink-" + System.nanoTime();
    connect.create("sink-feed", new JsonObject().put("connector.class", FlakySourceConnector.class.getName())
        .put("topic", "flaky-sink-in").put("run.id", "feed-" + runId).put("value.converter",
            "org.apache.kafka.connect.storage.StringConverter"));
    connect.create("flaky-sink", new JsonObject().put("connector.class", FlakySinkConnector.class.getName())
        .put("topics", "flaky-sink-in").put("failures", "1").put("run.id", runId)
        .put("task.restart.backoff.initial.ms", "100").put("value.converter",
            "org.apache.kafka.connect.storage.StringConverter"));
    // The restart once found its predecessor's end of stream (and records) in the task's inbox, failed on it, and so
    // on at every restart: the source's records then reached the sink only between failures, never for long.
    ConnectTestSupport.await("records put after the failed start", () -> {
      AtomicInteger put = FlakySinkConnector.PUT_AFTER_FAILURES.get(runId);
      return put != null && put.get() >= 200;
    });
    assertThat(FlakySinkConnector.STARTS.get(runId).get()).as("starts of the sink task").isEqualTo(2);
    connect.awaitState("flaky-sink", 0, "RUNNING");
    connect.send("DELETE", "/connectors/flaky-sink", null);
    connect.send("DELETE", "/connectors/sink-feed", null);
  }

  @Test
  void taskOutOfRestartAttemptsStaysFailedUntilRestartedThroughTheApi() throws Exception {
    String runId = "limit-" + System.nanoTime();
    connect.create("gives-up", new JsonObject().put("connector.class", "FlakySource")
        .put("topic", "gives-up-topic").put("failures", "2").put("run.id", runId)
        .put("task.restart.max.attempts", "0").put("value.converter",
            "org.apache.kafka.connect.storage.StringConverter"));
    connect.awaitState("gives-up", 0, "FAILED");
    assertThat(FlakySourceConnector.STARTS.get(runId).get()).isEqualTo(1);
    Reply r = connect.send("POST", "/connectors/gives-up/restart?includeTasks=true&onlyFailed=true", null);
    assertThat(r.json().getJsonArray("tasks").getJsonObject(0).getString("state")).isEqualTo("RESTARTING");
    ConnectTestSupport.await("restarted once more", () -> FlakySourceConnector.STARTS.get(runId).get() == 2);
    connect.awaitState("gives-up", 0, "FAILED");
    // Start 2 reports RUNNING before its first poll fails: wait for its FAILED, after which nothing restarts it.
    ConnectTestSupport.await("start 2 failed", () -> {
      JsonObject t = taskStatus("gives-up");
      return t != null && "FAILED".equals(t.getString("state")) && FlakySourceConnector.STARTS.get(runId).get() == 2;
    });
    assertThat(connect.send("POST", "/connectors/gives-up/tasks/0/restart", null).status()).isEqualTo(204);
    ConnectTestSupport.await("restarted through the API", () -> FlakySourceConnector.STARTS.get(runId).get() == 3);
    connect.awaitState("gives-up", 0, "RUNNING");
    connect.send("DELETE", "/connectors/gives-up", null);
  }

  private static JsonObject taskStatus(String name) {
    try {
      Reply r = connect.get("/connectors/" + name + "/tasks/0/status");
      return r.status() == 200 ? r.json() : null;
    } catch (Exception e) {
      return null;
    }
  }

  @Test
  void pluginsAndValidation() throws Exception {
    JsonArray plugins = connect.get("/connector-plugins").array();
    assertThat(plugins).contains(new JsonObject().put("class", "org.apache.kafka.connect.file.FileStreamSourceConnector")
        .put("type", "source").put("version", org.apache.kafka.common.utils.AppInfoParser.getVersion()));
    assertThat(plugins.stream().map(p -> ((JsonObject) p).getString("type"))).containsOnly("source", "sink");
    JsonArray all = connect.get("/connector-plugins?connectorsOnly=false").array();
    assertThat(all.stream().map(p -> ((JsonObject) p).getString("class")))
        .contains("org.apache.kafka.connect.transforms.InsertField$Value", "org.apache.kafka.connect.json.JsonConverter",
            "io.sluice.connect.builtin.LoadGeneratorConnector");

    Reply v = connect.send("PUT", "/connector-plugins/FileStreamSink/config/validate",
        new JsonObject().put("connector.class", "FileStreamSink").put("tasks.max", "1"));
    assertThat(v.status()).as(v.body()).isEqualTo(200);
    JsonObject result = v.json();
    assertThat(result.getString("name")).isEqualTo("org.apache.kafka.connect.file.FileStreamSinkConnector");
    assertThat(result.getInteger("error_count")).isPositive();
    JsonObject topics = result.getJsonArray("configs").stream().map(c -> (JsonObject) c)
        .filter(c -> c.getJsonObject("value").getString("name").equals("topics")).findFirst().orElseThrow();
    assertThat(topics.getJsonObject("value").getJsonArray("errors")).isNotEmpty();
    assertThat(topics.getJsonObject("definition").fieldNames()).contains("name", "type", "required",
        "default_value", "importance", "documentation", "group", "width", "display_name", "dependents", "order");
    assertThat(result.getJsonArray("groups").stream().map(Object::toString)).contains("Common");
    assertError(connect.send("PUT", "/connector-plugins/Nope/config/validate", new JsonObject()), 404,
        ErrorCode.CONNECTOR_PLUGIN_NOT_FOUND);
  }

  @Test
  void aSinksTopicsRegexIsRe2AndBoundedBeforeItRunsOnTheWorker() throws Exception {
    String[][] cases = {{"(a{1000}){1000}", "The pattern is too large: 1001000 atoms"},
        {"(?!__).*", "The pattern is not a valid regular expression (RE2 syntax): "}};
    for (String[] c : cases) {
      Reply v = connect.send("PUT", "/connector-plugins/FileStreamSink/config/validate", new JsonObject()
          .put("connector.class", "FileStreamSink").put("tasks.max", "1").put("topics.regex", c[0]));
      assertThat(v.status()).as(v.body()).isEqualTo(200);
      JsonObject regex = v.json().getJsonArray("configs").stream().map(o -> ((JsonObject) o).getJsonObject("value"))
          .filter(o -> o.getString("name").equals("topics.regex")).findFirst().orElseThrow();
      assertThat(regex.getJsonArray("errors").getString(0)).as(c[0]).startsWith(c[1]);
    }
  }
}
