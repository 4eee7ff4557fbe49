package io.sluice.cluster;

import static io.sluice.cluster.BrokerCluster.await;
import static io.sluice.cluster.BrokerCluster.body;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.cluster.BrokerCluster.Node;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedWriter;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connect service across broker processes started from the packaged jar: tasks spread over the brokers and
 * follow them as they join and leave, and a file source whose broker is killed with SIGKILL resumes on another
 * broker with no line lost and none written twice.
 */
class ConnectClusterIT {
  @RegisterExtension
  static final TestClusters CLUSTERS = new TestClusters();
  @TempDir
  Path dir;
  private BrokerCluster cluster;

  private HttpResponse<byte[]> send(Node node, String method, String path, Object body) throws Exception {
    HttpRequest.BodyPublisher p = body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body.toString());
    return cluster.send(HttpRequest.newBuilder(node.uri(path)).header("Content-Type", "application/json")
        .method(method, p));
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

  /** Worker ids of the tasks when every one of {@code count} tasks is RUNNING, else null. */
  private List<String> runningWorkers(String connector, int count) {
    JsonObject s = status(connector);
    if (s == null || s.getJsonArray("tasks").size() != count) {
      return null;
    }
    List<String> workers = new ArrayList<>();
    for (Object o : s.getJsonArray("tasks")) {
      JsonObject t = (JsonObject) o;
      if (!"RUNNING".equals(t.getString("state"))) {
        return null;
      }
      workers.add(t.getString("worker_id"));
    }
    return workers;
  }

  private static String workerId(Node n) {
    return "127.0.0.1:" + n.port;
  }

  @Test
  void tasksSpreadWhenABrokerJoinsAndMoveWhenItLeaves() throws Exception {
    cluster = CLUSTERS.startAll(dir, 2);
    JsonObject config = new JsonObject().put("connector.class", "LoadGenerator").put("topic", "generated")
        .put("records.per.second", 20).put("tasks.max", 4)
        .put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
    HttpResponse<byte[]> created = send(cluster.node(1), "POST", "/connectors",
        new JsonObject().put("name", "spread").put("config", config));
    assertThat(created.statusCode()).as(body(created)).isEqualTo(201);
    await("4 tasks running on both brokers", () -> {
      List<String> w = runningWorkers("spread", 4);
      return w != null && new HashSet<>(w).equals(Set.of(workerId(cluster.node(1)), workerId(cluster.node(2))));
    }, 120_000);

    Node third = cluster.start(3);
    third.listening.get(120, java.util.concurrent.TimeUnit.SECONDS);
    await("tasks spread over three brokers", () -> {
      List<String> w = runningWorkers("spread", 4);
      return w != null && new HashSet<>(w).size() == 3 && w.contains(workerId(third));
    }, 120_000);

    cluster.signal(third, "TERM");
    third.process.waitFor();
    await("broker 3 stopped cleanly", () -> third.output.stream().anyMatch(l -> l.contains("Sluice broker 3 stopped")));
    await("tasks back on the two remaining brokers", () -> {
      List<String> w = runningWorkers("spread", 4);
      return w != null && !w.contains(workerId(third)) && new HashSet<>(w).size() == 2;
    }, 120_000);
  }

  @Test
  void killNineOfTheBrokerRunningAFileSourceLosesAndDuplicatesNoLine() throws Exception {
    cluster = CLUSTERS.create(dir);
    cluster.extraConfig.put(io.sluice.config.BrokerConfig.CONNECT_FILE_ALLOWED_PATHS, dir.toString());
    cluster.startAll(3);
    HttpResponse<byte[]> topic = cluster.createTopic(cluster.node(1), "file-lines", 1, 3, Map.of());
    assertThat(topic.statusCode()).as(body(topic)).isEqualTo(201);
    Path file = dir.resolve("source.txt");
    Files.writeString(file, "");
    JsonObject config = new JsonObject().put("connector.class", "FileStreamSource").put("file", file.toString())
        .put("topic", "file-lines").put("value.converter", "org.apache.kafka.connect.storage.StringConverter")
        .put("batch.size", "200");
    HttpResponse<byte[]> created = send(cluster.node(1), "POST", "/connectors",
        new JsonObject().put("name", "file").put("config", config));
    assertThat(created.statusCode()).as(body(created)).isEqualTo(201);
    await("file task running", () -> runningWorkers("file", 1) != null, 120_000);

    int total = 20_000;
    AtomicInteger written = new AtomicInteger();
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer = new Thread(() -> appendLines(file, total, written, writing), "line-writer");
    writer.start();
    try {
      await("some lines written to the topic", () -> endOffset("file-lines") > 3_000, 120_000);
      String victimId = runningWorkers("file", 1).get(0);
      Node victim = cluster.nodes.values().stream().filter(n -> workerId(n).equals(victimId)).findFirst()
          .orElseThrow();
      long killedAt = System.nanoTime();
      cluster.signal(victim, "KILL");
      victim.process.waitFor();
      await("file task running on another broker", () -> {
        List<String> w = runningWorkers("file", 1);
        return w != null && !w.get(0).equals(victimId);
      }, 120_000);
      System.out.printf("file task running again %d ms after kill -9 of broker %d%n",
          (System.nanoTime() - killedAt) / 1_000_000, victim.id);
      writer.join(120_000);
      assertThat(written.get()).isEqualTo(total);
      await("every line in the topic", () -> endOffset("file-lines") >= total, 180_000);
      Map<Long, String> log = cluster.readAllFromLeader("file-lines", 0);
      List<String> lines = new ArrayList<>(log.values());
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < total; i++) {
        expected.add("line-" + i);
      }
      assertThat(lines).as("every line exactly once, in order").containsExactlyElementsOf(expected);
    } finally {
      writing.set(false);
      writer.join(10_000);
    }
  }

  private long endOffset(String topic) {
    JsonObject o = cluster.getJson(cluster.anyLive(), "/topics/" + topic + "/partitions/0/offsets");
    return o == null ? -1 : o.getLong("end_offset");
  }

  /** Appends lines at about 2,000 a second, flushing each batch (the source follows appended lines). */
  private static void appendLines(Path file, int total, AtomicInteger written, AtomicBoolean writing) {
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardOpenOption.APPEND)) {
      while (written.get() < total && writing.get()) {
        for (int i = 0; i < 100 && written.get() < total; i++) {
          w.write("line-" + written.getAndIncrement());
          w.newLine();
        }
        w.flush();
        Thread.sleep(50); // pacing of the test's own writer, not synchronisation
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

}
