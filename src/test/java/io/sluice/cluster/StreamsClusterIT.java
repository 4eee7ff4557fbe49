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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streams service across three broker processes started from the packaged jar: while input is produced
 * continuously, the broker running a stream task is killed with SIGKILL three times at random moments; tasks follow
 * their partitions' leaders (failover, then the preferred leader back), and the exactly-once stream's output matches
 * the whole input record by record: none missing, none twice, input order kept per input partition. The same run's
 * at_least_once stream is the negative control: its output shows duplicates, so the check can fail.
 */
class StreamsClusterIT {
  private static final int PARTITIONS = 3;
  private static final String DEFINITION = """
      {"name": "%s", "inputs": ["src"], "key_format": "string", "value_format": "json", "guarantee": "%s",
       "steps": [{"filter": "value.i %% 7 != 3"},
                 {"map": {"key": "string(value.i %% 10)", "value": "{'p': partition, 'o': offset, 'i': value.i}"}},
                 {"to": "%s"}]}""";

  @RegisterExtension
  static final TestClusters CLUSTERS = new TestClusters();
  @TempDir
  Path dir;
  private BrokerCluster cluster;

  @Test
  void killNineOfTaskBrokersLosesAndDuplicatesNothingExactlyOnce() throws Exception {
    cluster = CLUSTERS.create(dir);
    cluster.extraConfig.put("streams.commit.interval.ms", 2_000);
    cluster.extraConfig.put("leader.imbalance.check.interval.seconds", 1); // the preferred leaders come back in the test
    cluster.startAll(3);
    for (String t : List.of("src", "exact", "loose")) {
      HttpResponse<byte[]> r = cluster.createTopic(cluster.node(1), t, PARTITIONS, 3, Map.of("min.insync.replicas",
          "2"));
      assertThat(r.statusCode()).as(body(r)).isEqualTo(201);
    }
    for (String[] s : new String[][] {{"exact", "exactly_once", "exact"}, {"loose", "at_least_once", "loose"}}) {
      HttpResponse<byte[]> r = cluster.send(cluster.node(1), "POST", "/streams",
          String.format(DEFINITION, s[0], s[1], s[2]),
          "application/json");
      assertThat(r.statusCode()).as(body(r)).isEqualTo(201);
    }
    AtomicBoolean producing = new AtomicBoolean(true);
    AtomicLong produced = new AtomicLong();
    Thread producer = new Thread(() -> produce(producing, produced), "src-producer");
    producer.start();
    Random random = new Random();
    long seed = random.nextLong();
    random.setSeed(seed);
    System.out.println("StreamsClusterIT kill seed " + seed);
    try {
      awaitTasksOnLeaders("exact", -1, true);
      for (int kill = 0; kill < 3; kill++) {
        long target = produced.get() + 500 + random.nextInt(1_500);
        await("input beyond " + target, () -> produced.get() >= target, 60_000);
        Node victim = cluster.node(taskBroker("exact", random.nextInt(PARTITIONS)));
        long killedAt = System.nanoTime();
        cluster.signal(victim, "KILL");
        victim.process.waitFor();
        awaitTasksOnLeaders("exact", victim.id, true);
        System.out.printf("stream tasks running on the new leaders %d ms after kill -9 of broker %d%n",
            (System.nanoTime() - killedAt) / 1_000_000, victim.id);
        cluster.start(victim.id).listening.get(120, java.util.concurrent.TimeUnit.SECONDS);
        cluster.awaitAlive(3);
      }
    } finally {
      producing.set(false);
      producer.join(60_000);
    }
    awaitTasksOnLeaders("exact", -1, false);
    Map<Integer, Map<Long, JsonObject>> input = new HashMap<>();
    for (int p = 0; p < PARTITIONS; p++) {
      Map<Long, JsonObject> in = new HashMap<>();
      cluster.readAllFromLeader("src", p).forEach((o, v) -> in.put(o, new JsonObject(v)));
      input.put(p, in);
    }
    long expected = input.values().stream().flatMap(m -> m.values().stream())
        .filter(v -> v.getInteger("i") % 7 != 3).count();
    System.out.printf("input %d records, %d expected in the output%n",
        input.values().stream().mapToInt(Map::size).sum(), expected);
    await("both streams caught up", () -> caughtUp("exact", input) && caughtUp("loose", input), 120_000);
    assertThat(check("exact", input)).as("duplicates in the exactly-once output").isZero();
    assertThat(check("loose", input)).as("duplicates in the at-least-once control").isPositive();
  }

