package io.sluice.cluster;

import static io.sluice.cluster.BrokerCluster.await;
import static io.sluice.cluster.BrokerCluster.body;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.cluster.BrokerCluster.Node;
import io.sluice.connect.PostgresServer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debezium's PostgreSQL connector run by brokers started from the packaged jar (its bundled plugin copied out and
 * loaded as a user's broker would): {@code kill -9} of the broker running the task, mid-stream, loses no change; the
 * task resumes on the other broker from the last committed LSN. Duplicates (at least once) are counted and printed.
 */
class CdcCrashIT {
  private static final String TOPIC = "crash.public.items";

  @TempDir
  Path dir;
  private BrokerCluster cluster;
  private PostgresServer pg;

  @AfterEach
  void close() throws Exception {
    if (cluster != null) {
      System.out.println("Blocked event loops reported: " + cluster.blockedLoopReports());
      cluster.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  private JsonObject status(String connector) {
    for (Node n : cluster.nodes.values()) {
      if (n.process.isAlive() && n.port > 0) {
        JsonObject s = cluster.getJson(n, "/connectors/" + connector + "/status");
        if (s != null) {
          return s;
        }
      }
    }
    return null;
  }

  private String runningWorker() {
    JsonObject s = status("crash");
    if (s == null || s.getJsonArray("tasks").isEmpty()) {
      return null;
    }
    JsonObject t = s.getJsonArray("tasks").getJsonObject(0);
    return "RUNNING".equals(t.getString("state")) ? t.getString("worker_id") : null;
  }

  private long endOffset() {
    JsonObject o = cluster.getJson(cluster.anyLive(), "/topics/" + TOPIC + "/partitions/0/offsets");
    return o == null ? -1 : o.getLong("end_offset");
  }

  @Test
  void killNineOfTheCdcTasksBrokerLosesNoChange() throws Exception {
    pg = PostgresServer.start();
    pg.execute("CREATE TABLE items (id INT PRIMARY KEY, v INT NOT NULL)");
    cluster = new BrokerCluster(dir);
    cluster.startAll(2);
    for (String t : List.of(TOPIC, "__debezium-heartbeat.crash")) {
      HttpResponse<byte[]> created = cluster.createTopic(cluster.node(1), t, 1, 2, Map.of());
      assertThat(created.statusCode()).as(body(created)).isEqualTo(201);
    }
    JsonObject config = new JsonObject().put("connector.class", "PostgresCdc")
        .put("database.hostname", "127.0.0.1").put("database.port", Integer.toString(pg.port()))
        .put("database.user", PostgresServer.USER).put("database.password", PostgresServer.PASSWORD)
        .put("database.dbname", "postgres").put("topic.prefix", "crash").put("plugin.name", "pgoutput")
        .put("slot.name", "crash_slot").put("publication.name", "crash_pub")
        .put("publication.autocreate.mode", "filtered").put("table.include.list", "public.items")
        .put("heartbeat.interval.ms", "1000").put("offset.flush.interval.ms", "500")
        .put("value.converter", "org.apache.kafka.connect.json.JsonConverter")
        .put("value.converter.schemas.enable", "false");
    HttpResponse<byte[]> created = cluster.send(HttpRequest.newBuilder(cluster.node(1).uri("/connectors"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
            new JsonObject().put("name", "crash").put("config", config).encode())));
    assertThat(created.statusCode()).as(body(created)).isEqualTo(201);
    await("CDC task running", () -> runningWorker() != null, 120_000);

    int total = 4_000;
    AtomicInteger done = new AtomicInteger();
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer = new Thread(() -> write(total, done, writing), "cdc-writer");
    writer.start();
    try {
      await("changes flowing", () -> endOffset() > 800, 120_000);
      String victimId = runningWorker();
      Node victim = cluster.nodes.values().stream().filter(n -> ("127.0.0.1:" + n.port).equals(victimId))
          .findFirst().orElseThrow();
      long killedAt = System.nanoTime();
      cluster.signal(victim, "KILL");
      victim.process.waitFor();
      await("CDC task running on the other broker", () -> {
        String w = runningWorker();
        return w != null && !w.equals(victimId);
      }, 120_000);
      System.out.printf("CDC task running again %d ms after kill -9 of broker %d%n",
          (System.nanoTime() - killedAt) / 1_000_000, victim.id);
      writer.join(180_000);
      assertThat(done.get()).isEqualTo(total);
    } finally {
      writing.set(false);
      writer.join(10_000);
    }
    pg.execute("INSERT INTO items VALUES (-1, 0)"); // the end marker
    Map<Integer, Integer> table = new TreeMap<>();
    for (String row : pg.rows("SELECT id, v FROM items")) {
      String[] p = row.split("\\|");
      table.put(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
    }
    await("the end marker in the topic", () -> lastIdIs(-1), 180_000);
    Map<Integer, Integer> fromTopic = new TreeMap<>();
    Set<String> seen = new HashSet<>();
    Map<String, Integer> duplicates = new HashMap<>();
    for (String value : cluster.readAllFromLeader(TOPIC, 0).values()) {
      JsonObject change = new JsonObject(value);
      JsonObject after = change.getJsonObject("after");
      String identity = change.getString("op") + "/" + after.encode() + "/" + change.getJsonObject("source")
          .getValue("lsn");
      if (!seen.add(identity)) {
        duplicates.merge(change.getString("op"), 1, Integer::sum);
      }
      fromTopic.put(after.getInteger("id"), after.getInteger("v"));
    }
    System.out.printf("CDC kill -9: %d distinct changes in the topic, by op %s, duplicates by op: %s%n",
        seen.size(), byOp(seen), duplicates);
    assertThat(fromTopic).as("every row's final state, from the change topic").isEqualTo(table);
    // Every change, not only the final states: each row's insert (or snapshot read), and each update.
    Set<String> changes = new HashSet<>();
    seen.forEach(id -> changes.add(id.substring(0, id.lastIndexOf('/')).replaceFirst("^r/", "c/")));
    for (int id = 1; id <= total; id++) {
      assertThat(changes).as("insert of row " + id).contains("c/" + new JsonObject().put("id", id).put("v", 0)
          .encode());
      if (id % 3 == 0) {
        assertThat(changes).as("update of row " + id / 3).contains("u/" + new JsonObject().put("id", id / 3)
            .put("v", 1).encode());
      }
    }
  }

  private static Map<String, Integer> byOp(Set<String> changes) {
    Map<String, Integer> out = new TreeMap<>();
    changes.forEach(c -> out.merge(c.substring(0, 1), 1, Integer::sum));
    return out;
  }

  private boolean lastIdIs(int id) {
    try {
      Map<Long, String> all = cluster.readAllFromLeader(TOPIC, 0);
      return all.values().stream().anyMatch(v -> new JsonObject(v).getJsonObject("after").getInteger("id") == id);
    } catch (Exception e) {
      return false;
    }
  }

  /** Inserts ids 1..total, one transaction each, and updates every third row, at about 500 changes a second. */
  private void write(int total, AtomicInteger done, AtomicBoolean writing) {
    try (var c = pg.connect(); var st = c.createStatement()) {
      while (done.get() < total && writing.get()) {
        for (int i = 0; i < 10 && done.get() < total; i++) {
          int id = done.incrementAndGet();
          st.execute("INSERT INTO items VALUES (" + id + ", 0)");
          if (id % 3 == 0) {
            st.execute("UPDATE items SET v = v + 1 WHERE id = " + (id / 3));
          }
        }
        Thread.sleep(20); // pacing of the test's own writer, not synchronisation
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
