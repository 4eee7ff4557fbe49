package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.client.ClientOptions;
import io.sluice.client.SluiceClient;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Debezium's PostgreSQL connector ({@code PostgresCdc}), bundled with the broker, against a real PostgreSQL. */
class PostgresCdcTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  static Path dir;
  private static PostgresServer pg;
  private static ConnectTestSupport connect;
  private static SluiceClient client;

  @BeforeAll
  static void start() throws Exception {
    pg = PostgresServer.start();
    connect = new ConnectTestSupport(dir.resolve("data"), GUARD, Map.of());
    client = SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:" + connect.broker.httpPort()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close().await().atMost(WAIT);
    }
    if (connect != null) {
      connect.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  static JsonObject cdc(PostgresServer pg, String name, String tables) {
    return new JsonObject().put("connector.class", "PostgresCdc")
        .put("database.hostname", "127.0.0.1").put("database.port", Integer.toString(pg.port()))
        .put("database.user", PostgresServer.USER).put("database.password", PostgresServer.PASSWORD)
        .put("database.dbname", "postgres").put("topic.prefix", name).put("plugin.name", "pgoutput")
        .put("slot.name", name + "_slot").put("publication.name", name + "_pub")
        .put("publication.autocreate.mode", "filtered").put("table.include.list", tables)
        .put("snapshot.mode", "initial").put("heartbeat.interval.ms", "1000")
        .put("key.converter", "org.apache.kafka.connect.json.JsonConverter").put("key.converter.schemas.enable", "false")
        .put("value.converter", "org.apache.kafka.connect.json.JsonConverter")
        .put("value.converter.schemas.enable", "false");
  }

  @Test
  void snapshotThenStreamingUnderConcurrentWritesEndsWithEveryRowsFinalState() throws Exception {
    pg.execute("CREATE TABLE customers (id INT PRIMARY KEY, name TEXT NOT NULL, n INT NOT NULL)",
        "INSERT INTO customers SELECT g, 'c' || g, 0 FROM generate_series(1, 300) g");
    connect.create("cdc1", cdc(pg, "cdc1", "public.customers"));
    Random random = new Random(42);
    Thread writer = new Thread(() -> {
      try (var c = pg.connect(); var st = c.createStatement()) {
        for (int i = 0; i < 600; i++) {
          int id = 1 + random.nextInt(400);
          switch (random.nextInt(3)) {
            case 0 -> st.execute("INSERT INTO customers VALUES (" + id + ", 'new" + i + "', " + i
                + ") ON CONFLICT (id) DO UPDATE SET n = EXCLUDED.n");
            case 1 -> st.execute("UPDATE customers SET n = " + i + ", name = 'u" + i + "' WHERE id = " + id);
            default -> st.execute("DELETE FROM customers WHERE id = " + id);
          }
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "cdc-writer");
    writer.start();
    writer.join(120_000);
    pg.execute("INSERT INTO customers VALUES (100000, 'end-marker', 0)");
    Map<String, String> table = new TreeMap<>();
    for (String row : pg.rows("SELECT id, name, n FROM customers")) {
      String[] p = row.split("\\|");
      table.put(p[0], p[1] + "|" + p[2]);
    }
    Map<String, String> fromTopic = new TreeMap<>();
    Map<String, Integer> ops = new HashMap<>();
    int[] tombstones = {0};
    CdcRecords.readUntil(client, "cdc1.public.customers", r -> {
      JsonObject key = r.getJsonObject("key");
      JsonObject value = r.getJsonObject("value");
      if (value == null) {
        tombstones[0]++;
        return false;
      }
      ops.merge(value.getString("op"), 1, Integer::sum);
      assertThat(value.getJsonObject("source").getString("connector")).isEqualTo("postgresql");
      assertThat(value.getLong("ts_ms")).isPositive();
      JsonObject after = value.getJsonObject("after");
      String id = key.getValue("id").toString();
      if (after == null) {
        fromTopic.remove(id);
      } else {
        fromTopic.put(id, after.getString("name") + "|" + after.getInteger("n"));
      }
      return "100000".equals(id);
    });
    assertThat(fromTopic).isEqualTo(table);
    // The writer ran during the snapshot: the snapshot read what was committed when it began, the stream the rest.
    assertThat(ops.get("r")).isBetween(1, 400);
    assertThat(ops).containsKeys("c", "u", "d");
    assertThat(tombstones[0]).isEqualTo(ops.get("d"));
  }
}
