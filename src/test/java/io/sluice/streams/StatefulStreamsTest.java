package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.streams.BrokerHttp.Reply;
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
import java.util.concurrent.Callable;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stateful streams on a real broker over HTTP: the issue's clicks-per-minute example as written (repartition topic,
 * tumbling window, grace, emit final, late records counted), a store restored from its changelog after its task
 * restarts (the local RocksDB files are gone by then), late records to the dead-letter topic, preview, and 400s.
 */
class StatefulStreamsTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final long T = 1_800_000_000_000L; // a whole minute

  @TempDir
  static Path dir;
  private static Broker broker;
  private static final BrokerHttp HTTP = new BrokerHttp(() -> broker.httpPort());


  @BeforeAll
  static void start() throws Exception {
    // the records' event times (T) lie in 2027, further ahead of the broker's clock than Kafka 4's default hour
    broker = StreamsBroker.start(dir, GUARD, Map.of(BrokerConfig.LOG_MESSAGE_TIMESTAMP_AFTER_MAX_MS, Long.MAX_VALUE));
  }

  @AfterAll
  static void stop() throws Exception {
    TestBrokers.close(broker);
  }

  static void await(String what, Callable<Boolean> condition) {
    Awaitility.await(what).atMost(Duration.ofMinutes(1)).until(condition);
  }

  static String header(JsonObject record, String name) {
    for (Object h : record.getJsonArray("headers")) {
      JsonObject o = (JsonObject) h;
      if (o.getString("key").equals(name)) {
        return new String(Base64.getDecoder().decode(o.getString("value")), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  private static JsonObject click(String page, long at) {
    return new JsonObject().put("value", new JsonObject().put("page", page)).put("timestamp", at);
  }

  private static JsonObject task(String stream, String topic) throws Exception {
    for (Object t : HTTP.send("GET", "/streams/" + stream, null).json().getJsonArray("tasks")) {
      if (((JsonObject) t).getString("topic").equals(topic)) {
        return (JsonObject) t;
      }
    }
    return null;
  }

  @Test
  void theIssuesClicksPerMinuteExampleWorksAsWritten() throws Exception {
    HTTP.createTopic("clicks", 1);
    HTTP.createTopic("clicks-per-minute", 1);
    Reply created = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "clicks-per-minute", "inputs": ["clicks"], "value_format": "json",
         "steps": [{"group_by": "value.page"},
                   {"window": {"tumbling": "60s", "grace": "10s"}},
                   {"count": {"store": "counts", "emit": "final"}},
                   {"to": "clicks-per-minute"}]}"""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    HTTP.produce("clicks", new JsonArray().add(click("a", T + 1_000)).add(click("a", T + 5_000))
        .add(click("b", T + 9_000))
        .add(click("a", T + 59_999)).add(click("b", T + 65_000))
        .add(click("a", T + 30_000)) // within the grace: counts in minute 0
        .add(click("a", T + 71_000)) // stream time passes 60 s + 10 s: minute 0 closes
        .add(click("b", T + 20_000)) // minute 0 is closed: late, dropped and counted
        .add(click("b", T + 135_000))); // minute 1 closes
    await("minute 0 and 1 results", () -> HTTP.read("clicks-per-minute", 0).size() == 4);
    Map<String, Long> counts = new HashMap<>();
    for (JsonObject r : HTTP.read("clicks-per-minute", 0)) {
      counts.put(r.getString("key") + "@" + (Long.parseLong(header(r, "sluice.window.start")) - T) + "-"
          + (Long.parseLong(header(r, "sluice.window.end")) - T), r.getLong("value"));
    }
    assertThat(counts).isEqualTo(Map.of("a@0-60000", 4L, "b@0-60000", 1L, "a@60000-120000", 1L,
        "b@60000-120000", 1L));
    await("the late record counted", () -> {
      JsonObject t = task("clicks-per-minute", "clicks-per-minute-repartition-0");
      return t != null && t.getLong("late_records", 0L) == 1;
    });
    JsonObject t = task("clicks-per-minute", "clicks-per-minute-repartition-0");
    assertThat(t.getJsonObject("restore").getString("state")).isEqualTo("DONE");
    // The internal topics: a compacted changelog named from the stream and store.
    Reply changelog = HTTP.send("GET", "/topics/clicks-per-minute-counts-changelog", null);
    assertThat(changelog.status()).as(changelog.body()).isEqualTo(200);
    assertThat(changelog.body()).contains("compact");
  }

  @Test
  void aRestartedTaskRestoresItsStoreFromTheChangelogAndCountsOn() throws Exception {
    HTTP.createTopic("sales", 1);
    HTTP.createTopic("totals", 1);
    Reply created = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "totals", "inputs": ["sales"], "value_format": "json",
         "steps": [{"group_by": "key"}, {"sum": "value.amount"}, {"to": "totals"}]}"""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    HTTP.produce("sales", new JsonArray().add(sale("a", 10)).add(sale("b", 5)).add(sale("a", 7)));
    await("three totals", () -> HTTP.read("totals", 0).size() == 3);
    assertThat(HTTP.read("totals", 0).get(2).getLong("value")).isEqualTo(17);
    assertThat(HTTP.send("POST", "/streams/totals/restart", null).status()).isEqualTo(200);
    await("the task restarted with its store restored", () -> {
      JsonObject t = task("totals", "sales");
      return t != null && t.getLong("restarts") == 0 && t.getJsonObject("restore") != null
          && t.getJsonObject("restore").getString("state").equals("DONE")
          && t.getJsonObject("restore").getLong("records") >= 2 && "RUNNING".equals(t.getString("state"));
    });
    HTTP.produce("sales", new JsonArray().add(sale("a", 1)).add(sale("b", 1)));
    await("two more totals", () -> HTTP.read("totals", 0).size() == 5);
    List<JsonObject> out = HTTP.read("totals", 0);
    assertThat(out.get(3).getString("key") + "=" + out.get(3).getLong("value")).isEqualTo("a=18");
    assertThat(out.get(4).getString("key") + "=" + out.get(4).getLong("value")).isEqualTo("b=6");
  }

  @Test
  void aTaskWithStateWhoseInputWasDeletedAndCreatedAgainStaysFailedSayingSo() throws Exception {
    HTTP.createTopic("re-sales", 1);
    HTTP.createTopic("re-totals", 1);
    Reply created = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "re-totals", "inputs": ["re-sales"], "value_format": "json",
         "steps": [{"group_by": "key"}, {"sum": "value.amount"}, {"to": "re-totals"}]}"""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    HTTP.produce("re-sales", new JsonArray().add(sale("a", 10)).add(sale("b", 5)).add(sale("a", 7)));
    await("three totals", () -> HTTP.read("re-totals", 0).size() == 3);
    assertThat(HTTP.send("DELETE", "/topics/re-sales", null).status()).isEqualTo(204);
    HTTP.createTopic("re-sales", 1);
    HTTP.produce("re-sales", new JsonArray().add(sale("a", 1)));
    await("the task failed saying its input was replaced", () -> {
      JsonObject t = task("re-totals", "re-sales");
      return t != null && "FAILED".equals(t.getString("state")) && t.getString("last_error") != null
          && t.getString("last_error").contains("was deleted and created again");
    });
    assertThat(HTTP.send("GET", "/streams/re-totals", null).json().getString("state")).isEqualTo("FAILED");
  }

  private static JsonObject sale(String key, long amount) {
    return new JsonObject().put("key", key).put("value", new JsonObject().put("amount", amount));
  }

  @Test
  void lateRecordsGoToTheDeadLetterTopicWhenTheStreamAsks() throws Exception {
    HTTP.createTopic("temps", 1);
    HTTP.createTopic("max-temps", 1);
    Reply created = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "max-temps", "inputs": ["temps"], "value_format": "json",
         "steps": [{"group_by": "key"},
                   {"window": {"hopping": {"size": "10s", "advance": "5s"}, "time": "value.at", "late": "dead_letter"}},
                   {"max": "value.c"}, {"to": "max-temps"}]}"""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    HTTP.produce("temps", new JsonArray().add(temp(12_000, 20)).add(temp(30_000, 21)).add(temp(1_000, 30)));
    await("the late record in the dead-letter topic", () -> HTTP.read("max-temps-dlq", 0).size() == 1);
    JsonObject dead = HTTP.read("max-temps-dlq", 0).get(0);
    assertThat(header(dead, "sluice.streams.error")).contains("late record");
    assertThat(dead.getJsonObject("value").getLong("c")).isEqualTo(30);
    // 12 s is in [5, 15) and [10, 20); 30 s in [25, 35) and [30, 40)
    assertThat(HTTP.read("max-temps", 0)).hasSize(4);
  }

  @Test
  void aFoldGrowingPastStreamsMaxValueBytesSendsItsRecordsToTheDeadLetterTopic() throws Exception {
    // Doubling the aggregate took the broker's heap (OutOfMemoryError) within 30 records of 1 KB.
    HTTP.createTopic("words", 1);
    Reply created = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "doubling", "inputs": ["words"], "value_format": "string",
         "steps": [{"group_by": "key"}, {"reduce": "aggregate + aggregate"}, {"to": "doubled"}]}"""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    JsonArray words = new JsonArray();
    for (int i = 0; i < 16; i++) { // 100 << 13 characters fit in 1 MiB, 100 << 14 do not
      words.add(new JsonObject().put("key", "k").put("value", "x".repeat(100)));
    }
    HTTP.produce("words", words);
    await("two records in the dead-letter topic", () -> HTTP.read("doubling-dlq", 0).size() == 2);
    for (JsonObject dead : HTTP.read("doubling-dlq", 0)) {
      assertThat(header(dead, "sluice.streams.error")).contains("streams.max.value.bytes");
      assertThat(dead.getString("value")).hasSize(100);
    }
    JsonObject task = task("doubling", "words");
    assertThat(task.getString("state")).isEqualTo("RUNNING");
    Reply end = HTTP.send("GET", "/topics/doubled/partitions/0/offsets", null);
    assertThat(end.json().getLong("end_offset")).isEqualTo(14);
  }

  private static JsonObject temp(long at, long c) {
    return new JsonObject().put("key", "room").put("value", new JsonObject().put("at", at).put("c", c));
  }

  @Test
  void previewRunsAggregationsInMemory() throws Exception {
    Reply r = HTTP.send("POST", "/streams/preview", new JsonObject("""
        {"definition": {"name": "p", "inputs": ["x"], "value_format": "json",
          "steps": [{"group_by": "value.user"}, {"count": {}}, {"to": "per-user"}]},
         "records": [{"value": {"user": "u1"}}, {"value": {"user": "u1"}}, {"value": {"user": "u2"}}]}"""));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    List<Long> counts = new ArrayList<>();
    for (Object o : r.json().getJsonArray("records")) {
      for (Object out : ((JsonObject) o).getJsonArray("outputs")) {
        if (((JsonObject) out).getString("topic").equals("per-user")) {
          counts.add(((JsonObject) out).getLong("value"));
        }
      }
    }
    assertThat(counts).containsExactly(1L, 2L, 1L);
  }

  @Test
  void theJavaClientBuildsStatefulDefinitionsAndSeesRestoreProgress() throws Exception {
    io.sluice.client.StreamDefinition built = io.sluice.client.StreamDefinition.builder("clicks-per-minute")
        .inputs("clicks").valueFormat("json")
        .groupBy("value.page")
        .window(io.sluice.client.StreamDefinition.Window.tumbling("60s").grace("10s"))
        .count(io.sluice.client.StreamDefinition.Aggregation.defaults().store("counts").emitFinal())
        .to("clicks-per-minute")
        .build();
    assertThat(built.toJson()).isEqualTo(new JsonObject("""
        {"name": "clicks-per-minute", "inputs": ["clicks"], "value_format": "json",
         "steps": [{"group_by": "value.page"},
                   {"window": {"tumbling": "60s", "grace": "10s"}},
                   {"count": {"store": "counts", "emit": "final"}},
                   {"to": "clicks-per-minute"}]}"""));
    HTTP.createTopic("visits", 1);
    HTTP.createTopic("sessions", 1);
    io.sluice.client.SluiceClient client = io.sluice.client.SluiceClient.create(
        io.sluice.client.ClientOptions.bootstrap("http://127.0.0.1:" + broker.httpPort()));
    try {
      Duration wait = Duration.ofSeconds(30);
      io.sluice.client.StreamDefinition def = io.sluice.client.StreamDefinition.builder("visit-sessions")
          .inputs("visits").keyFormat("json").valueFormat("json").groupByKey()
          .window(io.sluice.client.StreamDefinition.Window.session("30s").grace("1m"))
          .aggregate("0", "aggregate + value.pages", "aggregate + other",
              io.sluice.client.StreamDefinition.Aggregation.defaults().store("pages"))
          .to("sessions").build();
      client.streams().create(def).await().atMost(wait);
      HTTP.produce("visits", new JsonArray().add(visit(1_000, 2)).add(visit(50_000, 3)).add(visit(25_000, 4)));
      // the third visit bridges the first two sessions: one session [1 s, 50 s] of 9 pages
      await("the merged session", () -> {
        List<JsonObject> out = HTTP.read("sessions", 0);
        return !out.isEmpty() && out.get(out.size() - 1).getLong("value") == 9
            && "1000".equals(header(out.get(out.size() - 1), "sluice.window.start"))
            && "50000".equals(header(out.get(out.size() - 1), "sluice.window.end"));
      });
      await("restore status through the client", () -> client.streams().describe("visit-sessions").await()
          .atMost(wait).tasks().stream().anyMatch(t -> t.restore() != null
              && "DONE".equals(t.restore().getString("state"))));
      JsonObject session = client.streams().queryKey("visit-sessions", "pages", "u1", 0, Long.MAX_VALUE).await()
          .atMost(wait);
      assertThat(session.getJsonArray("windows")).containsExactly(new JsonObject().put("start", 1_000)
          .put("end", 50_000).put("value", 9));
      assertThat(client.streams().scanStore("visit-sessions", "pages", null, null, "u", 10).await().atMost(wait)
          .getJsonArray("entries")).hasSize(1);
    } finally {
      client.close().await().atMost(Duration.ofSeconds(30));
    }
  }

  private static JsonObject visit(long at, long pages) {
    return new JsonObject().put("key", "u1").put("timestamp", at).put("value", new JsonObject().put("pages", pages));
  }

  @Test
  void interactiveQueriesReadTheStoreByKeyRangeAndPrefix() throws Exception {
    HTTP.createTopic("plays", 1);
    HTTP.createTopic("scores", 1);
    Reply created = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "scores", "inputs": ["plays"], "key_format": "json", "value_format": "json",
         "steps": [{"group_by": "key"}, {"sum": {"value": "value.p", "store": "totals"}}, {"to": "scores"}]}"""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    HTTP.produce("plays", new JsonArray().add(play("a", 10)).add(play("b", 5)).add(play("a", 7)).add(play("ab", 1)));
    await("four results", () -> HTTP.read("scores", 0).size() == 4);
    Reply a = HTTP.send("GET", "/streams/scores/stores/totals/keys/a", null);
    assertThat(a.status()).as(a.body()).isEqualTo(200);
    assertThat(a.json()).isEqualTo(new JsonObject().put("key", "a").put("value", 17));
    assertThat(HTTP.send("GET", "/streams/scores/stores/totals/keys/%22a%22", null).json()).isEqualTo(a.json());
    assertThat(HTTP.send("GET", "/streams/scores/stores/totals/keys/zz", null).status()).isEqualTo(404);
    Reply noStore = HTTP.send("GET", "/streams/scores/stores/nope/keys/a", null);
    assertThat(noStore.status()).isEqualTo(404);
    assertThat(noStore.json().getString("message")).contains("no store 'nope'").contains("'totals'");
    assertThat(keys(HTTP.send("GET", "/streams/scores/stores/totals/keys?prefix=a", null))).containsExactly("a", "ab");
    assertThat(keys(HTTP.send("GET", "/streams/scores/stores/totals/keys?from_key=ab&to_key=c", null)))
        .containsExactly("ab", "b");
    assertThat(keys(HTTP.send("GET", "/streams/scores/stores/totals/keys?limit=2", null))).containsExactly("a", "ab");
    Reply bad = HTTP.send("GET", "/streams/scores/stores/totals/keys?limit=0", null);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().getString("message")).contains("limit");
    // a windowed store answers the windows of a key, bounded by from and to (window starts)
    HTTP.createTopic("hits", 1);
    HTTP.createTopic("hits-per-10s", 1);
    assertThat(HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "hits", "inputs": ["hits"], "key_format": "json", "value_format": "json",
         "steps": [{"group_by": "key"}, {"window": {"tumbling": "10s", "grace": "1h"}}, {"count": {}},
                   {"to": "hits-per-10s"}]}""")).status()).isEqualTo(201);
    HTTP.produce("hits", new JsonArray().add(hit(1_000)).add(hit(2_000)).add(hit(15_000)).add(hit(31_000)));
    await("four updates", () -> HTTP.read("hits-per-10s", 0).size() == 4);
    Reply w = HTTP.send("GET", "/streams/hits/stores/count/keys/h?from=10000&to=40000", null);
    assertThat(w.status()).as(w.body()).isEqualTo(200);
    assertThat(w.json()).isEqualTo(new JsonObject("""
        {"key": "h", "windows": [{"start": 10000, "end": 20000, "value": 1},
                                 {"start": 30000, "end": 40000, "value": 1}]}"""));
    assertThat(HTTP.send("GET", "/streams/hits/stores/count/keys/h", null).json().getJsonArray("windows")).hasSize(3);
  }

  private static JsonObject play(String key, long p) {
    return new JsonObject().put("key", key).put("value", new JsonObject().put("p", p));
  }

  private static JsonObject hit(long at) {
    return new JsonObject().put("key", "h").put("timestamp", at).put("value", new JsonObject());
  }

  private static List<String> keys(Reply r) {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    List<String> out = new ArrayList<>();
    r.json().getJsonArray("entries").forEach(e -> out.add(((JsonObject) e).getString("key")));
    return out;
  }

  @Test
  void badAggregationsAre400sNamingTheStep() throws Exception {
    assertBad("[{\"group_by\": \"key\"}, {\"to\": \"o\"}]", "steps[0].group_by", "followed by an aggregation");
    assertBad("[{\"group_by\": \"key\"}, {\"count\": {\"emit\": \"final\"}}, {\"to\": \"o\"}]", "steps[1].count.emit",
        "needs a window");
    assertBad("[{\"group_by\": \"key\"}, {\"window\": {\"tumbling\": \"1 minute\"}}, {\"count\": {}}, {\"to\": \"o\"}]",
        "steps[1].window.tumbling", "not a duration");
    assertBad("[{\"group_by\": \"key\"}, {\"window\": {\"session\": \"5m\"}}, {\"aggregate\": {\"initial\": \"0\","
        + " \"fold\": \"aggregate + 1\"}}, {\"to\": \"o\"}]", "steps[2].aggregate.merge", "merge expression");
    assertBad("[{\"count\": {}}, {\"to\": \"o\"}]", "steps[0].count", "follows a group_by");
    assertBad("[{\"group_by\": \"key\"}, {\"sum\": \"value.\"}, {\"to\": \"o\"}]", "steps[1].sum.value", "column");
    assertBad("[{\"group_by\": \"key\"}, {\"count\": {}}]", "steps[0].group_by", "followed by steps ending");
  }

  private static void assertBad(String steps, String where, String message) throws Exception {
    Reply r = HTTP.send("POST", "/streams", new JsonObject("{\"name\": \"bad\", \"inputs\": [\"i\"], \"steps\": "
        + steps + "}"));
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.json().getString("message")).contains(where).contains(message);
  }
}
