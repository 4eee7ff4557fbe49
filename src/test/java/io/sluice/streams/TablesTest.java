package io.sluice.streams;

import static io.sluice.streams.StatefulStreamsTest.await;
import static io.sluice.streams.StatefulStreamsTest.header;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.client.StreamDefinition.Join;
import io.sluice.streams.BrokerHttp.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tables and joins on a real broker over HTTP: the stream-table join of docs/streams.md on inputs of different
 * partition counts (repartitioned), its table read through an interactive query, deletes, and the table restored
 * from its changelog after the task restarts (the local RocksDB files are gone by then); a table read alone with
 * to_stream; a stream-stream join; the Java client's builder; and 400s.
 */
class TablesTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  static Path dir;
  private static Broker broker;
  private static StreamStore store;
  private static final BrokerHttp HTTP = new BrokerHttp(() -> broker.httpPort());

  @BeforeAll
  static void start() throws Exception {
    broker = StreamsBroker.start(dir, GUARD, Map.of());
    store = StreamsBroker.store(broker);
  }

  @AfterAll
  static void stop() throws Exception {
    TestBrokers.close(broker);
  }

  private static JsonObject rec(String key, Object value) {
    return new JsonObject().put("key", key).put("value", value);
  }

  private static List<JsonObject> readAll(String topic, int partitions) throws Exception {
    List<JsonObject> out = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      out.addAll(HTTP.read(topic, p));
    }
    return out;
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
  void aStreamTableJoinEnrichesRecordsAndItsTableSurvivesARestart() throws Exception {
    HTTP.createTopic("customers", 2);
    HTTP.createTopic("orders", 3);
    HTTP.createTopic("enriched-orders", 1);
    Reply created = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "enriched-orders", "inputs": ["orders"], "key_format": "json", "value_format": "json",
         "steps": [{"join": {"table": "customers", "type": "left", "store": "customers",
                             "value": "{'id': left.id, 'name': right == null ? 'unknown' : right.name}"}},
                   {"to": "enriched-orders"}]}"""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    HTTP.produce("customers", new JsonArray().add(rec("c1", new JsonObject().put("name", "Ada")))
        .add(rec("c2", new JsonObject().put("name", "Bob"))));
    await("the table holds both customers", () -> HTTP.send("GET", "/streams/enriched-orders/stores/customers/keys/c2",
        null).status() == 200);
    assertThat(HTTP.send("GET", "/streams/enriched-orders/stores/customers/keys/c1", null).json())
        .isEqualTo(new JsonObject().put("key", "c1").put("value", new JsonObject().put("name", "Ada")));
    HTTP.produce("orders", new JsonArray().add(rec("c1", new JsonObject().put("id", 1)))
        .add(rec("c3", new JsonObject().put("id", 2))));
    await("two enriched orders", () -> HTTP.read("enriched-orders", 0).size() == 2);
    List<JsonObject> out = HTTP.read("enriched-orders", 0);
    assertThat(out.stream().map(r -> r.getString("key") + "=" + r.getJsonObject("value").encode()))
        .containsExactlyInAnyOrder("c1={\"id\":1,\"name\":\"Ada\"}", "c3={\"id\":2,\"name\":\"unknown\"}");
    // written by the task's sequenced producer: the leaders' dedup covers join outputs as any other
    assertThat(header(out.get(0), "sluice.seq")).isNotNull();
    assertThat(header(out.get(0), "sluice.streams.task")).startsWith("enriched-orders/enriched-orders-repartition-0/");

    HTTP.produce("customers", new JsonArray().add(rec("c2", null))); // a delete
    await("c2 deleted from the table", () -> HTTP.send("GET", "/streams/enriched-orders/stores/customers/keys/c2",
        null).status() == 404);
    assertThat(HTTP.send("POST", "/streams/enriched-orders/restart", null).status()).isEqualTo(200);
    // two puts and a delete, besides the join's record of its inputs' progress (JoinSync)
    await("the table restored from its changelog", () -> {
      long restored = 0;
      for (Object o : HTTP.send("GET", "/streams/enriched-orders", null).json().getJsonArray("tasks")) {
        JsonObject t = (JsonObject) o;
        if (t.getString("topic").equals("enriched-orders-repartition-0")) {
          if (!"RUNNING".equals(t.getString("state")) || t.getJsonObject("restore") == null
              || !"DONE".equals(t.getJsonObject("restore").getString("state"))) {
            return false;
          }
          restored += t.getJsonObject("restore").getLong("records");
        }
      }
      return restored >= 3;
    });
    HTTP.produce("orders", new JsonArray().add(rec("c1", new JsonObject().put("id", 3)))
        .add(rec("c2", new JsonObject().put("id", 4))));
    await("two more", () -> HTTP.read("enriched-orders", 0).size() == 4);
    assertThat(HTTP.read("enriched-orders", 0).subList(2, 4).stream().map(r -> r.getString("key") + "="
        + r.getJsonObject("value").getString("name"))).containsExactlyInAnyOrder("c1=Ada", "c2=unknown");
  }

  /**
   * A join task made to replay its whole input (its checkpoint rewound to 0 while paused: its table restored empty,
   * then rebuilt by the replay) writes no output twice: the leaders drop the replayed outputs by their sequences. The
   * same replay of an at_least_once copy writes them again, which shows the check can fail.
   */
  @Test
  void aJoinTaskReplayingItsWholeInputWritesNothingTwice() throws Exception {
    HTTP.createTopic("accounts", 1);
    HTTP.createTopic("txns", 1);
    for (String guarantee : List.of("exactly_once", "at_least_once")) {
      HTTP.createTopic("txns-" + guarantee, 1);
      Reply created = HTTP.send("POST", "/streams", new JsonObject("""
          {"name": "txns-%s", "inputs": ["txns"], "key_format": "json", "value_format": "json", "guarantee": "%s",
           "steps": [{"join": {"table": "accounts", "value": "{'amount': left, 'owner': right}"}},
                     {"to": "txns-%s"}]}""".formatted(guarantee, guarantee, guarantee)));
      assertThat(created.status()).as(created.body()).isEqualTo(201);
    }
    HTTP.produce("accounts", new JsonArray().add(rec("a1", "Ada")).add(rec("a2", "Bob")));
    await("both tables hold both accounts", () -> HTTP.send("GET", "/streams/txns-exactly_once/stores/join/keys/a2",
        null).status() == 200 && HTTP.send("GET", "/streams/txns-at_least_once/stores/join/keys/a2", null)
        .status() == 200);
    JsonArray txns = new JsonArray();
    for (int i = 0; i < 5; i++) {
      txns.add(rec(i % 2 == 0 ? "a1" : "a2", i));
    }
    HTTP.produce("txns", txns);
    await("five joined each", () -> HTTP.read("txns-exactly_once", 0).size() == 5
        && HTTP.read("txns-at_least_once", 0).size() == 5);
    for (String guarantee : List.of("exactly_once", "at_least_once")) {
      String name = "txns-" + guarantee;
      assertThat(HTTP.send("POST", "/streams/" + name + "/pause", null).status()).isEqualTo(200);
      await(name + " stopped", () -> "STOPPED".equals(task(name, name + "-repartition-0").getString("state")));
      String id = name + "-repartition-0-0";
      store.writeTask(name, id, store.task(name, id).put("offset", 0));
      assertThat(HTTP.send("POST", "/streams/" + name + "/resume", null).status()).isEqualTo(200);
    }
    HTTP.produce("txns", new JsonArray().add(rec("a1", 5)));
    // 7 records in the repartition topic (2 accounts, 5 txns) read, 7 replayed, and the sixth txn
    await("the replays done and the sixth joined", () -> task("txns-exactly_once", "txns-exactly_once-repartition-0")
        .getLong("records_in") == 15 && HTTP.read("txns-at_least_once", 0).size() == 11);
    List<String> once = new ArrayList<>();
    HTTP.read("txns-exactly_once", 0).forEach(r -> once.add(r.getString("key") + "=" + r.getValue("value")));
    assertThat(once).containsExactly("a1={\"amount\":0,\"owner\":\"Ada\"}", "a2={\"amount\":1,\"owner\":\"Bob\"}",
        "a1={\"amount\":2,\"owner\":\"Ada\"}", "a2={\"amount\":3,\"owner\":\"Bob\"}",
        "a1={\"amount\":4,\"owner\":\"Ada\"}", "a1={\"amount\":5,\"owner\":\"Ada\"}");
    assertThat(task("txns-at_least_once", "txns-at_least_once-repartition-0").getLong("records_in")).isEqualTo(15);
  }

  @Test
  void aTableReadAloneAndToStreamGiveItsChanges() throws Exception {
    HTTP.createTopic("prices", 1);
    HTTP.createTopic("price-changes", 1);
    Reply created = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "price-changes", "table": "prices", "key_format": "json", "value_format": "json",
         "steps": [{"to_stream": {}}, {"to": "price-changes"}]}"""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    HTTP.produce("prices", new JsonArray().add(rec("a", 1)).add(rec("b", 2)).add(rec("a", null))
        .add(rec("zz", null)).add(rec("b", 3)));
    await("four changes", () -> HTTP.read("price-changes", 0).size() == 4);
    assertThat(HTTP.read("price-changes", 0).stream().map(r -> r.getString("key") + "=" + r.getValue("value")))
        .containsExactly("a=1", "b=2", "a=null", "b=3"); // deleting an absent key changes nothing
    Reply b = HTTP.send("GET", "/streams/price-changes/stores/table/keys/b", null);
    assertThat(b.json().getLong("value")).as(b.body()).isEqualTo(3);
  }

  /** An aggregation's result is a table: its output topic holds each key's latest aggregate, joined here. */
  @Test
  void anAggregationsResultJoinsAsATable() throws Exception {
    HTTP.createTopic("sales", 1);
    HTTP.createTopic("sales-totals", 1);
    HTTP.createTopic("checkouts", 1);
    HTTP.createTopic("receipts", 1);
    Reply totals = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "sales-totals", "inputs": ["sales"], "key_format": "json", "value_format": "json",
         "steps": [{"group_by": "key"}, {"sum": "value"}, {"to_stream": {}}, {"to": "sales-totals"}]}"""));
    assertThat(totals.status()).as(totals.body()).isEqualTo(201);
    Reply receipts = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "receipts", "inputs": ["checkouts"], "key_format": "json", "value_format": "json",
         "steps": [{"join": {"table": "sales-totals", "value": "{'cart': left, 'spent': right}"}},
                   {"to": "receipts"}]}"""));
    assertThat(receipts.status()).as(receipts.body()).isEqualTo(201);
    HTTP.produce("sales", new JsonArray().add(rec("a", 10)).add(rec("b", 1)).add(rec("a", 5)));
    await("the running total of a in the join's table", () -> {
      Reply r = HTTP.send("GET", "/streams/receipts/stores/join/keys/a", null);
      return r.status() == 200 && r.json().getLong("value") == 15;
    });
    HTTP.produce("checkouts", new JsonArray().add(rec("a", "cart-1")).add(rec("c", "cart-2")));
    await("one receipt", () -> HTTP.read("receipts", 0).size() == 1);
    assertThat(HTTP.read("receipts", 0).get(0).getJsonObject("value"))
        .isEqualTo(new JsonObject().put("cart", "cart-1").put("spent", 15));
  }

  @Test
  void aStreamStreamJoinPairsRecordsWithinItsWindow() throws Exception {
    HTTP.createTopic("views", 1);
    HTTP.createTopic("buys", 1);
    HTTP.createTopic("view-buys", 1);
    Reply created = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "view-buys", "inputs": ["views"], "value_format": "json",
         "steps": [{"join": {"stream": "buys", "type": "outer", "within": "10s",
                             "value": "{'view': left, 'buy': right}"}},
                   {"to": "view-buys"}]}"""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    HTTP.produce("views", new JsonArray().add(at("u1", 1_000, "v1")).add(at("u2", 2_000, "v2")));
    await("the views in the store", () -> {
      JsonObject t = task("view-buys", "view-buys-repartition-0");
      return t != null && t.getLong("records_in", 0L) == 2;
    });
    HTTP.produce("buys", new JsonArray().add(at("u1", 5_000, "b1")).add(at("u1", 60_000, "b2")));
    // b1 joins v1; b2 closes every window before it, and v2, which never joined, is emitted with a null buy
    await("a pair and an unmatched view", () -> HTTP.read("view-buys", 0).size() == 2);
    assertThat(HTTP.read("view-buys", 0).stream().map(r -> r.getString("key") + "=" + r.getJsonObject("value")
        .encode())).containsExactlyInAnyOrder("u1={\"view\":\"v1\",\"buy\":\"b1\"}",
        "u2={\"view\":\"v2\",\"buy\":null}");
    // the store holds what is still open: b2 (nothing closed its window yet); v1, b1 and v2 are gone. The REST
    // produce path wrote the keys as JSON ("u1" with its quotes), which the string key format keeps
    Reply query = HTTP.send("GET", "/streams/view-buys/stores/join/keys/%22u1%22", null);
    assertThat(query.status()).as(query.body()).isEqualTo(200);
    assertThat(query.json()).isEqualTo(new JsonObject().put("key", "\"u1\"").put("records", new JsonArray()
        .add(new JsonObject().put("side", "right").put("time", 60_000).put("value", "b2").put("matched", false))));
    assertThat(HTTP.send("GET", "/streams/view-buys/stores/join/keys/%22u1%22?to=59999", null).status())
        .isEqualTo(404);
    assertThat(HTTP.send("GET", "/streams/view-buys/stores/join/keys/%22u2%22", null).status()).isEqualTo(404);
    Reply scan = HTTP.send("GET", "/streams/view-buys/stores/join/keys?prefix=%22u", null);
    assertThat(scan.json().getJsonArray("entries").stream().map(e -> ((JsonObject) e).getString("key")))
        .containsExactly("\"u1\"");
  }

  private static JsonObject at(String key, long timestamp, String value) {
    return rec(key, value).put("timestamp", timestamp);
  }

  @Test
  void theJavaClientBuildsJoins() {
    JsonObject built = io.sluice.client.StreamDefinition.builder("profiles").table("users").valueFormat("json")
        .join(Join.table("addresses").outer().value("{'user': left, 'address': right}"))
        .toStream().to("profiles").build().toJson();
    assertThat(built).isEqualTo(new JsonObject("""
        {"name": "profiles", "table": "users", "value_format": "json",
         "steps": [{"join": {"table": "addresses", "type": "outer", "value": "{'user': left, 'address': right}"}},
                   {"to_stream": {}}, {"to": "profiles"}]}"""));
    JsonObject windowed = io.sluice.client.StreamDefinition.builder("pairs").inputs("views")
        .join(Join.stream("buys", "10s").grace("1s").left().store("pairs").maxIdle("2s")).to("out").build().toJson();
    assertThat(windowed.getJsonArray("steps").getJsonObject(0)).isEqualTo(new JsonObject("""
        {"join": {"stream": "buys", "within": "10s", "grace": "1s", "type": "left", "store": "pairs",
                  "max_idle": "2s"}}"""));
  }

  @Test
  void previewRunsAJoinWithTheTableRecordsGivenInline() throws Exception {
    Reply r = HTTP.send("POST", "/streams/preview", new JsonObject("""
        {"definition": {"name": "p", "inputs": ["o"], "key_format": "json", "value_format": "json",
          "steps": [{"join": {"table": "c", "value": "{'id': left.id, 'name': right.name}"}}, {"to": "out"}]},
         "records": [{"topic": "c", "key": "c1", "value": {"name": "Ada"}}, {"key": "c1", "value": {"id": 1}},
                     {"key": "c2", "value": {"id": 2}}]}"""));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    List<String> joined = new ArrayList<>();
    for (Object o : r.json().getJsonArray("records")) {
      for (Object out : ((JsonObject) o).getJsonArray("outputs")) {
        if (((JsonObject) out).getString("topic").equals("out")) {
          joined.add(((JsonObject) out).getJsonObject("value").encode());
        }
      }
    }
    assertThat(joined).containsExactly("{\"id\":1,\"name\":\"Ada\"}"); // c2 has no customer: an inner join drops it
  }

  @Test
  void badJoinsAre400sSayingWhy() throws Exception {
    assertBad("\"inputs\": [\"i\"], \"steps\": [{\"join\": {\"table\": \"t\", \"type\": \"outer\"}}, {\"to\": \"o\"}]",
        "steps[0].join.type", "inner or left");
    assertBad("\"inputs\": [\"i\"], \"steps\": [{\"join\": {\"stream\": \"s\"}}, {\"to\": \"o\"}]",
        "steps[0].join.within", "needs a window");
    assertBad("\"inputs\": [\"i\"], \"steps\": [{\"join\": {\"table\": \"i\"}}, {\"to\": \"o\"}]",
        "steps[0].join", "joined with itself");
    assertBad("\"inputs\": [\"i\"], \"steps\": [{\"join\": {\"table\": \"t\"}}, {\"group_by\": \"key\"},"
        + " {\"count\": {}}, {\"to\": \"o\"}]", "steps[1].group_by", "at most one group_by or join");
    assertBad("\"table\": \"t\", \"steps\": [{\"join\": {\"stream\": \"s\", \"within\": \"1s\"}}, {\"to\": \"o\"}]",
        "steps[0].join.stream", "joins a table");
    assertBad("\"inputs\": [\"i\"], \"steps\": [{\"to_stream\": {}}, {\"to\": \"o\"}]", "steps[0].to_stream",
        "after a table");
    assertBad("\"inputs\": [\"i\"], \"table\": \"t\", \"steps\": [{\"to\": \"o\"}]", "table", "not both");
    assertBad("\"inputs\": [\"i\"], \"steps\": [{\"join\": {\"table\": \"t\", \"value\": \"left +\"}}, {\"to\": \"o\"}]",
        "steps[0].join.value", "column");
    assertBad("\"inputs\": [\"i\"], \"steps\": [{\"join\": {\"table\": \"t\", \"max_idle\": \"10m\"}}, {\"to\": \"o\"}]",
        "steps[0].join.max_idle", "at most 300s");
    assertBad("\"inputs\": [\"i\"], \"steps\": [{\"join\": {\"table\": \"t\", \"max_idle\": \"soon\"}}, {\"to\": \"o\"}]",
        "steps[0].join.max_idle", "is not a duration");
  }

  private static void assertBad(String body, String where, String message) throws Exception {
    Reply r = HTTP.send("POST", "/streams", new JsonObject("{\"name\": \"bad\", " + body + "}"));
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.json().getString("message")).contains(where).contains(message);
  }
}