  /** Checks the stream's whole output against the input; answers how many outputs were duplicates. */
  private long check(String topic, Map<Integer, Map<Long, JsonObject>> input) throws Exception {
    Map<String, Integer> seen = new HashMap<>();
    long duplicates = 0;
    for (int q = 0; q < PARTITIONS; q++) {
      Map<Integer, Long> lastPerInput = new HashMap<>();
      for (String text : cluster.readAllFromLeader(topic, q).values()) {
        JsonObject v = new JsonObject(text);
        int p = v.getInteger("p");
        long o = v.getLong("o");
        JsonObject in = input.get(p).get(o);
        assertThat(in).as("output of an input record that exists: " + v).isNotNull();
        assertThat(v.getInteger("i")).as("output of input " + p + "/" + o).isEqualTo(in.getInteger("i"));
        if (seen.merge(p + "/" + o, 1, Integer::sum) > 1) {
          duplicates++;
          continue;
        }
        Long last = lastPerInput.put(p, o);
        assertThat(last == null || last < o).as("input order of partition " + p + " kept in " + topic + "-" + q)
            .isTrue();
      }
    }
    for (Map.Entry<Integer, Map<Long, JsonObject>> e : input.entrySet()) {
      e.getValue().forEach((o, v) -> {
        if (v.getInteger("i") % 7 != 3) {
          assertThat(seen).as(topic + ": output of input " + e.getKey() + "/" + o).containsKey(e.getKey() + "/" + o);
        } else {
          assertThat(seen).as(topic + ": filtered input " + e.getKey() + "/" + o)
              .doesNotContainKey(e.getKey() + "/" + o);
        }
      });
    }
    System.out.printf("%s: %d outputs checked, %d duplicates%n", topic, seen.size(), duplicates);
    return duplicates;
  }

  private boolean caughtUp(String stream, Map<Integer, Map<Long, JsonObject>> input) {
    JsonObject s = cluster.getJson(cluster.anyLive(), "/streams/" + stream);
    if (s == null || s.getJsonArray("tasks").size() != PARTITIONS) {
      return false;
    }
    for (Object o : s.getJsonArray("tasks")) {
      JsonObject t = (JsonObject) o;
      long end = input.get(t.getInteger("partition")).keySet().stream().mapToLong(x -> x + 1).max().orElse(0);
      if (t.getLong("position") < end) {
        return false;
      }
    }
    return true;
  }

  private int taskBroker(String stream, int partition) {
    JsonObject s = cluster.getJson(cluster.anyLive(), "/streams/" + stream);
    for (Object o : s.getJsonArray("tasks")) {
      if (((JsonObject) o).getInteger("partition") == partition) {
        return ((JsonObject) o).getInteger("broker");
      }
    }
    throw new AssertionError("no task for partition " + partition + ": " + s.encode());
  }

  /**
   * Every task RUNNING on its input partition's current leader (not {@code dead}), and if asked moving forward. On a
   * timeout the failure says why: the task table, the input's leaders and the brokers' last stream log lines.
   */
  private void awaitTasksOnLeaders(String stream, int dead, boolean moving) {
    try {
      awaitPlaced(stream, dead, moving);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\n" + diagnosis(stream), e);
    }
  }

  private String diagnosis(String stream) {
    StringBuilder out = new StringBuilder();
    for (Node n : cluster.nodes.values()) {
      if (!n.process.isAlive() || n.port <= 0) {
        out.append("broker ").append(n.id).append(": down\n");
        continue;
      }
      JsonObject s = cluster.getJson(n, "/streams/" + stream);
      out.append("broker ").append(n.id).append(" sees ").append(stream).append(": ")
          .append(s == null ? "null" : s.getString("state") + " " + s.getJsonArray("tasks")).append('\n');
      JsonObject t = cluster.getJson(n, "/topics/src");
      out.append("  src partitions: ").append(t == null ? "null" : t.getJsonArray("partitions")).append('\n');
    }
    for (Node n : cluster.nodes.values()) {
      List<String> lines = n.output.stream().filter(l -> l.contains("io.sluice.streams")).toList();
      out.append("broker ").append(n.id).append("'s last stream log lines:\n");
      lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> out.append("  ").append(l)
          .append('\n'));
    }
    return out.toString();
  }

  private void awaitPlaced(String stream, int dead, boolean moving) {
    Map<Integer, Long> firstSeen = new HashMap<>();
    await("tasks of " + stream + " on their leaders", () -> {
      JsonObject s = cluster.getJson(cluster.anyLive(), "/streams/" + stream);
      if (s == null || s.getJsonArray("tasks").size() != PARTITIONS) {
        return false;
      }
      boolean all = true;
      for (Object o : s.getJsonArray("tasks")) {
        JsonObject t = (JsonObject) o;
        int p = t.getInteger("partition");
        int leader = cluster.leader(cluster.anyLive(), "src", p);
        boolean placed = leader > 0 && leader != dead && t.getInteger("broker") == leader
            && "RUNNING".equals(t.getString("state"));
        long in = t.getLong("records_in");
        if (placed && !moving) {
          continue;
        }
        if (placed && firstSeen.putIfAbsent(p, in) == null) {
          all = false; // moving forward is seen on a later look
        } else if (!placed || in <= firstSeen.get(p)) {
          all = false;
        }
      }
      return all;
    }, 120_000);
  }

  /** Produces {"i": n} records to every partition of src, about 1,000 a second, through any live broker. */
  private void produce(AtomicBoolean producing, AtomicLong produced) {
    int[] next = new int[PARTITIONS];
    while (producing.get()) {
      for (int p = 0; p < PARTITIONS; p++) {
        JsonArray records = new JsonArray();
        for (int i = 0; i < 20; i++) {
          records.add(new JsonObject().put("value", new JsonObject().put("i", next[p] + i)));
        }
        try {
          HttpResponse<byte[]> r = cluster.send(cluster.anyLive(), "POST", "/topics/src/partitions/" + p,
              new JsonObject().put("records", records), "application/vnd.kafka.json.v2+json");
          if (r.statusCode() == 200) {
            next[p] += 20;
            produced.addAndGet(20);
          }
        } catch (Exception e) {
          // the broker died under the request: the next attempt goes to a live one (the check reads the input log)
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
