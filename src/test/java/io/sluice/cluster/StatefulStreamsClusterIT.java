package io.sluice.cluster;

import static io.sluice.cluster.BrokerCluster.await;
import static io.sluice.cluster.BrokerCluster.body;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.cluster.BrokerCluster.Node;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once for state, across three broker processes from the packaged jar: a windowed count grouped by a field
 * (so records go through the repartition topic, then into a RocksDB store with a changelog) runs while input is
 * produced continuously, and the broker running a counting task is killed with SIGKILL at random moments; its task
 * moves, restores its store from the changelog and goes on. The final count of every (key, window) must equal the
 * fault-free answer computed from the whole input log: no record counted twice, none missing. The same run's
 * at_least_once copy is the negative control: it counts some records twice, so the check can fail.
 */
class StatefulStreamsClusterIT {
  private static final int PARTITIONS = 3;
  private static final String DEFINITION = """
      {"name": "%s", "inputs": ["events"], "value_format": "json", "guarantee": "%s",
       "steps": [{"group_by": "value.k"},
                 {"window": {"tumbling": "2s", "grace": "1d", "time": "value.t"}},
                 {"count": {"store": "counts"}},
                 {"map": {"value": "{'k': key, 'w': headers['sluice.window.start'], 'n': value}"}},
                 {"to": "%s"}]}""";

  @RegisterExtension
  static final TestClusters CLUSTERS = new TestClusters();
  @TempDir
  Path dir;
  private BrokerCluster cluster;

  @Test
  void killNineOfTheCountingBrokerCountsEveryRecordOnce() throws Exception {
    cluster = CLUSTERS.create(dir);
    cluster.extraConfig.put("streams.commit.interval.ms", 1_000);
    cluster.startAll(3);
    for (String t : List.of("events", "exact-counts", "loose-counts")) {
      HttpResponse<byte[]> r = cluster.createTopic(cluster.node(1), t, PARTITIONS, 3, Map.of("min.insync.replicas",
          "2"));
      assertThat(r.statusCode()).as(body(r)).isEqualTo(201);
    }
    for (String[] s : new String[][] {{"exact", "exactly_once", "exact-counts"},
        {"loose", "at_least_once", "loose-counts"}}) {
      HttpResponse<byte[]> r = cluster.send(cluster.node(1), "POST", "/streams",
          String.format(DEFINITION, s[0], s[1], s[2]),
          "application/json");
      assertThat(r.statusCode()).as(body(r)).isEqualTo(201);
    }
    AtomicBoolean producing = new AtomicBoolean(true);
    AtomicLong produced = new AtomicLong();
    Thread producer = new Thread(() -> produce(producing, produced), "events-producer");
    producer.start();
    Random random = new Random();
    long seed = random.nextLong();
    random.setSeed(seed);
    System.out.println("StatefulStreamsClusterIT kill seed " + seed);
    try {
      awaitRunning("exact", -1);
      for (int kill = 0; kill < 2; kill++) {
        long target = produced.get() + 300 + random.nextInt(1_200);
        await("input beyond " + target, () -> produced.get() >= target, 60_000);
        Node victim = cluster.node(taskBroker("exact", "exact-repartition-0", random.nextInt(PARTITIONS)));
        long killedAt = System.nanoTime();
        cluster.signal(victim, "KILL");
        victim.process.waitFor();
        awaitRunning("exact", victim.id);
        System.out.printf("counting tasks restored and running %d ms after kill -9 of broker %d%n",
            (System.nanoTime() - killedAt) / 1_000_000, victim.id);
        cluster.start(victim.id).listening.get(120, TimeUnit.SECONDS);
        cluster.awaitAlive(3);
      }
    } finally {
      producing.set(false);
      producer.join(60_000);
    }
    Map<String, Long> expected = new TreeMap<>();
    long inputs = 0;
    for (int p = 0; p < PARTITIONS; p++) {
      for (String v : cluster.readAllFromLeader("events", p).values()) {
        JsonObject o = new JsonObject(v);
        expected.merge(o.getString("k") + "@" + (o.getLong("t") / 2_000 * 2_000), 1L, Long::sum);
        inputs++;
      }
    }
    System.out.printf("input %d records in %d (key, window) counts%n", inputs, expected.size());
    // Status first (cheap), then the outputs, which are read whole on each look.
    await("both streams caught up", () -> caughtUp("exact") && caughtUp("loose"), 120_000);
    await("the exactly-once counts equal the fault-free answer", () -> expected.equals(counts("exact-counts")),
        60_000);
    awaitRunning("exact", -1);
    assertThat(counts("exact-counts")).isEqualTo(expected);
    queriesThroughEveryBroker(expected);
    await("the control caught up", () -> counts("loose-counts").keySet().equals(expected.keySet())
        && diff(counts("loose-counts"), expected) >= 0, 60_000);
    long over = diff(counts("loose-counts"), expected);
    System.out.printf("at_least_once control: %d records counted twice%n", over);
    assertThat(over).as("records counted twice by the at-least-once control").isPositive();
  }

