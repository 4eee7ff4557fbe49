package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
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
  private static DatabaseFixture db;
  private static PostgresServer pg;
  private static ConnectTestSupport connect;
  private static SluiceClient client;

  @BeforeAll
  static void start() throws Exception {
    db = DatabaseFixture.start(dir, GUARD);
    pg = db.pg;
    connect = db.connect;
    client = db.client;
  }

  @AfterAll
  static void stop() throws Exception {
    if (db != null) {
      db.close();
    }
  }

  private static void writeCustomers(Random random, int from, int to) {
    try (var c = pg.connect(); var st = c.createStatement()) {
      for (int i = from; i < to; i++) {
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
    Random random = new Random(42);
    // Writes while the snapshot starts, then (once Debezium marked its last snapshot record) while it streams.
    Thread writer = new Thread(() -> writeCustomers(random, 0, 300), "cdc-writer");
    writer.start();
    connect.create("cdc1", cdc(pg, "cdc1", "public.customers"));
    writer.join(120_000);
    CdcRecords.readUntil(client, "cdc1.public.customers", r -> r.getJsonObject("value") != null
        && "last".equals(r.getJsonObject("value").getJsonObject("source").getString("snapshot")));
    writeCustomers(random, 300, 600);
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
      // Debezium does not replay identically from an offset: no sequence deduplication may drop its changes.
      assertThat(r.getJsonArray("headers").getList()).doesNotContain("sluice.connect.seq");
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

  @Test
  void aColumnAddedMidStreamAndToastedValuesAsDebeziumGivesThem() throws Exception {
    pg.execute("CREATE TABLE docs (id INT PRIMARY KEY, title TEXT, body TEXT)",
        "CREATE TABLE docs_full (id INT PRIMARY KEY, title TEXT, body TEXT)",
        "ALTER TABLE docs_full REPLICA IDENTITY FULL");
    connect.create("cdc2", cdc(pg, "cdc2", "public.docs,public.docs_full"));
    connect.awaitState("cdc2", 0, "RUNNING");
    // Random text does not compress, so 20 kB of it is stored out of line (TOAST).
    String big = new Random(7).ints(20_000, 'a', 'z' + 1).collect(StringBuilder::new,
        StringBuilder::appendCodePoint, StringBuilder::append).toString();
    pg.execute("INSERT INTO docs VALUES (1, 't1', '" + big + "')", "INSERT INTO docs_full VALUES (1, 't1', '" + big
        + "')", "ALTER TABLE docs ADD COLUMN author TEXT", "INSERT INTO docs VALUES (2, 't2', 'small', 'ann')",
        "UPDATE docs SET title = 't1-changed' WHERE id = 1", "UPDATE docs_full SET title = 't1-changed' WHERE id = 1",
        "INSERT INTO docs VALUES (3, 'end', '', '')", "INSERT INTO docs_full VALUES (3, 'end', '')");
    List<JsonObject> docs = new java.util.ArrayList<>();
    CdcRecords.readUntil(client, "cdc2.public.docs", r -> docs.add(r) && r.getJsonObject("key").getInteger("id") == 3);
    assertThat(docs).extracting(r -> r.getJsonObject("value").getString("op")).containsExactly("c", "c", "u", "c");
    assertThat(docs.get(0).getJsonObject("value").getJsonObject("after").getString("body")).isEqualTo(big);
    assertThat(docs.get(1).getJsonObject("value").getJsonObject("after").getString("author")).isEqualTo("ann");
    // An update that leaves a TOASTed column alone does not carry it with the default replica identity: Debezium
    // marks it with its placeholder; with REPLICA IDENTITY FULL the value comes along.
    assertThat(docs.get(2).getJsonObject("value").getJsonObject("after").getString("body"))
        .isEqualTo("__debezium_unavailable_value");
    List<JsonObject> full = new java.util.ArrayList<>();
    CdcRecords.readUntil(client, "cdc2.public.docs_full", r -> full.add(r)
        && r.getJsonObject("key").getInteger("id") == 3);
    assertThat(full.get(1).getJsonObject("value").getJsonObject("after").getString("body")).isEqualTo(big);
    assertThat(full.get(1).getJsonObject("value").getJsonObject("before").getString("title")).isEqualTo("t1");
  }

  @Test
  void theSlotsConfirmedPositionIsNeverAheadOfTheCommittedOffset() throws Exception {
    pg.execute("CREATE TABLE ticks (id SERIAL PRIMARY KEY, v INT)");
    connect.create("cdc3", cdc(pg, "cdc3", "public.ticks").put("offset.flush.interval.ms", "300"));
    connect.awaitState("cdc3", 0, "RUNNING");
    int checks = 0;
    long deadline = System.currentTimeMillis() + 8_000;
    try (var c = pg.connect(); var st = c.createStatement()) {
      while (System.currentTimeMillis() < deadline) {
        st.execute("INSERT INTO ticks (v) SELECT g FROM generate_series(1, 50) g");
        Long confirmed = null;
        try (var rs = st.executeQuery("SELECT (confirmed_flush_lsn - '0/0')::bigint FROM pg_replication_slots"
            + " WHERE slot_name = 'cdc3_slot'")) {
          if (rs.next()) {
            confirmed = rs.getLong(1);
          }
        }
        long committed = committedLsn("cdc3");
        if (confirmed != null && committed > 0) {
          assertThat(confirmed).as("slot confirmed LSN vs the LSN in committed offsets").isLessThanOrEqualTo(committed);
          checks++;
        }
      }
    }
    assertThat(checks).isGreaterThan(3);
    JsonObject slot = connect.get("/connectors/cdc3/status").json().getJsonObject("connector")
        .getJsonObject("replication_slot");
    assertThat(slot.getString("slot_name")).isEqualTo("cdc3_slot");
    assertThat(slot.getBoolean("active")).isTrue();
    assertThat(slot.getLong("lag_bytes")).isNotNegative();
    assertThat(slot.getString("confirmed_flush_lsn")).contains("/");
    ConnectTestSupport.await("the slot advances as offsets are committed", () -> {
      try {
        return Long.parseLong(pg.rows("SELECT (confirmed_flush_lsn - '0/0')::bigint FROM pg_replication_slots"
            + " WHERE slot_name = 'cdc3_slot'").get(0)) > 0;
      } catch (Exception e) {
        return false;
      }
    });
  }

  private static long committedLsn(String connector) {
    try {
      var offsets = connect.get("/connectors/" + connector + "/offsets").json().getJsonArray("offsets");
      long max = 0;
      for (Object o : offsets) {
        JsonObject offset = ((JsonObject) o).getJsonObject("offset");
        for (String k : List.of("lsn", "lsn_commit")) {
          if (offset.getValue(k) instanceof Number n) {
            max = Math.max(max, n.longValue());
          }
        }
      }
      return max;
    } catch (Exception e) {
      return 0;
    }
  }

  @Test
  void badConfigsAreRefusedOrFailWithAMessageSayingWhatToFix() throws Exception {
    assertThat(problem("badpw", cdc(pg, "badpw", "public.x").put("database.password", "wrong")))
        .contains("password authentication failed").contains("What to fix: the database refused the credentials:"
            + " check database.user and database.password");
    try (PostgresServer replica = PostgresServer.start("replica")) {
      replica.execute("CREATE TABLE x (id INT PRIMARY KEY)");
      assertThat(problem("nolog", cdc(replica, "nolog", "public.x"))).contains("wal_level")
          .contains("What to fix: change data capture needs logical decoding: set wal_level = logical");
    }
    // Debezium's own words for a table.include.list that matches no table.
    assertThat(problem("notable", cdc(pg, "notable", "public.no_such_table")))
        .contains("No table filters found for filtered publication notable_pub")
        .contains("What to fix: table.include.list matches no table of the database");
  }

  /** Why the connector cannot run: the 400 answer's message when refused, else its FAILED status's trace. */
  private static String problem(String name, JsonObject config) throws Exception {
    var r = connect.send("POST", "/connectors", new JsonObject().put("name", name)
        .put("config", config.put("task.restart.max.attempts", "0")));
    if (r.status() == 400) {
      return r.json().getString("message");
    }
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    ConnectTestSupport.await(name + " failed", () -> failure(name) != null);
    return failure(name);
  }

  /** The trace of the connector's or its task's FAILED status, null while neither failed. */
  private static String failure(String name) {
    try {
      JsonObject s = connect.get("/connectors/" + name + "/status").json();
      if ("FAILED".equals(s.getJsonObject("connector").getString("state"))) {
        return s.getJsonObject("connector").getString("trace");
      }
      for (Object t : s.getJsonArray("tasks")) {
        if ("FAILED".equals(((JsonObject) t).getString("state"))) {
          return ((JsonObject) t).getString("trace");
        }
      }
      return null;
    } catch (Exception e) {
      return null;
    }
  }

  /**
   * An idle captured table while the rest of the database writes: PostgreSQL 15 sends nothing for transactions on
   * tables outside the publication, so only a heartbeat that writes to a captured table (Debezium's
   * heartbeat.action.query) lets the slot confirm past that WAL instead of holding it.
   */
  @Test
  void heartbeatsKeepTheSlotMovingWhileTheCapturedTableIsIdle() throws Exception {
    pg.execute("CREATE TABLE idle_t (id INT PRIMARY KEY)", "CREATE TABLE hb (id INT PRIMARY KEY, ts TIMESTAMPTZ)",
        "CREATE TABLE busy (id SERIAL PRIMARY KEY, pad TEXT)");
    connect.create("cdc5", cdc(pg, "cdc5", "public.idle_t,public.hb").put("heartbeat.interval.ms", "500")
        .put("heartbeat.action.query", "INSERT INTO hb VALUES (1, now()) ON CONFLICT (id) DO UPDATE SET ts = now()")
        .put("offset.flush.interval.ms", "300"));
    connect.awaitState("cdc5", 0, "RUNNING");
    pg.execute("INSERT INTO busy (pad) SELECT repeat('x', 1000) FROM generate_series(1, 3000)");
    long written = Long.parseLong(pg.rows("SELECT (pg_current_wal_lsn() - '0/0')::bigint").get(0));
    ConnectTestSupport.await("slot confirmed past the uncaptured writes", () -> {
      try {
        return Long.parseLong(pg.rows("SELECT (confirmed_flush_lsn - '0/0')::bigint FROM pg_replication_slots"
            + " WHERE slot_name = 'cdc5_slot'").get(0)) >= written;
      } catch (Exception e) {
        return false;
      }
    });
  }
}
