package io.sluice.connect;

import io.sluice.client.ClientOptions;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.ReaderOptions;
import io.sluice.client.SluiceClient;
import io.sluice.client.StartPosition;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Debezium's PostgreSQL connector through any Kafka Connect REST API (Sluice's, or Kafka Connect's in front of Apache
 * Kafka), run by hand for docs/benchmarks.md (bench/kafka-connect/cdc.sh starts both sides). It starts its own
 * PostgreSQL, creates the same connector on {@code connect-url}, then: (1) a writer as fast as one connection goes
 * (transactions of 50 inserts and 50 updates) for {@code seconds}, giving the connector's changes per second; (2) a
 * writer paced at {@code rate} changes per second for {@code seconds}, giving the lag from commit to record
 * (the record's timestamp minus Debezium's {@code source.ts_ms}, the commit time) while the connector keeps up.
 * {@code CdcBench kafka|sluice CONNECT_URL BOOTSTRAP SECONDS RATE}.
 */
public final class CdcBench {
  private static final String TOPIC = "bench.public.bench_cdc";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private CdcBench() {
  }

  /** Reads the change topic's records in order: each as {record timestamp, source.ts_ms}. */
  private interface Reader extends AutoCloseable {
    List<long[]> next(int n) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    String system = args[0];
    String connectUrl = args[1];
    String bootstrap = args[2];
    int seconds = Integer.parseInt(args[3]);
    int rate = Integer.parseInt(args[4]);
    try (PostgresServer pg = PostgresServer.start()) {
      pg.execute("CREATE TABLE bench_cdc (id INT PRIMARY KEY, v INT NOT NULL, pad TEXT)");
      JsonObject config = PostgresCdcTest.cdc(pg, "bench", "public.bench_cdc").put("snapshot.mode", "no_data")
          .put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
      HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(URI.create(connectUrl + "/connectors"))
          .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
              .put("name", "bench-cdc").put("config", config).encode())).build(), HttpResponse.BodyHandlers.ofString());
      if (created.statusCode() != 201) {
        throw new IllegalStateException(created.statusCode() + " " + created.body());
      }
      ConnectTestSupport.await("CDC task running", () -> running(connectUrl), 120_000);
      try (Reader reader = system.equals("kafka") ? kafka(bootstrap) : sluice(bootstrap)) {
        int[] nextId = {0};
        long[] saturated = write(pg, seconds, 0, nextId);
        report(system, "saturating writer", saturated, reader.next((int) saturated[0]));
        long[] paced = write(pg, seconds, rate, nextId);
        report(system, "writer paced at " + rate + "/s", paced, reader.next((int) paced[0]));
      }
    }
  }

  private static boolean running(String connectUrl) {
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(connectUrl
          + "/connectors/bench-cdc/status")).build(), HttpResponse.BodyHandlers.ofString());
      JsonObject s = new JsonObject(r.body());
      return !s.getJsonArray("tasks").isEmpty()
          && "RUNNING".equals(s.getJsonArray("tasks").getJsonObject(0).getString("state"));
    } catch (Exception e) {
      return false;
    }
  }

  /** Transactions of 50 inserts and 50 updates for {@code seconds} (paced at {@code rate}/s if positive). */
  private static long[] write(PostgresServer pg, int seconds, int rate, int[] nextId) throws Exception {
    long start = System.currentTimeMillis();
    long end = start + seconds * 1000L;
    long changes = 0;
    try (var c = pg.connect(); var st = c.createStatement()) {
      c.setAutoCommit(false);
      while (System.currentTimeMillis() < end) {
        for (int i = 0; i < 50; i++) {
          int id = ++nextId[0];
          st.addBatch("INSERT INTO bench_cdc VALUES (" + id + ", 0, 'pppppppppppppppppppppppppppppppppppppppp')");
          st.addBatch("UPDATE bench_cdc SET v = v + 1 WHERE id = " + (1 + (id * 7919L) % id));
        }
        st.executeBatch();
        c.commit();
        changes += 100;
        if (rate > 0) {
          long due = start + changes * 1000 / rate;
          long wait = due - System.currentTimeMillis();
          if (wait > 0) {
            Thread.sleep(wait); // pacing of the writer, not synchronisation
          }
        }
      }
    }
    return new long[] {changes, System.currentTimeMillis(), System.currentTimeMillis() - start};
  }

  private static void report(String system, String phase, long[] written, List<long[]> records) {
    long first = Long.MAX_VALUE;
    long last = 0;
    List<Long> lags = new ArrayList<>();
    for (long[] r : records) {
      lags.add(r[0] - r[1]);
      first = Math.min(first, r[0]);
      last = Math.max(last, r[0]);
    }
    Collections.sort(lags);
    String load;
    try {
      load = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0];
    } catch (java.io.IOException e) {
      load = "?";
    }
    System.out.printf("load=%s %s, %s: %d changes committed in %.1f s (%.0f/s); %d in the topic, appended at %.0f"
        + " changes/s; last appended %d ms after the last commit; commit-to-record lag p50 %d ms, p99 %d ms,"
        + " max %d ms%n", load, system, phase, written[0], written[2] / 1000.0, written[0] * 1000.0 / written[2],
        records.size(), records.size() / Math.max(0.001, (last - first) / 1000.0), last - written[1],
        lags.get(lags.size() / 2), lags.get((int) (lags.size() * 0.99)), lags.get(lags.size() - 1));
  }

  private static long[] change(byte[] value, long timestamp) {
    JsonObject v = new JsonObject(new String(value, StandardCharsets.UTF_8));
    return new long[] {timestamp, v.getJsonObject("source").getLong("ts_ms")};
  }

  private static Reader kafka(String bootstrap) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    p.put("enable.auto.commit", "false");
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p);
    TopicPartition tp = new TopicPartition(TOPIC, 0);
    consumer.assign(List.of(tp));
    consumer.seekToBeginning(List.of(tp));
    List<long[]> buffered = new ArrayList<>();
    return new Reader() {
      @Override
      public List<long[]> next(int n) {
        long deadline = System.currentTimeMillis() + 600_000;
        while (buffered.size() < n && System.currentTimeMillis() < deadline) {
          for (var r : consumer.poll(Duration.ofMillis(200))) {
            if (r.value() != null) {
              buffered.add(change(r.value(), r.timestamp()));
            }
          }
        }
        List<long[]> out = new ArrayList<>(buffered.subList(0, Math.min(n, buffered.size())));
        buffered.subList(0, out.size()).clear();
        return out;
      }

      @Override
      public void close() {
        consumer.close();
      }
    };
  }

  private static Reader sluice(String bootstrap) {
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap(bootstrap));
    long[] offset = {0};
    return new Reader() {
      @Override
      public List<long[]> next(int n) {
        List<ConsumerRecord> records = client.partitionReader(ReaderOptions.of(TOPIC, 0)
                .start(StartPosition.offset(offset[0])).fetchMaxWaitMs(200)).records()
            .select().where(r -> r.value() != null).select().first(n).collect().asList()
            .await().atMost(Duration.ofSeconds(600));
        List<long[]> out = new ArrayList<>();
        for (ConsumerRecord r : records) {
          out.add(change(r.value(), r.timestamp()));
          offset[0] = r.offset() + 1;
        }
        return out;
      }

      @Override
      public void close() {
        client.close().await().atMost(Duration.ofSeconds(30));
      }
    };
  }
}
