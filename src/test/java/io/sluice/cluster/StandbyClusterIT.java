package io.sluice.cluster;

import static io.sluice.cluster.BrokerCluster.body;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.cluster.BrokerCluster.Node;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A standby copy of a counting task's store ({@code "standby_replicas": 1}) on two broker processes from the packaged
 * jar: the standby runs on the follower of the task's partition and shows its position and lag in the stream's
 * status; after {@code kill -9} of the task's broker the follower becomes the leader, the task starts there with the
 * standby's store and restores only the changelog's tail (its status says so), and the counts go on exactly.
 */
class StandbyClusterIT {
  private static final int KEYS = 50;
  private static final String TASK_TOPIC = "totals-repartition-0";

  @RegisterExtension
  static final TestClusters CLUSTERS = new TestClusters();
  @TempDir
  Path dir;
  private BrokerCluster cluster;

  @Test
  void afterKillNineTheTaskRestartsOnItsStandbysStoreAndRestoresOnlyTheTail() throws Exception {
    startWithStandby();
    produce(0, 3_000);
    JsonObject before = awaitValue("the standby caught up with the changelog", standbyCaughtUp(3_000));
    int active = before.getInteger("broker");
    JsonObject standby = before.getJsonObject("standby");
    assertThat(standby.getInteger("broker")).isNotEqualTo(active);
    long changelogRecords = standby.getLong("position");

    cluster.signal(cluster.node(active), "KILL");
    cluster.node(active).process.waitFor();
    JsonObject after = awaitValue("the task running on the standby's broker", () -> {
      JsonObject t = task();
      return t != null && t.getInteger("broker") == standby.getInteger("broker").intValue()
          && "RUNNING".equals(t.getString("state")) && t.getJsonObject("restore") != null
          && "DONE".equals(t.getJsonObject("restore").getString("state"))
          ? t : null;
    });
    JsonObject restore = after.getJsonObject("restore");
    System.out.printf("StandbyClusterIT: restore after kill -9 read %d changelog records from offset %d (the"
        + " changelog held %d; a restore without the standby reads them all)%n", restore.getLong("records"),
        restore.getLong("from"), changelogRecords);
    assertThat(restore.getBoolean("standby")).isTrue();
    assertThat(restore.getLong("from")).isPositive();
    assertThat(restore.getLong("records")).isLessThan(changelogRecords / 10);

    produce(3_000, 1_000);
    Map<String, Long> expected = new TreeMap<>();
    for (int k = 0; k < KEYS; k++) {
      expected.put("k" + k, 4_000L / KEYS);
    }
    BrokerCluster.await("every key counted exactly once", () -> expected.equals(counts()), 60_000);
  }

  /**
   * The standby's broker is killed ({@code kill -9}) while the task goes on, and started again: its standby resumes
   * from the position it kept with its store (its status says where), not from the changelog's start, catches up,
   * and when the task's broker is killed in turn the task runs on that kept store and counts every record exactly
   * once.
   */
  @Test
  void aStandbysBrokerKilledAndStartedAgainResumesTheStandbyWhereItWas() throws Exception {
    startWithStandby();
    produce(0, 3_000);
    JsonObject before = awaitValue("the standby caught up with the changelog", standbyCaughtUp(3_000));
    int active = before.getInteger("broker");
    int standbyBroker = before.getJsonObject("standby").getInteger("broker");
    long kept = before.getJsonObject("standby").getLong("position");

    cluster.signal(cluster.node(standbyBroker), "KILL");
    cluster.node(standbyBroker).process.waitFor();
    produce(3_000, 1_000); // the changelog grows while the standby's broker is down
    cluster.start(standbyBroker).listening.get(120, java.util.concurrent.TimeUnit.SECONDS);
    JsonObject resumed = awaitValue("the standby resumed on its restarted broker", () -> {
      JsonObject t = task();
      JsonObject s = t == null ? null : t.getJsonObject("standby");
      return s != null && s.getInteger("broker") == standbyBroker && s.containsKey("resumed_from") ? s : null;
    });
    System.out.printf("StandbyClusterIT: the restarted standby resumed at changelog offset %d (it had read %d)%n",
        resumed.getLong("resumed_from"), kept);
    assertThat(resumed.getLong("resumed_from")).isGreaterThanOrEqualTo(kept);
    JsonObject caughtUp = awaitValue("the resumed standby caught up", standbyCaughtUp(4_000));
    assertThat(caughtUp.getInteger("broker")).isEqualTo(active);

    cluster.signal(cluster.node(active), "KILL");
    cluster.node(active).process.waitFor();
    JsonObject after = awaitValue("the task running on the kept standby's broker", () -> {
      JsonObject t = task();
      return t != null && t.getInteger("broker") == standbyBroker && "RUNNING".equals(t.getString("state"))
          && t.getJsonObject("restore") != null && "DONE".equals(t.getJsonObject("restore").getString("state"))
          ? t : null;
    });
    assertThat(after.getJsonObject("restore").getBoolean("standby")).isTrue();
    assertThat(after.getJsonObject("restore").getLong("records")).isLessThan(400L);
    produce(4_000, 1_000);
    Map<String, Long> expected = new TreeMap<>();
    for (int k = 0; k < KEYS; k++) {
      expected.put("k" + k, 5_000L / KEYS);
    }
    BrokerCluster.await("every key counted exactly once", () -> expected.equals(counts()), 60_000);
  }

