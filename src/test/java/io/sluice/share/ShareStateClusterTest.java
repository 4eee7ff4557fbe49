package io.sluice.share;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.config.BrokerConfig;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three brokers: the broker that keeps the share groups (the leader of {@code __share_group_state}) stops, and the
 * one that keeps them next restores them from the topic: a record whose ACCEPT was answered is never delivered again;
 * the member is kept and still holds what it was handed (it releases it as itself), and what it releases comes back
 * with its delivery count kept; the stopped broker, back and leading the topic again, keeps them again from it.
 */
@Tag("several-brokers")
class ShareStateClusterTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dir;
  private InProcessCluster cluster;

  @BeforeEach
  void start() throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).withHttp()
        .set(BrokerConfig.SHARE_RECORD_LOCK_DURATION_MS, 600_000L).start(3);
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(InProcessCluster.WAIT_MS, TimeUnit.MILLISECONDS);
  }

  private static String join(WebClient client) throws Exception {
    HttpResponse<Buffer> r = await(client.post("/share-groups/durable/members").sendJsonObject(new JsonObject()
        .put("topics", new JsonArray().add("jobs")).put("share.auto.offset.reset", "earliest")));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return r.bodyAsJsonObject().getString("member_id");
  }

  private static HttpResponse<Buffer> fetch(WebClient client, String member, long timeoutMs) throws Exception {
    return await(client.get("/share-groups/durable/members/" + member + "/records?max_records=100&timeout="
        + timeoutMs).send());
  }

  @Test
  void theNextKeeperNeverRedeliversAcceptedRecordsAndRedeliversTheOthersWithTheirCounts() throws Exception {
    WebClient viaSecond = cluster.web(2);
    HttpResponse<Buffer> created = await(viaSecond.post("/topics").sendJsonObject(new JsonObject()
        .put("name", "jobs").put("partitions", 1).put("replication_factor", 3)));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    JsonArray batch = new JsonArray();
    for (int i = 0; i < 6; i++) {
      batch.add(new JsonObject().put("value", "job" + i));
    }
    assertThat(await(viaSecond.post("/topics/jobs/partitions/0").putHeader("Content-Type", "application/json")
        .sendJsonObject(new JsonObject().put("records", batch))).statusCode()).isEqualTo(200);
    String member = join(viaSecond);
    HttpResponse<Buffer> first = fetch(viaSecond, member, 5_000);
    assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(200);
    assertThat(first.bodyAsJsonArray()).hasSize(6);
    JsonArray accepts = new JsonArray();
    for (long offset = 0; offset < 3; offset++) {
      accepts.add(new JsonObject().put("topic", "jobs").put("partition", 0).put("offset", offset)
          .put("type", "ACCEPT"));
    }
    HttpResponse<Buffer> acked = await(viaSecond.post("/share-groups/durable/members/" + member + "/acknowledgements")
        .sendJsonObject(new JsonObject().put("acknowledgements", accepts)));
    assertThat(acked.statusCode()).as(acked.bodyAsString()).isEqualTo(200);

    int keeper = cluster.leader(ShareStateTopic.PARTITION);
    cluster.stop(keeper);
    cluster.awaitLive();
    WebClient viaOther = cluster.web(keeper == 2 ? 3 : 2);
    // Another member gets nothing (the locks are kept), and the member releases as itself (it is kept too).
    settle(viaOther, member, 3, 5, "RELEASE");

    JsonArray redelivered = fetchAgain(viaOther);
    List<Long> offsets = new ArrayList<>();
    redelivered.forEach(o -> {
      JsonObject r = (JsonObject) o;
      offsets.add(r.getLong("offset"));
      assertThat(r.getInteger("delivery_count")).as(r.encode()).isEqualTo(2);
    });
    assertThat(offsets).containsExactly(3L, 4L, 5L);
    String second = redelivered.getJsonObject(0).getString("member");
    settle(viaOther, second, 3, 3, "ACCEPT");
    settle(viaOther, second, 4, 5, "RELEASE");

    // The stopped broker, back and leading the topic again, keeps the groups: it loads them rather than start empty.
    cluster.startBroker(keeper);
    cluster.awaitLive();
    ShareStateLeadership.moveTo(cluster, keeper);
    assertThat(fetchAgain(viaOther)).extracting(r -> ((JsonObject) r).getLong("offset") + "@"
        + ((JsonObject) r).getInteger("delivery_count")).containsExactly("4@3", "5@3");
  }

  /** Acknowledges offsets {@code from..to} as {@code type}, retrying while the next keeper is not seen or loads. */
  private static void settle(WebClient client, String member, long from, long to, String type) {
    JsonArray acks = new JsonArray();
    for (long offset = from; offset <= to; offset++) {
      acks.add(new JsonObject().put("topic", "jobs").put("partition", 0).put("offset", offset).put("type", type));
    }
    Awaitility.await().atMost(Duration.ofMillis(InProcessCluster.WAIT_MS)).until(() -> {
      HttpResponse<Buffer> acked = await(client.post("/share-groups/durable/members/" + member
          + "/acknowledgements").sendJsonObject(new JsonObject().put("acknowledgements", acks)));
      assertThat(acked.statusCode()).as(acked.bodyAsString()).isIn(200, 503);
      if (acked.statusCode() == 200) {
        assertThat(acked.bodyAsJsonObject().encode()).doesNotContain("error_code");
      }
      return acked.statusCode() == 200;
    });
  }

  /** Joins and fetches until a fetch hands out records (the keeper may be loading, or not seen everywhere yet). */
  private static JsonArray fetchAgain(WebClient client) {
    AtomicReference<JsonArray> got = new AtomicReference<>();
    Awaitility.await().atMost(Duration.ofMillis(InProcessCluster.WAIT_MS)).until(() -> {
      HttpResponse<Buffer> joined = await(client.post("/share-groups/durable/members").sendJsonObject(
          new JsonObject().put("topics", new JsonArray().add("jobs"))));
      if (joined.statusCode() != 201) {
        return false;
      }
      String member = joined.bodyAsJsonObject().getString("member_id");
      HttpResponse<Buffer> r = fetch(client, member, 1_000);
      if (r.statusCode() == 200 && !r.bodyAsJsonArray().isEmpty()) {
        JsonArray records = r.bodyAsJsonArray();
        records.forEach(o -> ((JsonObject) o).put("member", member));
        got.set(records);
      }
      return got.get() != null;
    });
    return got.get();
  }
}
