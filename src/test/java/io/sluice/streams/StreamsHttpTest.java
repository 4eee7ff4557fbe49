package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.client.ClientOptions;
import io.sluice.client.SluiceClient;
import io.sluice.client.StreamDefinition;
import io.sluice.client.StreamDescription;
import io.sluice.client.Streams;
import io.sluice.config.BrokerConfig;
import io.sluice.streams.BrokerHttp.Reply;
import io.sluice.errors.SluiceException;
import io.sluice.errors.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The streams service over HTTP on a real broker: definitions, status, outputs, dead letters, lifecycle, preview. */
class StreamsHttpTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final int MAX_DEFINITIONS = 8;

  @TempDir
  static Path dir;
  private static Broker broker;
  private static final BrokerHttp HTTP = new BrokerHttp(() -> broker.httpPort());


  @BeforeAll
  static void start() throws Exception {
    broker = StreamsBroker.start(dir, GUARD, Map.of(BrokerConfig.STREAMS_MAX_DEFINITIONS, MAX_DEFINITIONS));
  }

  @AfterAll
  static void stop() throws Exception {
    TestBrokers.close(broker);
  }

  static void await(String what, BooleanSupplier condition) {
    Awaitility.await(what).atMost(Duration.ofMinutes(1)).until(condition::getAsBoolean);
  }

  static boolean check(Checked c) {
    try {
      return c.get();
    } catch (Exception e) {
      return false;
    }
  }

  interface Checked {
    boolean get() throws Exception;
  }

  private static JsonObject order(int id, String region, Object qty, Object price) {
    return new JsonObject().put("key", "k" + id).put("value", new JsonObject().put("id", id).put("region", region)
        .put("qty", qty).put("price", price));
  }

  @Test
  void theIssuesExampleRunsAndReportsItsTasks() throws Exception {
    HTTP.createTopic("orders", 2);
    HTTP.createTopic("eu-orders", 1);
    JsonObject def = new JsonObject("""
        {"name": "eu-orders", "inputs": ["orders"], "key_format": "json", "value_format": "json",
         "steps": [{"filter": "value.region == 'eu' && value.qty >= 10"},
                   {"map": {"value": "{'id': value.id, 'total': value.qty * value.price}"}},
                   {"to": "eu-orders"}]}""");
    Reply created = HTTP.send("POST", "/streams", def);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    assertThat(created.json().getLong("version")).isEqualTo(1);
    assertThat(HTTP.send("POST", "/streams", def).status()).isEqualTo(409);
    HTTP.produce("orders", new JsonArray().add(order(1, "eu", 12, 2.5)).add(order(2, "us", 50, 1))
        .add(order(3, "eu", 9, 1)).add(order(4, "eu", 10.5, 2)));
    await("two outputs", () -> check(() -> HTTP.read("eu-orders", 0).size() == 2));
    List<JsonObject> out = HTTP.read("eu-orders", 0);
    Map<Integer, Double> totals = new HashMap<>();
    out.forEach(r -> totals.put(r.getJsonObject("value").getInteger("id"),
        r.getJsonObject("value").getDouble("total")));
    assertThat(totals).containsExactlyInAnyOrderEntriesOf(Map.of(1, 30.0, 4, 21.0));
    await("status of both tasks", () -> check(() -> {
      JsonObject s = HTTP.send("GET", "/streams/eu-orders", null).json();
      long in = 0;
      for (Object t : s.getJsonArray("tasks")) {
        in += ((JsonObject) t).getLong("records_in");
      }
      return s.getJsonArray("tasks").size() == 2 && in == 4 && s.getString("state").equals("RUNNING");
    }));
    JsonObject task = HTTP.send("GET", "/streams/eu-orders", null).json().getJsonArray("tasks").getJsonObject(0);
    assertThat(task.getInteger("broker")).isEqualTo(1);
    assertThat(task.getString("state")).isEqualTo("RUNNING");
    assertThat(task.getLong("lag")).isZero();
    assertThat(task.fieldNames()).contains("position", "records_in_per_sec", "records_out_per_sec", "errors",
        "last_error", "restarts");
    JsonArray list = new JsonArray(HTTP.send("GET", "/streams", null).body());
    assertThat(list.stream().map(o -> ((JsonObject) o).getString("name"))).contains("eu-orders");
  }

  @Test
  void aDefinitionThatDoesNotCompileIsA400NamingTheStepAndIsNotStored() throws Exception {
    Reply r = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "broken", "inputs": ["x"], "steps": [{"filter": "value.a >"}, {"to": "y"}]}"""));
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.json().getInteger("error_code")).isEqualTo(ErrorCode.INVALID_STREAM_DEFINITION.code());
    assertThat(r.json().getString("message")).startsWith("steps[0].filter: ").contains("column");
    assertThat(HTTP.send("GET", "/streams/broken", null).status()).isEqualTo(404);
    assertThat(HTTP.send("POST", "/streams", "{nope").status()).isEqualTo(400);
    assertThat(HTTP.send("GET", "/streams/nope", null).json().getInteger("error_code"))
        .isEqualTo(ErrorCode.STREAM_NOT_FOUND.code());
  }

  /**
   * A stream over a topic that did not exist was stored and showed RUNNING with no tasks; when the topic came, its
   * internal topics had been made with one partition. Refused now, as Kafka Streams fails with
   * MissingSourceTopicException, naming the topic, on create and on a new version; once the topic exists the same
   * definition runs a task per partition.
   */
  @Test
  void aStreamOverAMissingInputIsRefusedNamingItAndNothingIsStored() throws Exception {
    JsonObject def = new JsonObject().put("name", "absent").put("inputs", new JsonArray().add("absent-in"))
        .put("steps", new JsonArray().add(new JsonObject().put("to", "absent-out")));
    Reply r = HTTP.send("POST", "/streams", def);
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.json().getInteger("error_code")).isEqualTo(ErrorCode.INVALID_STREAM_DEFINITION.code());
    assertThat(r.json().getString("message")).contains("topic absent-in does not exist");
    assertThat(HTTP.send("GET", "/streams/absent", null).status()).isEqualTo(404);

    HTTP.createTopic("absent-in", 3);
    assertThat(HTTP.send("POST", "/streams", def).status()).isEqualTo(201);
    await("a task per input partition", () -> check(() -> HTTP.send("GET", "/streams/absent", null).json()
        .getJsonArray("tasks").size() == 3));
    def.getJsonArray("steps").add(0, new JsonObject().put("merge", new JsonArray().add("absent-too")));
    Reply update = HTTP.send("PUT", "/streams/absent", def);
    assertThat(update.status()).as(update.body()).isEqualTo(400);
    assertThat(update.json().getString("message")).contains("topic absent-too does not exist");
    assertThat(HTTP.send("GET", "/streams/absent", null).json().getLong("version")).isEqualTo(1);
    HTTP.send("DELETE", "/streams/absent", null);
  }

  @Test
  void namesThatCannotNameAStreamAreRefusedAndNeverReachZooKeeper() throws Exception {
    for (String name : new String[] {".", ".."}) {
      Reply r = HTTP.send("POST", "/streams", new JsonObject().put("name", name).put("inputs", new JsonArray()
          .add("x")).put("steps", new JsonArray().add(new JsonObject().put("to", "y"))));
      assertThat(r.status()).as(r.body()).isEqualTo(400);
      assertThat(r.json().getString("message")).contains("not . or ..");
    }
    // Path names a stream cannot have: decoded, they would be a path to another node or no valid path at all.
    for (String path : new String[] {"%2F", "a%2Fb", "x%00", "a%2F..%2Fb"}) {
      for (String[] call : new String[][] {{"GET", ""}, {"DELETE", ""}, {"POST", "/pause"}, {"POST", "/restart"},
          {"GET", "/stores/s/keys/k"}, {"GET", "/stores/s/keys"}}) {
        Reply r = HTTP.send(call[0], "/streams/" + path + call[1], call[0].equals("POST") ? "{}" : null);
        assertThat(r.status()).as(call[0] + " " + path + call[1] + ": " + r.body()).isEqualTo(404);
        assertThat(r.json().getInteger("error_code")).isEqualTo(ErrorCode.STREAM_NOT_FOUND.code());
      }
    }
  }

  @Test
  void badRecordsGoToTheDeadLetterTopicWithHeadersAndProcessingGoesOn() throws Exception {
    HTTP.createTopic("dl-in", 1);
    HTTP.createTopic("dl-out", 1);
    Reply r = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "dl", "inputs": ["dl-in"], "key_format": "json", "value_format": "json",
         "steps": [{"map": {"value": "100 / value.n"}}, {"to": "dl-out"}]}"""));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    HTTP.produce("dl-in", new JsonArray().add(new JsonObject().put("value", new JsonObject().put("n", 4)))
        .add(new JsonObject().put("value", new JsonObject().put("n", 0)))
        .add(new JsonObject().put("value", new JsonObject().put("m", 1)))
        .add(new JsonObject().put("value", new JsonObject().put("n", 5))));
    await("outputs", () -> check(() -> HTTP.read("dl-out", 0).size() == 2 && HTTP.read("dl-dlq", 0).size() == 2));
    assertThat(HTTP.read("dl-out", 0)).extracting(o -> o.getValue("value")).containsExactly(25, 20);
    JsonObject dead = HTTP.read("dl-dlq", 0).get(0);
    assertThat(dead.getJsonObject("value")).isEqualTo(new JsonObject().put("n", 0));
    Map<String, String> headers = new HashMap<>();
    for (Object h : dead.getJsonArray("headers")) {
      JsonObject hj = (JsonObject) h;
      headers.put(hj.getString("key"), new String(Base64.getDecoder().decode(hj.getString("value")),
          StandardCharsets.UTF_8));
    }
    assertThat(headers).containsEntry("sluice.streams.stream", "dl").containsEntry("sluice.streams.version", "1")
        .containsEntry("sluice.streams.step", "steps[0].map.value")
        .containsEntry("sluice.streams.source.topic", "dl-in").containsEntry("sluice.streams.source.partition", "0")
        .containsEntry("sluice.streams.source.offset", "1");
    assertThat(headers.get("sluice.streams.error")).contains("by zero");
    await("errors counted", () -> check(() -> HTTP.send("GET", "/streams/dl", null).json().getLong("errors") == 2));
    assertThat(HTTP.send("GET", "/streams/dl", null).json().getJsonArray("tasks").getJsonObject(0)
        .getString("last_error")).contains("steps[0].map.value");
  }

  @Test
  void onErrorFailStopsTheTaskAndItRestartsByItself() throws Exception {
    HTTP.createTopic("f-in", 1);
    HTTP.createTopic("f-out", 1);
    assertThat(HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "f", "inputs": ["f-in"], "on_error": "fail", "value_format": "json",
         "steps": [{"map": {"value": "100 / value"}}, {"to": "f-out"}]}""")).status()).isEqualTo(201);
    HTTP.produce("f-in", new JsonArray().add(new JsonObject().put("value", 0)));
    await("failed with restarts", () -> check(() -> {
      JsonObject s = HTTP.send("GET", "/streams/f", null).json();
      JsonObject t = s.getJsonArray("tasks").getJsonObject(0);
      return s.getString("state").equals("FAILED") && t.getLong("restarts") >= 1
          && t.getString("last_error").contains("by zero");
    }));
    assertThat(HTTP.read("f-out", 0)).isEmpty();
  }

  @Test
  void pauseResumeAndANewVersionLoseAndDuplicateNothing() throws Exception {
    HTTP.createTopic("v-in", 1);
    HTTP.createTopic("v-out", 1);
    assertThat(HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "v", "inputs": ["v-in"], "value_format": "json",
         "steps": [{"map": {"value": "{'n': value, 'v': 1}"}}, {"to": "v-out"}]}""")).status()).isEqualTo(201);
    produceNumbers("v-in", 0, 20);
    await("first 20", () -> check(() -> HTTP.read("v-out", 0).size() == 20));
    assertThat(HTTP.send("POST", "/streams/v/pause", null).json().getString("state")).isEqualTo("PAUSED");
    await("task stopped", () -> check(() -> "STOPPED".equals(HTTP.send("GET", "/streams/v", null).json()
        .getJsonArray("tasks").getJsonObject(0).getString("state"))));
    produceNumbers("v-in", 20, 10);
    assertThat(HTTP.send("POST", "/streams/v/resume", null).json().getString("state")).isEqualTo("RUNNING");
    await("30", () -> check(() -> HTTP.read("v-out", 0).size() == 30));
    Reply put = HTTP.send("PUT", "/streams/v", new JsonObject("""
        {"name": "v", "inputs": ["v-in"], "value_format": "json",
         "steps": [{"map": {"value": "{'n': value, 'v': 2}"}}, {"to": "v-out"}]}"""));
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    assertThat(put.json().getLong("version")).isEqualTo(2);
    produceNumbers("v-in", 30, 20);
    await("version 2 running", () -> check(() -> HTTP.send("GET", "/streams/v", null).json().getJsonArray("tasks")
        .getJsonObject(0).getLong("version") == 2));
    produceNumbers("v-in", 50, 10);
    await("60", () -> check(() -> HTTP.read("v-out", 0).size() >= 60));
    assertThat(HTTP.send("POST", "/streams/v/restart", null).status()).isEqualTo(200);
    produceNumbers("v-in", 60, 10);
    await("70", () -> check(() -> HTTP.read("v-out", 0).size() >= 70));
    List<JsonObject> out = HTTP.read("v-out", 0);
    assertThat(out).extracting(o -> o.getJsonObject("value").getInteger("n"))
        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 70).boxed().toList());
    assertThat(out.get(69).getJsonObject("value").getInteger("v")).isEqualTo(2);
    assertThat(out.get(0).getJsonObject("value").getInteger("v")).isEqualTo(1);
    Reply mismatch = HTTP.send("PUT", "/streams/v", new JsonObject("""
        {"name": "w", "inputs": ["v-in"], "steps": [{"to": "v-out"}]}"""));
    assertThat(mismatch.status()).isEqualTo(400);
  }

  @Test
  void anInputDeletedAndCreatedAgainFailsTheTaskThenIsReadFromItsStart() throws Exception {
    HTTP.createTopic("rc-in", 1);
    HTTP.createTopic("rc-out", 1);
    assertThat(HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "rc", "inputs": ["rc-in"], "value_format": "json", "steps": [{"to": "rc-out"}]}""")).status())
        .isEqualTo(201);
    produceNumbers("rc-in", 0, 3);
    await("the first 3", () -> check(() -> HTTP.read("rc-out", 0).size() == 3));
    assertThat(HTTP.send("DELETE", "/topics/rc-in", null).status()).isEqualTo(204);
    await("the task failed naming its input", () -> check(() -> {
      JsonObject d = HTTP.send("GET", "/streams/rc", null).json();
      JsonObject task = d.getJsonArray("tasks").getJsonObject(0);
      return "FAILED".equals(d.getString("state")) && "FAILED".equals(task.getString("state"))
          && task.getString("last_error").contains("rc-in");
    }));
    HTTP.createTopic("rc-in", 1);
    // Fewer records than the old topic's: the checkpoint (3) is past the new log's end.
    produceNumbers("rc-in", 10, 2);
    await("the new topic's records", () -> check(() -> HTTP.read("rc-out", 0).size() == 5));
    produceNumbers("rc-in", 12, 2);
    await("the next", () -> check(() -> HTTP.read("rc-out", 0).size() >= 7));
    assertThat(HTTP.read("rc-out", 0)).extracting(o -> o.getInteger("value")).containsExactly(0, 1, 2, 10, 11, 12, 13);
    assertThat(HTTP.send("GET", "/streams/rc", null).json().getString("state")).isEqualTo("RUNNING");
  }

  private static void produceNumbers(String topic, int from, int count) throws Exception {
    JsonArray records = new JsonArray();
    for (int i = from; i < from + count; i++) {
      records.add(new JsonObject().put("value", i));
    }
    HTTP.produce(topic, records);
  }

  @Test
  void previewShowsWhatEachStepEmittedAndWritesNothing() throws Exception {
    JsonObject body = new JsonObject().put("definition", new JsonObject("""
        {"name": "p", "inputs": ["p-in"], "value_format": "json",
         "steps": [{"filter": "value.qty > 1"}, {"flat_map": "[value.qty, value.qty * 2]"},
                   {"branch": [{"when": "value > 5", "steps": [{"to": "big"}]}, {"steps": [{"to": "small"}]}]}]}"""))
        .put("records", new JsonArray().add(new JsonObject().put("key", "a").put("value",
            new JsonObject().put("qty", 3))).add(new JsonObject().put("value", new JsonObject().put("qty", 1)))
            .add(new JsonObject().put("value", "nope")));
    Reply r = HTTP.send("POST", "/streams/preview", body);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonArray records = r.json().getJsonArray("records");
    JsonObject first = records.getJsonObject(0);
    assertThat(first.getJsonArray("outputs").stream().map(o -> ((JsonObject) o).getString("topic")))
        .containsExactly("small", "big");
    assertThat(first.getJsonArray("steps").stream().map(o -> ((JsonObject) o).getString("step")))
        .containsExactly("steps[0].filter", "steps[1].flat_map", "steps[2].branch[1]", "steps[2].branch[1].steps[0].to",
            "steps[1].flat_map", "steps[2].branch[0]", "steps[2].branch[0].steps[0].to");
    assertThat(records.getJsonObject(1).getJsonArray("outputs")).isEmpty();
    assertThat(records.getJsonObject(2).getJsonObject("error").getString("step")).isEqualTo("steps[0].filter");
    assertThat(HTTP.send("GET", "/topics/big", null).status()).isEqualTo(404);
    assertThat(HTTP.send("GET", "/streams/p", null).status()).isEqualTo(404);
  }

  /** Each of these was read as something else: partition -1 even made an output to partition -1. */
  @Test
  void previewRefusesInlineRecordsThatNoInputCouldHoldNamingTheField() throws Exception {
    HTTP.createTopic("pr-in", 2);
    String[][] cases = {
        {"{\"value\": 1, \"partition\": -1}", "records[0].partition"},
        {"{\"value\": 1, \"partition\": 2}", "topic 'pr-in' has 2 partition(s); there is no partition 2"},
        {"{\"value\": 1, \"partition\": 1.5}", "records[0].partition"},
        {"{\"value\": 1, \"timestamp\": -5}", "records[0].timestamp"},
        {"{\"value\": 1, \"timestamp\": \"soon\"}", "records[0].timestamp"},
        {"{\"value\": 1, \"topic\": \"elsewhere\"}", "records[0].topic"},
        {"{\"value\": 1, \"headers\": {\"h\": {\"x\": 1}}}", "records[0].headers.h"},
        {"{\"value\": 1, \"offset\": 7}", "records[0].offset: unknown field"}};
    for (String[] c : cases) {
      Reply r = HTTP.send("POST", "/streams/preview", new JsonObject().put("definition", new JsonObject("""
          {"name": "pr", "inputs": ["pr-in"], "value_format": "json", "steps": [{"to": "pr-out"}]}"""))
          .put("records", new JsonArray().add(new JsonObject(c[0]))));
      assertThat(r.status()).as(c[0] + " " + r.body()).isEqualTo(400);
      assertThat(r.json().getString("message")).as(c[0]).contains(c[1]);
    }
    Reply lastHalf = HTTP.send("POST", "/streams/preview", new JsonObject().put("definition", new JsonObject("""
        {"name": "pr", "inputs": ["pr-in"], "steps": [{"to": "pr-out"}]}""")).put("last", 1.5));
    assertThat(lastHalf.status()).as(lastHalf.body()).isEqualTo(400);
    assertThat(lastHalf.json().getString("message")).contains("last");
    // A misspelt field previewed nothing (200, no records); records with last ignored last.
    JsonObject definition = new JsonObject("""
        {"name": "pr", "inputs": ["pr-in"], "steps": [{"to": "pr-out"}]}""");
    Reply misspelt = HTTP.send("POST", "/streams/preview", new JsonObject().put("definition", definition)
        .put("records", new JsonArray()).put("lsat", 5));
    assertThat(misspelt.status()).as(misspelt.body()).isEqualTo(400);
    assertThat(misspelt.json().getString("message")).contains("lsat: unknown field");
    Reply both = HTTP.send("POST", "/streams/preview", new JsonObject().put("definition", definition)
        .put("records", new JsonArray().add(new JsonObject().put("value", 1))).put("last", 5));
    assertThat(both.status()).as(both.body()).isEqualTo(400);
    assertThat(both.json().getString("message")).contains("records or last");
    Reply good = HTTP.send("POST", "/streams/preview", new JsonObject().put("definition", new JsonObject("""
        {"name": "pr", "inputs": ["pr-in"], "value_format": "json", "steps": [{"to": "pr-out"}]}"""))
        .put("records", new JsonArray().add(new JsonObject("{\"value\": 1, \"partition\": 1, \"timestamp\": 5,"
            + " \"headers\": {\"h\": \"v\", \"n\": null}}"))));
    assertThat(good.status()).as(good.body()).isEqualTo(200);
  }

  @Test
  void theJavaClientBuildsDefinitionsAndDrivesTheirLifecycle() throws Exception {
    HTTP.createTopic("c-in", 1);
    HTTP.createTopic("c-out", 1);
    HTTP.createTopic("c-odd", 1);
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:" + broker.httpPort()));
    try {
      Streams streams = client.streams();
      StreamDefinition def = StreamDefinition.builder("c").inputs("c-in").keyFormat("string").valueFormat("json")
          .filter("value.n >= 0")
          .branch(StreamDefinition.Arm.when("value.n % 2 == 1").mapValue("value.n * 10").to("c-odd"),
              StreamDefinition.Arm.otherwise().to("c-out"))
          .build();
      Duration wait = Duration.ofSeconds(30);
      StreamDescription created = streams.create(def).await().atMost(wait);
      assertThat(created.version()).isEqualTo(1);
      assertThat(created.definition()).isEqualTo(def.toJson());
      HTTP.produce("c-in", new JsonArray().add(new JsonObject().put("value", new JsonObject().put("n", 1)))
          .add(new JsonObject().put("value", new JsonObject().put("n", 2))));
      await("outputs", () -> check(() -> HTTP.read("c-odd", 0).size() == 1 && HTTP.read("c-out", 0).size() == 1));
      assertThat(HTTP.read("c-odd", 0).get(0).getValue("value")).isEqualTo(10);
      await("task status", () -> streams.describe("c").await().atMost(wait).tasks().stream()
          .anyMatch(t -> t.recordsIn() == 2 && t.broker() == 1));
      assertThat(streams.list().await().atMost(wait)).extracting(StreamDescription::name).contains("c");
      assertThat(streams.pause("c").await().atMost(wait).state()).isEqualTo("PAUSED");
      assertThat(streams.resume("c").await().atMost(wait).state()).isEqualTo("RUNNING");
      JsonObject preview = streams.preview(def, List.of(new JsonObject().put("value", new JsonObject()
          .put("n", 3)))).await().atMost(wait);
      assertThat(preview.getJsonArray("records").getJsonObject(0).getJsonArray("outputs").getJsonObject(0)
          .getString("topic")).isEqualTo("c-odd");
      StreamDefinition broken = StreamDefinition.builder("c").inputs("c-in").filter("value.n >").to("c-out").build();
      assertThatThrownBy(() -> streams.update(broken).await().atMost(wait))
          .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.errorCode())
              .isEqualTo(ErrorCode.INVALID_STREAM_DEFINITION));
      streams.delete("c", true).await().atMost(wait);
      assertThatThrownBy(() -> streams.describe("c").await().atMost(wait))
          .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.errorCode())
              .isEqualTo(ErrorCode.STREAM_NOT_FOUND));
    } finally {
      client.close().await().atMost(Duration.ofSeconds(30));
    }
  }

  @Test
  void definitionsBeyondTheClusterLimitAreRefused() throws Exception {
    HTTP.createTopic("lim-in", 1);
    int existing = new JsonArray(HTTP.send("GET", "/streams", null).body()).size();
    List<String> made = new ArrayList<>();
    try {
      for (int i = existing; i < MAX_DEFINITIONS; i++) {
        Reply r = HTTP.send("POST", "/streams", new JsonObject().put("name", "lim-" + i).put("inputs", new JsonArray()
            .add("lim-in")).put("steps", new JsonArray().add(new JsonObject().put("to", "lim-out"))));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        made.add("lim-" + i);
      }
      Reply over = HTTP.send("POST", "/streams", new JsonObject().put("name", "lim-over").put("inputs", new JsonArray()
          .add("lim-in")).put("steps", new JsonArray().add(new JsonObject().put("to", "lim-out"))));
      assertThat(over.status()).as(over.body()).isEqualTo(400);
      assertThat(over.json().getInteger("error_code")).isEqualTo(ErrorCode.STREAM_LIMIT_EXCEEDED.code());
      assertThat(over.json().getString("message")).contains("streams.max.definitions");
    } finally {
      for (String name : made) {
        HTTP.send("DELETE", "/streams/" + name, null);
      }
    }
  }

  @Test
  void previewReadsTheLastRecordsOfTheInputs() throws Exception {
    HTTP.createTopic("pv-in", 1);
    produceNumbers("pv-in", 0, 5);
    Reply r = HTTP.send("POST", "/streams/preview", new JsonObject().put("definition", new JsonObject("""
        {"name": "pv", "inputs": ["pv-in"], "value_format": "json",
         "steps": [{"filter": "value % 2 == 0"}, {"to": "pv-out"}]}""")).put("last", 2));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonArray records = r.json().getJsonArray("records");
    assertThat(records.stream().map(o -> ((JsonObject) o).getJsonObject("input").getInteger("value")))
        .containsExactly(3, 4);
    assertThat(records.getJsonObject(0).getJsonArray("outputs")).isEmpty();
    assertThat(records.getJsonObject(1).getJsonArray("outputs").getJsonObject(0).getInteger("value")).isEqualTo(4);
    assertThat(HTTP.send("GET", "/topics/pv-out", null).status()).isEqualTo(404);
    Reply bad = HTTP.send("POST", "/streams/preview", new JsonObject().put("definition", new JsonObject("""
        {"name": "pv", "inputs": ["pv-in"], "steps": [{"to": "pv-out"}]}""")).put("last", 0));
    assertThat(bad.status()).isEqualTo(400);
  }

  @Test
  void deleteStopsTheStreamAndCanDeleteItsDeadLetterTopic() throws Exception {
    HTTP.createTopic("d-in", 1);
    assertThat(HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "d", "inputs": ["d-in"], "steps": [{"to": "d-out"}]}""")).status()).isEqualTo(201);
    assertThat(HTTP.send("GET", "/topics/d-dlq", null).status()).isEqualTo(200);
    assertThat(HTTP.send("DELETE", "/streams/d?delete_topics=true", null).status()).isEqualTo(204);
    assertThat(HTTP.send("GET", "/streams/d", null).status()).isEqualTo(404);
    await("dead-letter topic deleted", () -> check(() -> HTTP.send("GET", "/topics/d-dlq", null).status() == 404));
    assertThat(HTTP.send("DELETE", "/streams/d", null).status()).isEqualTo(404);
  }

  @Test
  void runningTasksAreMeteredAtTheMetricsEndpointUntilTheStreamIsDeleted() throws Exception {
    HTTP.createTopic("m-in", 1);
    HTTP.createTopic("m-out", 1);
    assertThat(HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "metered", "inputs": ["m-in"], "steps": [{"filter": "value > 2"}, {"to": "m-out"}]}""")).status())
        .isEqualTo(201);
    produceNumbers("m-in", 1, 5);
    String series = "{partition=\"0\",stream=\"metered\",topic=\"m-in\"}";
    await("the task's counters at /metrics", () -> check(() -> {
      String metrics = HTTP.send("GET", "/metrics", null, "text/plain").body();
      return metrics.contains("sluice_stream_task_records_in_total" + series + " 5.0")
          && metrics.contains("sluice_stream_task_records_out_total" + series + " 3.0")
          && metrics.contains("sluice_stream_task_lag_records" + series + " 0.0");
    }));
    assertThat(HTTP.send("DELETE", "/streams/metered", null).status()).isEqualTo(204);
    await("the task's meters gone with it", () -> check(() ->
        !HTTP.send("GET", "/metrics", null, "text/plain").body().contains("stream=\"metered\"")));
  }
}
