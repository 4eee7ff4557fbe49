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
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A share group's accepted records stay accepted across kill -9 of the broker keeping share groups (the leader of
 * {@code __share_group_state}): the broker that keeps them next restores the topic, never delivers an answered ACCEPT
 * again, and delivers the records handed out but not acknowledged again once their locks (kept across the change)
 * lapse, their delivery counts kept.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ShareGroupsCrashIT {
  private static final String TOPIC = "tasks";
  @RegisterExtension
  static final TestClusters CLUSTERS = new TestClusters();
  @TempDir
  static Path tmp;
  private BrokerCluster cluster;
  private ConsumerCalls calls;

  @BeforeAll
  void startCluster() throws Exception {
    cluster = CLUSTERS.startAll(tmp, 3);
    calls = new ConsumerCalls(cluster);
  }

  private String join(Node node, boolean earliest) throws Exception {
    JsonObject body = new JsonObject().put("topics", new JsonArray().add(TOPIC));
    if (earliest) {
      body.put("share.auto.offset.reset", "earliest");
    }
    HttpResponse<byte[]> r = calls.post(node, "/share-groups/crash/members", body);
    return r.statusCode() == 201 ? new JsonObject(body(r)).getString("member_id") : null;
  }

  @Test
  void anAcceptAnsweredBeforeKillNineOfTheKeeperIsNeverDeliveredAgain() throws Exception {
    Node second = cluster.node(2);
    HttpResponse<byte[]> created = cluster.createTopic(second, TOPIC, 1, 3, Map.of());
    assertThat(created.statusCode()).as(body(created)).isEqualTo(201);
    calls.produce(second, TOPIC, 0, 6);
    String member = join(second, true);
    assertThat(member).isNotNull();
    HttpResponse<byte[]> fetched = calls.get(second, "/share-groups/crash/members/" + member
        + "/records?max_records=100&timeout=5000");
    assertThat(new JsonArray(body(fetched))).hasSize(6);
    JsonArray accepts = new JsonArray();
    for (long offset = 0; offset < 4; offset++) {
      accepts.add(new JsonObject().put("topic", TOPIC).put("partition", 0).put("offset", offset)
          .put("type", "ACCEPT"));
    }
    HttpResponse<byte[]> acked = calls.post(second, "/share-groups/crash/members/" + member + "/acknowledgements",
        new JsonObject().put("acknowledgements", accepts));
    assertThat(acked.statusCode()).as(body(acked)).isEqualTo(200);

    int keeper = cluster.leader(second, "__share_group_state", 0);
    cluster.signal(cluster.node(keeper), "KILL");
    Node via = cluster.node(keeper == 2 ? 3 : 2);
    AtomicReference<JsonArray> redelivered = new AtomicReference<>();
    await("the next keeper to hand out the unacknowledged records once their locks lapse", () -> {
      try {
        String again = join(via, false);
        if (again == null) {
          return false; // the next keeper is not seen yet, or is loading (503, retriable)
        }
        HttpResponse<byte[]> r = calls.get(via, "/share-groups/crash/members/" + again
            + "/records?max_records=100&timeout=1000");
        if (r.statusCode() == 200 && !new JsonArray(body(r)).isEmpty()) {
          redelivered.set(new JsonArray(body(r)));
        }
        return redelivered.get() != null;
      } catch (Exception e) {
        return false;
      }
    }, 120_000); // the failover, then the rest of the 30 s lock (group.share.record.lock.duration.ms)
    List<Long> offsets = new ArrayList<>();
    redelivered.get().forEach(o -> {
      JsonObject r = (JsonObject) o;
      offsets.add(r.getLong("offset"));
      assertThat(r.getInteger("delivery_count")).as(r.encode()).isEqualTo(2);
    });
    assertThat(offsets).containsExactly(4L, 5L);
  }
}
