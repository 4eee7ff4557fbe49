package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Sluice's JDBC sink ({@code JdbcSink}) against a real PostgreSQL: insert, upsert, update, delete, DDL, rollback. */
class JdbcSinkTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  static final JsonArray ROW_FIELDS = new JsonArray()
      .add(new JsonObject().put("field", "id").put("type", "int32").put("optional", false))
      .add(new JsonObject().put("field", "name").put("type", "string").put("optional", true));
  static final JsonArray KEY_FIELDS = new JsonArray()
      .add(new JsonObject().put("field", "id").put("type", "int32").put("optional", false));

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

  /** JsonConverter's envelope: {schema, payload}. */
  static byte[] json(JsonArray fields, JsonObject payload) {
    if (payload == null) {
      return null;
    }
    JsonObject schema = new JsonObject().put("type", "struct").put("fields", fields).put("optional", false);
    return new JsonObject().put("schema", schema).put("payload", payload).encode().getBytes(StandardCharsets.UTF_8);
  }

  static ProducerRecord row(String topic, Integer key, JsonArray fields, JsonObject value) {
    byte[] k = key == null ? null : json(KEY_FIELDS, new JsonObject().put("id", key));
    return new ProducerRecord(topic, null, null, k, json(fields, value), List.of());
  }

  static void produce(SluiceClient client, String topic, List<ProducerRecord> records) {
    try {
      client.admin().createTopic(topic, 1, 1, Map.of()).await().atMost(WAIT);
    } catch (RuntimeException alreadyThere) {
      // a second batch to the same topic
    }
    var producer = client.producer(ProducerOptions.defaults().acks("all"));
    List<io.smallrye.mutiny.Uni<io.sluice.client.RecordMetadata>> sends = new ArrayList<>();
    for (ProducerRecord r : records) {
      sends.add(producer.send(r));
    }
    io.smallrye.mutiny.Uni.join().all(sends).andFailFast().await().atMost(WAIT);
    producer.close().await().atMost(WAIT);
  }

  static JsonObject sink(String topic) {
    return new JsonObject().put("connector.class", "JdbcSink").put("topics", topic).put("connection.url", pg.url())
        .put("connection.user", PostgresServer.USER).put("connection.password", PostgresServer.PASSWORD)
        .put("offset.flush.interval.ms", "200");
  }

  private static List<String> rows(String sql) {
    try {
      return pg.rows(sql);
    } catch (java.sql.SQLException e) {
      return List.of("error: " + e.getMessage());
    }
  }

  @Test
  void insertCreatesTheTableFromTheSchemaAndEvolvesItWithNewNullableFields() throws Exception {
    List<ProducerRecord> records = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      records.add(row("ins_t", null, ROW_FIELDS, new JsonObject().put("id", i).put("name", "n" + i)));
    }
    produce(client, "ins_t", records);
    connect.create("ins", sink("ins_t").put("auto.create", "true").put("auto.evolve", "true"));
    ConnectTestSupport.await("100 rows", () -> rows("SELECT count(*) FROM ins_t").equals(List.of("100")));
    JsonArray wider = ROW_FIELDS.copy().add(new JsonObject().put("field", "email").put("type", "string")
        .put("optional", true));
    produce(client, "ins_t", List.of(row("ins_t", null, wider, new JsonObject().put("id", 100).put("name", "x")
        .put("email", "x@example.com"))));
    ConnectTestSupport.await("evolved row", () -> rows("SELECT id, name, email FROM ins_t WHERE id = 100")
        .equals(List.of("100|x|x@example.com")));
    assertThat(rows("SELECT count(*) FROM ins_t WHERE email IS NULL")).containsExactly("100");
    assertThat(rows("SELECT is_nullable FROM information_schema.columns WHERE table_name = 'ins_t'"
        + " AND column_name = 'id'")).containsExactly("NO");
    connect.send("DELETE", "/connectors/ins", null);
  }

  @Test
  void upsertByRecordKeyAndTombstonesDeleteAndRedeliveryIsHarmless() throws Exception {
    pg.execute("CREATE TABLE ups_t (id INT PRIMARY KEY, name TEXT)", "INSERT INTO ups_t VALUES (1, 'old')");
    List<ProducerRecord> records = new ArrayList<>();
    records.add(row("ups_t", 1, ROW_FIELDS, new JsonObject().put("id", 1).put("name", "one")));
    records.add(row("ups_t", 2, ROW_FIELDS, new JsonObject().put("id", 2).put("name", "two")));
    records.add(row("ups_t", 3, ROW_FIELDS, new JsonObject().put("id", 3).put("name", "three")));
    records.add(row("ups_t", 2, ROW_FIELDS, new JsonObject().put("id", 2).put("name", "two-again")));
    records.add(row("ups_t", 3, ROW_FIELDS, null)); // tombstone
    produce(client, "ups_t", records);
    connect.create("ups", sink("ups_t").put("insert.mode", "upsert").put("pk.mode", "record_key")
        .put("delete.enabled", "true"));
    List<String> expected = List.of("1|one", "2|two-again");
    ConnectTestSupport.await("upserted", () -> rows("SELECT id, name FROM ups_t ORDER BY id").equals(expected));
    // Redelivery from offset 0 (as after a crash before the offset commit) changes nothing.
    connect.send("PUT", "/connectors/ups/stop", null);
    connect.awaitState("ups", -1, "STOPPED");
    assertThat(connect.send("DELETE", "/connectors/ups/offsets", null).status()).isEqualTo(200);
    connect.send("PUT", "/connectors/ups/resume", null);
    produce(client, "ups_t", List.of(row("ups_t", 4, ROW_FIELDS, new JsonObject().put("id", 4).put("name", "4"))));
    ConnectTestSupport.await("row 4", () -> rows("SELECT count(*) FROM ups_t WHERE id = 4").equals(List.of("1")));
    assertThat(rows("SELECT id, name FROM ups_t ORDER BY id")).containsExactly("1|one", "2|two-again", "4|4");
    connect.send("DELETE", "/connectors/ups", null);
  }

  @Test
  void updateByRecordValueFieldsChangesOnlyExistingRows() throws Exception {
    pg.execute("CREATE TABLE upd_t (id INT PRIMARY KEY, name TEXT)", "INSERT INTO upd_t VALUES (1, 'a'), (2, 'b')");
    produce(client, "upd_t", List.of(
        row("upd_t", null, ROW_FIELDS, new JsonObject().put("id", 2).put("name", "B")),
        row("upd_t", null, ROW_FIELDS, new JsonObject().put("id", 9).put("name", "not there")),
        row("upd_t", null, ROW_FIELDS, new JsonObject().put("id", 1).put("name", "A"))));
    connect.create("upd", sink("upd_t").put("insert.mode", "update").put("pk.mode", "record_value")
        .put("pk.fields", "id"));
    ConnectTestSupport.await("updated", () -> rows("SELECT id, name FROM upd_t ORDER BY id")
        .equals(List.of("1|A", "2|B")));
    connect.send("DELETE", "/connectors/upd", null);
  }

  @Test
  void aFailingBatchIsRolledBackWholeAndItsOffsetsAreNotCommitted() throws Exception {
    pg.execute("CREATE TABLE tx_t (id INT PRIMARY KEY, name TEXT NOT NULL)");
    List<ProducerRecord> records = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      records.add(row("tx_t", null, ROW_FIELDS, new JsonObject().put("id", i).put("name", i == 7 ? null : "n")));
    }
    produce(client, "tx_t", records);
    connect.create("tx", sink("tx_t").put("task.restart.max.attempts", "0"));
    connect.awaitState("tx", 0, "FAILED");
    assertThat(connect.get("/connectors/tx/status").json().getJsonArray("tasks").getJsonObject(0)
        .getString("trace")).contains("rolled back").contains("null value in column \"name\"");
    assertThat(rows("SELECT count(*) FROM tx_t")).containsExactly("0");
    assertThat(connect.get("/connectors/tx/offsets").json().getJsonArray("offsets")).isEmpty();
    connect.send("DELETE", "/connectors/tx", null);
  }

  @Test
  void aMissingTableWithoutAutoCreateFailsSayingSo() throws Exception {
    produce(client, "nope_t", List.of(row("nope_t", null, ROW_FIELDS, new JsonObject().put("id", 1))));
    connect.create("nope", sink("nope_t").put("task.restart.max.attempts", "0"));
    connect.awaitState("nope", 0, "FAILED");
    assertThat(connect.get("/connectors/nope/status").json().getJsonArray("tasks").getJsonObject(0)
        .getString("trace")).contains("Table nope_t does not exist and auto.create is false");
    connect.send("DELETE", "/connectors/nope", null);
  }

  @Test
  void aWrongPasswordFailsNamingTheSettingsToCheck() throws Exception {
    produce(client, "pw_t", List.of(row("pw_t", null, ROW_FIELDS, new JsonObject().put("id", 1))));
    connect.create("pw", sink("pw_t").put("connection.password", "wrong").put("auto.create", "true")
        .put("task.restart.max.attempts", "0"));
    connect.awaitState("pw", 0, "FAILED");
    assertThat(connect.get("/connectors/pw/status").json().getJsonArray("tasks").getJsonObject(0)
        .getString("trace")).contains("password authentication failed")
        .contains("(check connection.url, connection.user and connection.password)")
        .doesNotContain("What to fix"); // the sink's own message already names them: no second hint
    connect.send("DELETE", "/connectors/pw", null);
  }
}
