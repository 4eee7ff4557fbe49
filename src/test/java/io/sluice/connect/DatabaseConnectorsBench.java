package io.sluice.connect;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.client.ClientOptions;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import io.sluice.client.ReaderOptions;
import io.sluice.client.SluiceClient;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Figures for docs/benchmarks.md, run by hand (not a test): JDBC sink rows per second with upsert, and CDC changes
 * per second from a table under steady inserts and updates with the lag from commit to record, against a real
 * PostgreSQL and an in-process broker. {@code java -cp <test class path> io.sluice.connect.DatabaseConnectorsBench}.
 */
public final class DatabaseConnectorsBench {
  private DatabaseConnectorsBench() {
  }

  public static void main(String[] args) throws Exception {
    int sinkRows = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int cdcSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    Path dir = Files.createTempDirectory("sluice-db-bench");
    try (PostgresServer pg = PostgresServer.start();
        ConnectTestSupport connect = new ConnectTestSupport(dir.resolve("data"), new BlockedThreadGuard(), Map.of())) {
      SluiceClient client = SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:"
          + connect.broker.httpPort()));
      try {
        sink(pg, connect, client, sinkRows);
        cdc(pg, connect, client, cdcSeconds);
      } finally {
        client.close().await().atMost(Duration.ofSeconds(30));
      }
    }
  }

  private static void sink(PostgresServer pg, ConnectTestSupport connect, SluiceClient client, int rows)
      throws Exception {
    client.admin().createTopic("bench_sink", 1, 1, Map.of()).await().atMost(Duration.ofSeconds(30));
    var producer = client.producer(ProducerOptions.defaults().acks("all").lingerMs(5));
    List<Uni<RecordMetadata>> sends = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      sends.add(producer.send(JdbcSinkTest.row("bench_sink", i, JdbcSinkTest.ROW_FIELDS,
          new JsonObject().put("id", i).put("name", "name-" + i))));
      if (sends.size() == 5_000) {
        Uni.join().all(sends).andFailFast().await().atMost(Duration.ofSeconds(120));
        sends.clear();
      }
    }
    if (!sends.isEmpty()) {
      Uni.join().all(sends).andFailFast().await().atMost(Duration.ofSeconds(120));
    }
    producer.close().await().atMost(Duration.ofSeconds(30));
    long start = System.nanoTime();
    connect.create("bench-sink", new JsonObject().put("connector.class", "JdbcSink").put("topics", "bench_sink")
        .put("connection.url", pg.url()).put("connection.user", PostgresServer.USER)
        .put("connection.password", PostgresServer.PASSWORD).put("insert.mode", "upsert")
        .put("pk.mode", "record_key").put("auto.create", "true"));
    ConnectTestSupport.await("all rows", () -> count(pg, "bench_sink") >= rows, 600_000);
    double s = (System.nanoTime() - start) / 1e9;
    System.out.printf("JDBC sink upsert: %d rows in %.1f s = %.0f rows/s (connector creation and group join"
        + " included)%n", rows, s, rows / s);
  }

  private static long count(PostgresServer pg, String table) {
    try {
      return Long.parseLong(pg.rows("SELECT count(*) FROM " + table).get(0));
    } catch (Exception e) {
      return 0;
    }
  }

  private static void cdc(PostgresServer pg, ConnectTestSupport connect, SluiceClient client, int seconds)
      throws Exception {
    pg.execute("CREATE TABLE bench_cdc (id INT PRIMARY KEY, v INT NOT NULL, pad TEXT)");
    connect.create("bench-cdc", PostgresCdcTest.cdc(pg, "bench", "public.bench_cdc").put("snapshot.mode", "no_data"));
    connect.awaitState("bench-cdc", 0, "RUNNING");
    long end = System.currentTimeMillis() + seconds * 1000L;
    int changes = 0;
    try (var c = pg.connect(); var st = c.createStatement()) {
      c.setAutoCommit(false);
      int id = 0;
      while (System.currentTimeMillis() < end) {
        for (int i = 0; i < 50; i++) { // transactions of 50 inserts and 50 updates
          id++;
          st.addBatch("INSERT INTO bench_cdc VALUES (" + id + ", 0, 'pppppppppppppppppppppppppppppppppppppppp')");
          st.addBatch("UPDATE bench_cdc SET v = v + 1 WHERE id = " + (1 + (id * 7919) % id));
        }
        st.executeBatch();
        c.commit();
        changes += 100;
      }
    }
    long writeEnd = System.currentTimeMillis();
    System.out.printf("CDC writer: %d changes committed in %d s (%.0f/s)%n", changes, seconds,
        changes / (double) seconds);
    String topic = "bench.public.bench_cdc";
    int total = changes;
    ConnectTestSupport.await("topic", () -> {
      try {
        return client.admin().offsets(topic, 0).await().atMost(Duration.ofSeconds(10)).toString() != null;
      } catch (RuntimeException e) {
        return false;
      }
    }, 120_000);
    List<ConsumerRecord> records = client.partitionReader(ReaderOptions.of(topic, 0).fetchMaxWaitMs(200)).records()
        .select().first(total).collect().asList().await().atMost(Duration.ofSeconds(600));
    long first = Long.MAX_VALUE;
    long last = 0;
    List<Long> lags = new ArrayList<>();
    for (ConsumerRecord r : records) {
      JsonObject v = new JsonObject(new String(r.value(), StandardCharsets.UTF_8));
      long committed = v.getJsonObject("source").getLong("ts_ms");
      lags.add(r.timestamp() - committed);
      first = Math.min(first, r.timestamp());
      last = Math.max(last, r.timestamp());
    }
    Collections.sort(lags);
    System.out.printf("CDC: %d changes in the topic; appended at %.0f changes/s; last appended %d ms after the"
        + " writer's last commit; lag from commit to record p50 %d ms, p99 %d ms, max %d ms%n", records.size(),
        records.size() / Math.max(0.001, (last - first) / 1000.0), last - writeEnd, lags.get(lags.size() / 2),
        lags.get((int) (lags.size() * 0.99)), lags.get(lags.size() - 1));
  }
}
