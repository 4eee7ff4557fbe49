package io.sluice.cluster;

import static io.sluice.cluster.BrokerCluster.await;
import static io.sluice.cluster.BrokerCluster.body;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.client.ClientOptions;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.cluster.BrokerCluster.Node;
import io.sluice.connect.PostgresServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sluice's JDBC sink run by three brokers started from the packaged jar, upserting into a real PostgreSQL while records
 * are produced without pause: {@code kill -9} of the broker running the sink task, at random moments, twice, loses no
 * write. Every produced (id, seq) reaches the table (a trigger logs each row write into an audit table), every row
 * ends in the state of its last record, and the writes delivered more than once (at least once) are counted.
 */
class JdbcSinkCrashIT {
  private static final String TOPIC = "sunk_rows";
  private static final int KEYS = 400;
  private static final int PARTITIONS = 2;
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dir;
  private BrokerCluster cluster;
  private PostgresServer pg;
  private SluiceClient client;

  @AfterEach
  void close() throws Exception {
    if (client != null) {
      client.close().await().atMost(WAIT);
    }
    if (cluster != null) {
      System.out.println("Blocked event loops reported: " + cluster.blockedLoopReports());
      cluster.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void killNineOfTheSinkTasksBrokerLosesNoWrite() throws Exception {
    pg = PostgresServer.start();
    pg.execute("CREATE TABLE sunk_rows (id INT PRIMARY KEY, seq INT NOT NULL)",
        "CREATE TABLE writes (id INT NOT NULL, seq INT NOT NULL)",
        "CREATE FUNCTION log_write() RETURNS trigger AS $$ BEGIN INSERT INTO writes VALUES (NEW.id, NEW.seq);"
            + " RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER logged AFTER INSERT OR UPDATE ON sunk_rows FOR EACH ROW EXECUTE FUNCTION log_write()");
    cluster = new BrokerCluster(dir);
    cluster.startAll(3);
    HttpResponse<byte[]> topic = cluster.createTopic(cluster.node(1), TOPIC, PARTITIONS, 3,
        Map.of("min.insync.replicas", "2"));
    assertThat(topic.statusCode()).as(body(topic)).isEqualTo(201);
    JsonObject config = new JsonObject().put("connector.class", "JdbcSink").put("topics", TOPIC)
        .put("connection.url", pg.url()).put("connection.user", PostgresServer.USER)
        .put("connection.password", PostgresServer.PASSWORD).put("insert.mode", "upsert")
        .put("pk.mode", "record_value").put("pk.fields", "id").put("batch.size", "500")
        .put("offset.flush.interval.ms", "500")
        .put("value.converter", "org.apache.kafka.connect.json.JsonConverter");
    HttpResponse<byte[]> created = cluster.send(HttpRequest.newBuilder(cluster.node(1).uri("/connectors"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
            new JsonObject().put("name", "sink").put("config", config).encode())));
    assertThat(created.statusCode()).as(body(created)).isEqualTo(201);
    await("sink task running", () -> runningWorker() != null, 120_000);

    client = SluiceClient.create(ClientOptions.bootstrap(cluster.nodes.values().stream()
        .map(n -> "http://127.0.0.1:" + n.port).toArray(String[]::new)).requestTimeoutMs(10_000));
    Load load = new Load(client.producer(ProducerOptions.defaults().acks("all").lingerMs(2))).start();
    long seed = System.nanoTime();
    Random random = new Random(seed);
    List<String> kills = new ArrayList<>();
    try {
      for (int round = 0; round < 2; round++) {
        int writesBefore = writes();
        int wait = 1_000 + random.nextInt(4_000);
        await("rows written before kill " + (round + 1), () -> writes() > writesBefore + 500, 120_000);
        Thread.sleep(wait); // the random moment of the kill (seed printed), not synchronisation
        kills.add(killTheSinksBroker(load));
      }
      await("1,000 more records acknowledged after the last kill", () -> load.acked.size() > 1_000
          + load.ackedAtLastKill, 120_000);
    } finally {
      load.finish();
    }
    assertThat(load.failures).as("no send failed: the producer rides out the kills").isEmpty();

    Map<Integer, Integer> expected = new TreeMap<>();
    load.acked.keySet().forEach(seq -> expected.merge(seq % KEYS, seq, Math::max));
    try {
      await("every row in the state of its last record", () -> expected.equals(table()), 180_000);
    } catch (AssertionError e) {
      // Says whether the sink stopped (a task not running again) or a write is missing (rows behind for good).
      Map<Integer, Integer> actual = table();
      List<String> behind = expected.entrySet().stream().filter(x -> !x.getValue().equals(actual.get(x.getKey())))
          .limit(10).map(x -> x.getKey() + ": want " + x.getValue() + ", have " + actual.get(x.getKey())).toList();
      System.out.printf("JDBC sink kill -9 (seed %d) timed out: kills %s; rows behind (first 10) %s; status %s%n"
          + "the sink task's thread on each broker:%n%s", seed, kills, behind,
          cluster.getJson(cluster.anyLive(), "/connectors/sink/status"), sinkThreads());
      throw e;
    }
    int total = writes();
    List<String> missing = pg.rows("SELECT count(*) FROM generate_series(0, " + (load.sent.get() - 1) + ") s"
        + " WHERE NOT EXISTS (SELECT 1 FROM writes w WHERE w.seq = s)");
    int distinct = Integer.parseInt(pg.rows("SELECT count(*) FROM (SELECT DISTINCT id, seq FROM writes) d")
        .get(0));
    long inTopic = 0;
    for (int p = 0; p < PARTITIONS; p++) {
      inTopic += cluster.readAllFromLeader(TOPIC, p).size();
    }
    System.out.printf("JDBC sink kill -9 (seed %d): %s; %d records acknowledged (%d in the topic), %d row writes,"
        + " %d of them redelivered%n", seed, kills, load.acked.size(), inTopic, total, total - distinct);
    assertThat(missing).as("records never written to the table: " + missingOffsets(load)).containsExactly("0");
    assertThat(distinct).as("each record written").isEqualTo(load.acked.size());
  }

  /** The acknowledged records the table never saw, as offset ranges per partition (where a skip happened). */
  private String missingOffsets(Load load) throws java.sql.SQLException {
    Map<Long, java.util.TreeSet<Long>> byPartition = new TreeMap<>();
    for (String seq : pg.rows("SELECT s FROM generate_series(0, " + (load.sent.get() - 1) + ") s"
        + " WHERE NOT EXISTS (SELECT 1 FROM writes w WHERE w.seq = s) ORDER BY s LIMIT 1000")) {
      long[] at = load.acked.get(Integer.parseInt(seq.trim()));
      if (at != null) {
        byPartition.computeIfAbsent(at[0], k -> new java.util.TreeSet<>()).add(at[1]);
      }
    }
    StringBuilder out = new StringBuilder();
    byPartition.forEach((p, offsets) -> {
      long from = -1;
      long prev = -1;
      for (long o : offsets) {
        if (o != prev + 1) {
          if (from >= 0) {
            out.append(" p").append(p).append(":").append(from).append("-").append(prev);
          }
          from = o;
        }
        prev = o;
      }
      out.append(" p").append(p).append(":").append(from).append("-").append(prev);
    });
    return out.toString();
  }

  /** Kills the broker running the sink task, restarts it, and waits for the task to run on another broker. */
  private String killTheSinksBroker(Load load) throws Exception {
    String victimId = runningWorker();
    Node victim = cluster.nodes.values().stream().filter(n -> ("127.0.0.1:" + n.port).equals(victimId))
        .findFirst().orElseThrow();
    long killedAt = System.nanoTime();
    int writesAtKill = writes();
    String commitsAtKill = sinkCommits();
    cluster.signal(victim, "KILL");
    victim.process.waitFor();
    load.ackedAtLastKill = load.acked.size();
    await("sink task running on another broker", () -> {
      String w = runningWorker();
      return w != null && !w.equals(victimId);
    }, 120_000);
    long runningMs = (System.nanoTime() - killedAt) / 1_000_000;
    await("rows written again", () -> writes() > writesAtKill, 120_000);
    long writingMs = (System.nanoTime() - killedAt) / 1_000_000;
    Node restarted = cluster.start(victim.id);
    restarted.listening.get(120, TimeUnit.SECONDS);
    cluster.awaitAlive(3);
    cluster.awaitServicesUp(restarted);
    return "broker " + victim.id + " killed after " + writesAtKill + " writes (sink commits " + commitsAtKill
        + "): task running again in " + runningMs + " ms, writing in " + writingMs + " ms, commits then "
        + sinkCommits();
  }

  /** Where each live broker's sink task thread is (jstack): stuck in a write, a commit, or waiting for records. */
  private String sinkThreads() {
    StringBuilder out = new StringBuilder();
    String jstack = Path.of(System.getProperty("java.home"), "bin", "jstack").toString();
    for (Node n : cluster.nodes.values()) {
      if (!n.process.isAlive()) {
        continue;
      }
      try {
        Process p = new ProcessBuilder(jstack, Long.toString(n.pid())).redirectErrorStream(true).start();
        String dump = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        for (String thread : dump.split("\n\n")) {
          if (thread.contains("SinkTaskRunner")) {
            out.append("broker ").append(n.id).append(":\n").append(thread).append('\n');
          }
        }
      } catch (java.io.IOException e) {
        out.append("broker ").append(n.id).append(": no thread dump: ").append(e).append('\n');
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return out.toString();
  }

  /** The sink's committed offsets per partition, for the record of a kill. */
  private String sinkCommits() {
    try {
      return client.admin().groupLags("connect-sink").await().atMost(Duration.ofSeconds(10)).stream()
          .map(l -> "p" + l.partition().partition() + "=" + l.committedOffset()).sorted().toList().toString();
    } catch (RuntimeException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }

  private String runningWorker() {
    for (Node n : cluster.nodes.values()) {
      if (n.process.isAlive() && n.port > 0) {
        JsonObject s = cluster.getJson(n, "/connectors/sink/status");
        if (s != null && !s.getJsonArray("tasks").isEmpty()) {
          JsonObject t = s.getJsonArray("tasks").getJsonObject(0);
          return "RUNNING".equals(t.getString("state")) ? t.getString("worker_id") : null;
        }
      }
    }
    return null;
  }

  private int writes() {
    try {
      return Integer.parseInt(pg.rows("SELECT count(*) FROM writes").get(0));
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private Map<Integer, Integer> table() {
    Map<Integer, Integer> rows = new TreeMap<>();
    try {
      for (String row : pg.rows("SELECT id, seq FROM sunk_rows")) {
        String[] p = row.split("\\|");
        rows.put(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    return rows;
  }

  /** JsonConverter's envelope of row {id: seq % KEYS, seq}; each key always goes to the same partition. */
  private static ProducerRecord record(int seq) {
    int id = seq % KEYS;
    JsonArray fields = new JsonArray()
        .add(new JsonObject().put("field", "id").put("type", "int32").put("optional", false))
        .add(new JsonObject().put("field", "seq").put("type", "int32").put("optional", false));
    JsonObject value = new JsonObject().put("schema", new JsonObject().put("type", "struct").put("fields", fields)
        .put("optional", false)).put("payload", new JsonObject().put("id", id).put("seq", seq));
    return new ProducerRecord(TOPIC, id % PARTITIONS, null, null, value.encode().getBytes(StandardCharsets.UTF_8),
        List.of());
  }

  /** Sends records 0, 1, 2, ... at up to about 1,500 a second with a bound on sends awaiting an answer. */
  private static final class Load implements Runnable {
    private static final int MAX_IN_FLIGHT = 64;
    final Producer producer;
    /** Acknowledged seq to where it was written: partition and offset. */
    final Map<Integer, long[]> acked = new ConcurrentHashMap<>();
    final List<Throwable> failures = new CopyOnWriteArrayList<>();
    final AtomicInteger sent = new AtomicInteger();
    volatile int ackedAtLastKill;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Semaphore permits = new Semaphore(MAX_IN_FLIGHT);
    private final Thread thread = new Thread(this, "sink-load");

    Load(Producer producer) {
      this.producer = producer;
    }

    Load start() {
      thread.start();
      return this;
    }

    @Override
    public void run() {
      try {
        while (!stop.get()) {
          for (int i = 0; i < 15; i++) {
            permits.acquire();
            int seq = sent.getAndIncrement();
            producer.send(record(seq)).subscribe().with(md -> {
              acked.put(seq, new long[] {md.partition(), md.offset()});
              permits.release();
            }, t -> {
              failures.add(t);
              permits.release();
            });
          }
          Thread.sleep(10); // pacing of the test's own producer, not synchronisation
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    void finish() throws InterruptedException {
      stop.set(true);
      thread.join(10_000);
      permits.acquire(MAX_IN_FLIGHT);
      producer.flush().await().atMost(WAIT);
    }
  }
}
