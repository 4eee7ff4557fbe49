package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.ReaderOptions;
import io.sluice.client.SluiceClient;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Sluice's JDBC source ({@code JdbcSource}) against a real PostgreSQL: each mode, table lists, offsets, errors. */
class JdbcSourceTest {
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

  private static JsonObject source(String mode) {
    return new JsonObject().put("connector.class", "JdbcSource").put("connection.url", pg.url())
        .put("connection.user", PostgresServer.USER).put("connection.password", PostgresServer.PASSWORD)
        .put("mode", mode).put("poll.interval.ms", "100")
        .put("key.converter", "org.apache.kafka.connect.json.JsonConverter").put("key.converter.schemas.enable", "false")
        .put("value.converter", "org.apache.kafka.connect.json.JsonConverter")
        .put("value.converter.schemas.enable", "false");
  }

  /** The first {@code count} records of the topic's partition 0, as {key, value} JSON. */
  static List<JsonObject> read(SluiceClient client, String topic, int count) {
    ConnectTestSupport.await("topic " + topic, () -> {
      try {
        client.admin().describeTopic(topic).await().atMost(WAIT);
        return true;
      } catch (RuntimeException e) {
        return false;
      }
    });
    List<ConsumerRecord> records = client.partitionReader(ReaderOptions.of(topic, 0).fetchMaxWaitMs(200)).records()
        .select().first(count).collect().asList().await().atMost(WAIT);
    return records.stream().map(r -> new JsonObject()
        .put("key", r.key() == null ? null : new JsonObject(new String(r.key(), StandardCharsets.UTF_8)))
        .put("value", r.value() == null ? null : new JsonObject(new String(r.value(), StandardCharsets.UTF_8))))
        .toList();
  }

  private static List<Object> field(List<JsonObject> records, String name) {
    return records.stream().map(r -> r.getJsonObject("value").getValue(name)).toList();
  }

