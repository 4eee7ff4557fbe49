package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BrokerJvm;
import io.sluice.streams.BrokerHttp.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compaction gap of a task's changelog, on a broker JVM killed with {@code kill -9}: after a checkpoint, a task
 * changes key {@code a} again and crashes before its next checkpoint; meanwhile the changelog's segments roll and
 * the cleaner runs. The restore to the checkpoint skips the post-checkpoint record of {@code a}, so it needs the
 * record before the checkpoint, which the cleaner must not have removed: the task's compaction bound keeps it.
 * Without the bound (the code before it) {@code a}'s total after the restore starts again from 0.
 */
class ChangelogCompactionIT {
  private static final long START_S = 120;

  @TempDir
  Path tmp;
  private BrokerJvm broker;
  private int port;
  private final BrokerHttp http = new BrokerHttp(() -> port);

  @AfterEach
  void keepOutput() throws Exception {
    if (broker != null) {
      broker.close("ChangelogCompactionIT");
    }
  }

  private void start(String zookeeperPort) throws Exception {
    // no checkpoint but at start and stop (a commit interval of an hour); the cleaner looks every 200 ms
    broker = BrokerJvm.start("--broker-id", "1", "--http-port", "0", "--data-dir", tmp.resolve("data").toString(),
        "--set", "zookeeper.embedded.port=" + zookeeperPort, "--set", "streams.commit.interval.ms=3600000",
        "--set", "log.retention.check.interval.ms=200");
    port = broker.awaitListening(START_S);
  }

  @Test
  void aRestoreAfterACrashFindsTheCheckpointsValueThoughALaterRecordOfItsKeyWasCompacted() throws Exception {
    String zookeeperPort = Integer.toString(BrokerJvm.freePort());
    start(zookeeperPort);
    http.createTopic("sales", 1);
    http.createTopic("totals", 1);
    // the changelog made beforehand with tiny segments, so that they roll and get compacted within the test
    Reply changelog = http.send("POST", "/topics", new JsonObject().put("name", "totals-sum-changelog")
        .put("partitions", 1).put("replication_factor", 1).put("configs", new JsonObject()
            .put("cleanup.policy", "compact").put("retention.ms", "-1").put("segment.bytes", "1024")));
    assertThat(changelog.status()).as(changelog.body()).isEqualTo(201);
    Reply created = http.send("POST", "/streams", new JsonObject("""
        {"name": "totals", "inputs": ["sales"], "value_format": "json",
         "steps": [{"group_by": "key"}, {"sum": "value.amount"}, {"to": "totals"}]}"""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);

    http.produce("sales", new JsonArray().add(sale("a", 10)).add(sale("c", 1)).add(sale("c", 2)));
    await("three totals", () -> http.read("totals", 0).size() == 3);
    // a clean restart checkpoints after the three inputs
    assertThat(http.send("POST", "/streams/totals/restart", null).status()).isEqualTo(200);
    await("the task running again", () -> "RUNNING".equals(task().getString("state"))
        && task().getLong("position", -1L) == 3);

    http.produce("sales", new JsonArray().add(sale("a", 7)));
    for (int i = 0; i < 12; i++) { // other keys, in separate writes: the changelog's segments roll past a's records
      JsonArray fill = new JsonArray();
      for (int j = 0; j < 4; j++) {
        fill.add(sale("filler-" + i + "-" + j, 1));
      }
      http.produce("sales", fill);
      int expected = 4 + 4 * (i + 1);
      await("the fillers counted", () -> http.read("totals", 0).size() == expected);
    }
    List<JsonObject> out = http.read("totals", 0);
    assertThat(out.get(3).getLong("value")).isEqualTo(17);
    // c's first record is superseded before the checkpoint: once it is gone, the cleaner has run over a's records
    await("the changelog compacted", () -> valuesOf("totals-sum-changelog", "c").size() == 1);

    broker.close("ChangelogCompactionIT-killed"); // SIGKILL: no checkpoint after the first three inputs
    broker.awaitExit(30);
    start(zookeeperPort);
    http.produce("sales", new JsonArray().add(sale("a", 1)));
    await("a's new total", () -> http.read("totals", 0).size() == out.size() + 1);
    JsonObject last = http.read("totals", 0).get(out.size());
    assertThat(last.getString("key") + "=" + last.getLong("value")).isEqualTo("a=18");
  }

  private JsonObject task() throws Exception {
    JsonArray tasks = http.send("GET", "/streams/totals", null).json().getJsonArray("tasks", new JsonArray());
    return tasks.isEmpty() ? new JsonObject() : tasks.getJsonObject(0);
  }

  /** The changelog's records of the store key of {@code key} (read as bytes: store keys are not JSON). */
  private List<String> valuesOf(String topic, String key) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + port + "/topics/" + topic + "/partitions/0/records?offset=0&max_bytes=1000000"))
        .header("Accept", "application/vnd.kafka.binary.v2+json").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<String> values = new ArrayList<>();
    for (Object o : new JsonArray(r.body())) {
      String k = ((JsonObject) o).getString("key");
      if (k != null && new String(Base64.getDecoder().decode(k), StandardCharsets.UTF_8).replace("\"", "")
          .equals("K" + key)) {
        values.add(((JsonObject) o).getString("value"));
      }
    }
    return values;
  }

  private static JsonObject sale(String key, long amount) {
    return new JsonObject().put("key", key).put("value", new JsonObject().put("amount", amount));
  }

  private static void await(String what, Callable<Boolean> condition) {
    org.awaitility.Awaitility.await(what).atMost(java.time.Duration.ofSeconds(60)).until(condition);
  }
}
