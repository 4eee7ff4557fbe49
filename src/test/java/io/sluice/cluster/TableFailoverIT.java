package io.sluice.cluster;

import static io.sluice.cluster.BrokerCluster.await;
import static io.sluice.cluster.BrokerCluster.body;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.cluster.BrokerCluster.Node;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stream-table join's table moves with its task, across two broker processes from the packaged jar: the broker
 * running the join (the repartition partition's task, which keeps the table in RocksDB) is killed with SIGKILL; the
 * other broker takes the partition's leadership, restores the table from its changelog and joins the records
 * produced after the kill with the values from before it. Every order is joined exactly once across the move.
 */
class TableFailoverIT {
  private static final String JSON_V2 = "application/vnd.kafka.json.v2+json";

  @RegisterExtension
  static final TestClusters CLUSTERS = new TestClusters();
  @TempDir
  Path dir;
  private BrokerCluster cluster;

  @Test
  void aKilledJoinTasksTableComesBackFromItsChangelogOnTheOtherBroker() throws Exception {
    cluster = CLUSTERS.create(dir);
    cluster.extraConfig.put("streams.commit.interval.ms", 200);
    cluster.startAll(2);
    for (String t : List.of("customers", "orders", "enriched")) {
      HttpResponse<byte[]> r = cluster.createTopic(cluster.node(1), t, 1, 2, Map.of());
      assertThat(r.statusCode()).as(body(r)).isEqualTo(201);
    }
    HttpResponse<byte[]> created = cluster.send(cluster.node(1), "POST", "/streams", """
        {"name": "enrich", "inputs": ["orders"], "key_format": "json", "value_format": "json",
         "steps": [{"join": {"table": "customers", "value": "{'order': left.id, 'name': right.name}"}},
                   {"to": "enriched"}]}""", "application/json");
    assertThat(created.statusCode()).as(body(created)).isEqualTo(201);
    JsonArray customers = new JsonArray();
    for (int c = 0; c < 20; c++) {
      customers.add(new JsonObject().put("key", "c" + c).put("value", new JsonObject().put("name", "n" + c)));
    }
    produce("customers", customers);
    await("the table holds every customer", () -> {
      JsonObject row = cluster.getJson(cluster.anyLive(), "/streams/enrich/stores/join/keys/c19");
      return row != null && row.containsKey("value");
    }, 120_000);
    produce("orders", orders(0, 20));
    await("the first orders joined", () -> enriched().size() == 20, 120_000);

    // once the checkpoint is past every record so far (the 40 and the input tasks' progress markers), the new owner
    // restores the whole table and replays nothing
    await("the join task's checkpoint past the 40 records", () -> task() != null
        && task().getLong("position", 0L) > 40 && task().getLong("position", 0L) == task().getLong("high_watermark"),
        120_000);
    Node victim = cluster.node(taskBroker());
    cluster.signal(victim, "KILL");
    victim.process.waitFor();
    int survivor = victim.id == 1 ? 2 : 1;
    await("the join task restored on broker " + survivor, () -> {
      JsonObject t = task();
      return t != null && t.getInteger("broker") == survivor && "RUNNING".equals(t.getString("state"))
          && t.getJsonObject("restore") != null && "DONE".equals(t.getJsonObject("restore").getString("state"));
    }, 120_000);
    // the 20 rows, and the input tasks' progress (JoinSync)
    assertThat(task().getJsonObject("restore").getLong("records")).as("table rows restored").isGreaterThanOrEqualTo(20);
    produce("orders", orders(20, 40));
    await("every order joined", () -> enriched().size() >= 40, 120_000);
    List<String> out = enriched();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      expected.add(new JsonObject().put("order", i).put("name", "n" + i % 20).encode());
    }
    assertThat(out).as("each order once, in order, joined with the table from before the kill")
        .containsExactlyElementsOf(expected);
  }

  private static JsonArray orders(int from, int to) {
    JsonArray a = new JsonArray();
    for (int i = from; i < to; i++) {
      a.add(new JsonObject().put("key", "c" + i % 20).put("value", new JsonObject().put("id", i)));
    }
    return a;
  }

  private void produce(String topic, JsonArray records) throws Exception {
    HttpResponse<byte[]> r = cluster.send(cluster.anyLive(), "POST", "/topics/" + topic,
        new JsonObject().put("records", records), JSON_V2);
    assertThat(r.statusCode()).as(body(r)).isEqualTo(200);
  }

  private List<String> enriched() {
    List<String> out = new ArrayList<>();
    try {
      for (String v : cluster.readAllFromLeader("enriched", 0).values()) {
        out.add(new JsonObject(v).encode());
      }
    } catch (Exception | AssertionError e) {
      return List.of(); // a broker went away under the read: look again
    }
    return out;
  }

  private JsonObject task() {
    JsonObject s = cluster.getJson(cluster.anyLive(), "/streams/enrich");
    if (s == null) {
      return null;
    }
    for (Object o : s.getJsonArray("tasks")) {
      JsonObject t = (JsonObject) o;
      if (t.getString("topic").equals("enrich-repartition-0")) {
        return t;
      }
    }
    return null;
  }

  private int taskBroker() {
    JsonObject t = task();
    assertThat(t).as("the join task").isNotNull();
    return t.getInteger("broker");
  }
}