  @Test
  void incrementingCopiesNewRowsKeyedByPrimaryKeyAndResumesFromStoredOffset() throws Exception {
    pg.execute("CREATE TABLE inc_t (id SERIAL PRIMARY KEY, name TEXT NOT NULL, price NUMERIC(10,2))",
        "INSERT INTO inc_t (name, price) SELECT 'n' || g, g * 1.5 FROM generate_series(1, 250) g");
    connect.create("inc", source("incrementing").put("incrementing.column.name", "id")
        .put("table.include.list", "inc_t").put("topic.prefix", "pg-").put("batch.max.rows", "40"));
    List<JsonObject> first = read(client, "pg-inc_t", 250);
    assertThat(field(first, "id")).containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, 250)
        .boxed().map(i -> (Object) i).toList());
    assertThat(first.get(0).getJsonObject("key").getMap()).isEqualTo(Map.of("id", 1));
    assertThat(first.get(0).getJsonObject("value").getString("name")).isEqualTo("n1");
    pg.execute("INSERT INTO inc_t (name) VALUES ('late')");
    assertThat(read(client, "pg-inc_t", 251).get(250).getJsonObject("value").getString("name")).isEqualTo("late");
    ConnectTestSupport.await("offset stored: " + offsetOf("inc"), () -> offsetOf("inc").contains("\"incrementing\":251"), 20_000);

    // A connector deleted and created again keeps its offsets (as in Kafka Connect): no row is copied twice.
    assertThat(connect.send("DELETE", "/connectors/inc", null).status()).isEqualTo(204);
    connect.create("inc", source("incrementing").put("incrementing.column.name", "id")
        .put("table.include.list", "inc_t").put("topic.prefix", "pg-"));
    connect.awaitState("inc", 0, "RUNNING");
    pg.execute("INSERT INTO inc_t (name) VALUES ('after-restart')");
    List<JsonObject> all = read(client, "pg-inc_t", 252);
    assertThat(all.get(251).getJsonObject("value").getString("name")).isEqualTo("after-restart");
    assertThat(field(all, "id")).doesNotHaveDuplicates();
  }

  private static String offsetOf(String connector) {
    try {
      return connect.get("/connectors/" + connector + "/offsets").body();
    } catch (Exception e) {
      return "";
    }
  }

  @Test
  void bulkCopiesEveryRowOnEveryPoll() throws Exception {
    pg.execute("CREATE TABLE bulk_t (k TEXT PRIMARY KEY, v INT)", "INSERT INTO bulk_t VALUES ('a', 1), ('b', 2)");
    connect.create("bulk", source("bulk").put("table.include.list", "public.bulk_t").put("topic.prefix", "b-"));
    List<JsonObject> records = read(client, "b-bulk_t", 6);
    assertThat(records.stream().map(r -> r.getJsonObject("value").getString("k")).toList())
        .containsExactly("a", "b", "a", "b", "a", "b");
    connect.send("DELETE", "/connectors/bulk", null);
  }

  @Test
  void timestampCopiesChangedRowsAgainAndHonoursTheDelay() throws Exception {
    pg.execute("CREATE TABLE ts_t (id INT PRIMARY KEY, v TEXT, modified TIMESTAMP NOT NULL)",
        "INSERT INTO ts_t VALUES (1, 'one', now() - interval '2 hours'), (2, 'two', now() - interval '1 minute')");
    connect.create("ts", source("timestamp").put("timestamp.column.name", "modified")
        .put("table.include.list", "ts_t").put("topic.prefix", "t-").put("timestamp.delay.interval.ms", "1800000"));
    assertThat(read(client, "t-ts_t", 1).get(0).getJsonObject("value").getString("v")).isEqualTo("one");
    // Row 1 changed 90 minutes ago is older than the delay: copied. Row 2 (1 minute old) is still held back.
    pg.execute("UPDATE ts_t SET v = 'one-changed', modified = now() - interval '90 minutes' WHERE id = 1");
    List<JsonObject> two = read(client, "t-ts_t", 2);
    assertThat(two.get(1).getJsonObject("value").getString("v")).isEqualTo("one-changed");
    assertThat(two.get(1).getJsonObject("key").getMap()).isEqualTo(Map.of("id", 1));
    connect.send("DELETE", "/connectors/ts", null);
    // Without a delay, row 2 comes at once from the stored offset, row 1 (unchanged since) not again.
    connect.create("ts", source("timestamp").put("timestamp.column.name", "modified")
        .put("table.include.list", "ts_t").put("topic.prefix", "t-"));
    List<JsonObject> three = read(client, "t-ts_t", 3);
    assertThat(three.get(2).getJsonObject("value").getString("v")).isEqualTo("two");
    pg.execute("INSERT INTO ts_t VALUES (3, 'three', now())");
    assertThat(read(client, "t-ts_t", 4).get(3).getJsonObject("value").getString("v")).isEqualTo("three");
    connect.send("DELETE", "/connectors/ts", null);
  }

  @Test
  void timestampIncrementingPagesThroughRowsSharingATimestamp() throws Exception {
    pg.execute("CREATE TABLE tsi_t (id INT PRIMARY KEY, modified TIMESTAMP NOT NULL)",
        "INSERT INTO tsi_t SELECT g, timestamp '2020-01-01' + (g / 10) * interval '1 second'"
            + " FROM generate_series(1, 95) g");
    connect.create("tsi", source("timestamp+incrementing").put("timestamp.column.name", "modified")
        .put("incrementing.column.name", "id").put("table.include.list", "tsi_t").put("topic.prefix", "ti-")
        .put("batch.max.rows", "7"));
    List<JsonObject> rows = read(client, "ti-tsi_t", 95);
    assertThat(field(rows, "id")).containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, 95).boxed()
        .map(i -> (Object) i).toList());
    pg.execute("UPDATE tsi_t SET modified = now() WHERE id = 5");
    assertThat(read(client, "ti-tsi_t", 96).get(95).getJsonObject("value").getInteger("id")).isEqualTo(5);
    connect.send("DELETE", "/connectors/tsi", null);
  }

  @Test
  void customQueryWithIncrementing() throws Exception {
    pg.execute("CREATE TABLE q_orders (id INT PRIMARY KEY, customer INT, total INT)",
        "CREATE TABLE q_customers (id INT PRIMARY KEY, name TEXT)",
        "INSERT INTO q_customers VALUES (1, 'ann'), (2, 'bob')",
        "INSERT INTO q_orders VALUES (1, 1, 10), (2, 2, 20), (3, 1, 30)");
    connect.create("q", source("incrementing").put("incrementing.column.name", "id")
        .put("query", "SELECT o.id, c.name, o.total FROM q_orders o JOIN q_customers c ON c.id = o.customer")
        .put("topic.prefix", "orders-joined"));
    List<JsonObject> rows = read(client, "orders-joined", 3);
    assertThat(rows.stream().map(r -> r.getJsonObject("value").getString("name")).toList())
        .containsExactly("ann", "bob", "ann");
    connect.send("DELETE", "/connectors/q", null);
  }

  @Test
  void includeAndExcludeListsChooseTheTablesEachOnItsTopic() throws Exception {
    pg.execute("CREATE SCHEMA lists", "CREATE TABLE lists.a (id INT PRIMARY KEY)",
        "CREATE TABLE lists.b (id INT PRIMARY KEY)", "CREATE TABLE lists.c (id INT PRIMARY KEY)",
        "INSERT INTO lists.a VALUES (1)", "INSERT INTO lists.b VALUES (2)", "INSERT INTO lists.c VALUES (3)");
    connect.create("lists", source("incrementing").put("incrementing.column.name", "id")
        .put("table.include.list", "lists.a,lists.b,lists.c").put("table.exclude.list", "lists.b")
        .put("topic.prefix", "l-").put("tasks.max", "2"));
    assertThat(read(client, "l-a", 1).get(0).getJsonObject("value").getInteger("id")).isEqualTo(1);
    assertThat(read(client, "l-c", 1).get(0).getJsonObject("value").getInteger("id")).isEqualTo(3);
    JsonObject topics = connect.get("/connectors/lists/topics").json().getJsonObject("lists");
    assertThat(topics.getJsonArray("topics").getList()).containsExactlyInAnyOrder("l-a", "l-c");
    connect.send("DELETE", "/connectors/lists", null);
  }

  @Test
  void missingTableAndWrongPasswordFailWithAMessageSayingWhatToFix() throws Exception {
    connect.create("missing", source("bulk").put("table.include.list", "no_such_table").put("topic.prefix", "m-")
        .put("task.restart.max.attempts", "0"));
    connect.awaitState("missing", -1, "FAILED");
    String trace = connect.get("/connectors/missing/status").json().getJsonObject("connector").getString("trace");
    assertThat(trace).contains("Table no_such_table in table.include.list does not exist");
    connect.create("badpw", source("bulk").put("connection.password", "wrong").put("topic.prefix", "x-")
        .put("task.restart.max.attempts", "0"));
    connect.awaitState("badpw", -1, "FAILED");
    assertThat(connect.get("/connectors/badpw/status").json().getJsonObject("connector").getString("trace"))
        .contains("password authentication failed").contains("connection.password");
    connect.send("DELETE", "/connectors/missing", null);
    connect.send("DELETE", "/connectors/badpw", null);
  }
}