  /**
   * Interactive queries give the store's counts whichever broker is asked: two of the three forward to the broker
   * running the key's task.
   */
  private void queriesThroughEveryBroker(Map<String, Long> expected) throws Exception {
    for (int id = 1; id <= 3; id++) {
      for (String key : List.of("k3", "k11")) {
        Map<String, Long> want = new TreeMap<>();
        expected.forEach((kw, n) -> {
          if (kw.startsWith(key + "@")) {
            want.put(kw, n);
          }
        });
        HttpResponse<byte[]> r = cluster.send(cluster.node(id), "GET", "/streams/exact/stores/counts/keys/" + key, null,
            "application/json");
        assertThat(r.statusCode()).as(body(r)).isEqualTo(200);
        Map<String, Long> got = new TreeMap<>();
        for (Object w : new JsonObject(body(r)).getJsonArray("windows")) {
          got.put(key + "@" + ((JsonObject) w).getLong("start"), ((JsonObject) w).getLong("value"));
        }
        assertThat(got).as("key " + key + " through broker " + id).isEqualTo(want);
      }
      HttpResponse<byte[]> scan = cluster.send(cluster.node(id), "GET",
          "/streams/exact/stores/counts/keys?prefix=k1", null,
          "application/json");
      assertThat(scan.statusCode()).as(body(scan)).isEqualTo(200);
      List<String> keys = new java.util.ArrayList<>();
      new JsonObject(body(scan)).getJsonArray("entries").forEach(e -> keys.add(((JsonObject) e).getString("key")));
      assertThat(keys).as("prefix scan through broker " + id).containsExactly("k1", "k10", "k11", "k12");
    }
  }

  /** The sum over (key, window) of actual minus expected counts. */
  private static long diff(Map<String, Long> actual, Map<String, Long> expected) {
    long d = 0;
    for (Map.Entry<String, Long> e : expected.entrySet()) {
      d += actual.getOrDefault(e.getKey(), 0L) - e.getValue();
    }
    return d;
  }

  /** The latest count of each (key, window) in the output (each key's updates are in order in one partition). */
  private Map<String, Long> counts(String topic) {
    Map<String, Long> out = new TreeMap<>();
    try {
      for (int q = 0; q < PARTITIONS; q++) {
        for (String v : cluster.readAllFromLeader(topic, q).values()) {
          JsonObject o = new JsonObject(v);
          out.put(o.getString("k") + "@" + o.getString("w"), o.getLong("n"));
        }
      }
    } catch (Exception | AssertionError e) {
      return Map.of(); // a broker went away under the read: look again
    }
    return out;
  }

  private boolean caughtUp(String stream) {
    JsonObject s = cluster.getJson(cluster.anyLive(), "/streams/" + stream);
    if (s == null || s.getJsonArray("tasks").size() != 2 * PARTITIONS) {
      return false;
    }
    for (Object o : s.getJsonArray("tasks")) {
      JsonObject t = (JsonObject) o;
      if (!"RUNNING".equals(t.getString("state")) || t.getLong("lag", 1L) != 0) {
        return false;
      }
    }
    return true;
  }

  private int taskBroker(String stream, String topic, int partition) {
    JsonObject s = cluster.getJson(cluster.anyLive(), "/streams/" + stream);
    for (Object o : s.getJsonArray("tasks")) {
      JsonObject t = (JsonObject) o;
      if (t.getString("topic").equals(topic) && t.getInteger("partition") == partition) {
        return t.getInteger("broker");
      }
    }
    throw new AssertionError("no task for " + topic + "-" + partition + ": " + s.encode());
  }

  /** Every task (input and repartition partitions) RUNNING on its partition's leader, none on {@code dead}. */
  private void awaitRunning(String stream, int dead) {
    await("tasks of " + stream + " running on their leaders", () -> {
      JsonObject s = cluster.getJson(cluster.anyLive(), "/streams/" + stream);
      if (s == null || s.getJsonArray("tasks").size() != 2 * PARTITIONS) {
        return false;
      }
      for (Object o : s.getJsonArray("tasks")) {
        JsonObject t = (JsonObject) o;
        int leader = cluster.leader(cluster.anyLive(), t.getString("topic"), t.getInteger("partition"));
        if (leader <= 0 || leader == dead || t.getInteger("broker") != leader
            || !"RUNNING".equals(t.getString("state"))) {
          return false;
        }
      }
      return true;
    }, 120_000);
  }

  /** Produces {"k", "t"} records to every partition of events, about 600 a second, through any live broker. */
  private void produce(AtomicBoolean producing, AtomicLong produced) {
    long[] next = new long[PARTITIONS];
    while (producing.get()) {
      for (int p = 0; p < PARTITIONS; p++) {
        JsonArray records = new JsonArray();
        for (int i = 0; i < 10; i++) {
          long n = next[p] + i;
          // record time advances 10 ms a record per partition: a 2 s window holds 200 records of a partition
          records.add(new JsonObject().put("value", new JsonObject().put("k", "k" + (n * 7 + p) % 13)
              .put("t", n * 10)));
        }
        try {
          HttpResponse<byte[]> r = cluster.send(cluster.anyLive(), "POST", "/topics/events/partitions/" + p,
              new JsonObject().put("records", records), "application/vnd.kafka.json.v2+json");
          if (r.statusCode() == 200) {
            next[p] += 10;
            produced.addAndGet(10);
          }
        } catch (Exception e) {
          // the broker died under the request: the next attempt goes to a live one (the answer reads the input log)
        }
      }
      try {
        Thread.sleep(50); // pacing of the test's own producer, not synchronisation
      } catch (InterruptedException e) {
        return;
      }
    }
  }
}