  /** Two brokers, the input and output topics (replicated on both), and a count with a standby. */
  private void startWithStandby() throws Exception {
    cluster = CLUSTERS.create(dir);
    cluster.extraConfig.put("streams.commit.interval.ms", 200);
    cluster.startAll(2);
    for (String t : List.of("events", "totals")) {
      assertThat(cluster.createTopic(cluster.node(1), t, 1, 2, Map.of()).statusCode()).isEqualTo(201);
    }
    HttpResponse<byte[]> created = cluster.send(cluster.node(1), "POST", "/streams", """
        {"name": "totals", "inputs": ["events"], "value_format": "json", "standby_replicas": 1,
         "steps": [{"group_by": "value.k"}, {"count": {"store": "counts"}},
                   {"map": {"value": "{'k': key, 'n': value}"}}, {"to": "totals"}]}""", "application/json");
    assertThat(created.statusCode()).as(body(created)).isEqualTo(201);
  }

  /** {@code n} records from number {@code from} on, key {@code k<number % KEYS>}, 100 a request, acks=all. */
  private void produce(int from, int n) throws Exception {
    for (int i = from; i < from + n; i += 100) {
      JsonArray records = new JsonArray();
      for (int j = i; j < i + 100; j++) {
        records.add(new JsonObject().put("value", new JsonObject().put("k", "k" + j % KEYS)));
      }
      JsonObject body = new JsonObject().put("records", records);
      awaitValue("a produce accepted", () -> {
        try {
          return cluster.send(cluster.anyLive(), "POST", "/topics/events/partitions/0?acks=all", body,
              "application/vnd.kafka.json.v2+json").statusCode() == 200 ? Boolean.TRUE : null;
        } catch (Exception e) {
          return null; // the leader moving: try again
        }
      });
    }
  }

  /** The task's status once its standby read at least {@code records} changelog records and holds none back. */
  private java.util.function.Supplier<JsonObject> standbyCaughtUp(long records) {
    return () -> {
      JsonObject t = task();
      if (t == null || t.getJsonObject("standby") == null || t.getLong("lag", 1L) != 0) {
        return null;
      }
      JsonObject s = t.getJsonObject("standby");
      return s.getLong("lag") == 0 && s.getInteger("held_back") == 0 && s.getLong("position") >= records ? t : null;
    };
  }

  private JsonObject task() {
    JsonObject s = cluster.getJson(cluster.anyLive(), "/streams/totals");
    if (s == null) {
      return null;
    }
    for (Object o : s.getJsonArray("tasks")) {
      if (((JsonObject) o).getString("topic").equals(TASK_TOPIC)) {
        return (JsonObject) o;
      }
    }
    return null;
  }

  private Map<String, Long> counts() {
    Map<String, Long> out = new TreeMap<>();
    try {
      for (String v : cluster.readAllFromLeader("totals", 0).values()) {
        JsonObject o = new JsonObject(v);
        out.put(o.getString("k"), o.getLong("n"));
      }
    } catch (Exception | AssertionError e) {
      return Map.of();
    }
    return out;
  }

  private static <T> T awaitValue(String what, java.util.function.Supplier<T> value) {
    Object[] got = new Object[1];
    BrokerCluster.await(what, () -> (got[0] = value.get()) != null, 60_000);
    @SuppressWarnings("unchecked")
    T t = (T) got[0];
    return t;
  }
}
