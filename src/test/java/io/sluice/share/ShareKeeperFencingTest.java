package io.sluice.share;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.TopicPartition;
import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
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
 * Two keepers racing: {@code __share_group_state}'s partition moves to another broker while the keeper it left still
 * believes it keeps the share groups (a zombie: a second {@link ShareGroups} on the old leader whose view of the
 * keeper is frozen, as a broker whose metadata lags would see). The partition refuses the zombie's writes (its leader
 * epoch is old), so the records it acquires in memory are never handed out, and it stops serving; the new keeper
 * keeps the members and the records they hold across the change.
 */
@Tag("several-brokers")
class ShareKeeperFencingTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final TopicPartition STATE = ShareStateTopic.PARTITION;

  @TempDir
  Path dir;
  private InProcessCluster cluster;
  private WorkerExecutor zombiePool;

  @BeforeEach
  void start() throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).withHttp()
        .set(BrokerConfig.SHARE_RECORD_LOCK_DURATION_MS, 600_000L).start(3);
  }

  @AfterEach
  void stop() throws Exception {
    if (zombiePool != null) {
      zombiePool.close();
    }
    cluster.close();
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(InProcessCluster.WAIT_MS, TimeUnit.MILLISECONDS);
  }

  @Test
  void aFormerKeeperHandsOutNothingAndTheNewOneKeepsMembersAndLocks() throws Exception {
    WebClient web = cluster.web(1);
    HttpResponse<Buffer> created = await(web.post("/topics").sendJsonObject(new JsonObject()
        .put("name", "jobs").put("partitions", 1).put("replication_factor", 3)));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    JsonArray batch = new JsonArray();
    for (int i = 0; i < 6; i++) {
      batch.add(new JsonObject().put("value", "job" + i));
    }
    assertThat(await(web.post("/topics/jobs/partitions/0").sendJsonObject(new JsonObject().put("records", batch)))
        .statusCode()).isEqualTo(200);
    await(ShareStateTopic.keeper(cluster.broker(1).service())); // creates the topic: three replicas
    cluster.awaitEverywhere(s -> ShareStateLeadership.state(s) != null
        && ShareStateLeadership.state(s).leader() >= 0 && ShareStateLeadership.state(s).isr().size() == 3);
    int oldKeeper = cluster.leader(STATE);
    int newKeeper = oldKeeper % 3 + 1;

    ShareGroups zombie = zombie(oldKeeper);
    String z = await(zombie.join("g", List.of("jobs"), 0, true));
    assertThat(await(zombie.fetch("g", z, 1, 0))).extracting(r -> r.record().offset()).containsExactly(0L);
    String m = join(web);
    assertThat(fetch(web, m)).extracting(r -> ((JsonObject) r).getLong("offset")).containsExactly(1L, 2L, 3L, 4L, 5L);

    ShareStateLeadership.moveTo(cluster, newKeeper);

    // The zombie acquires 1..5 in memory (it never saw m take them), but its write is refused: nothing handed out.
    assertThat(codeOf(zombie.fetch("g", z, 100, 0))).isEqualTo(ErrorCode.NOT_COORDINATOR);
    // And it stops serving: loading again at its old epoch is refused too.
    assertThat(codeOf(zombie.describe("g"))).isEqualTo(ErrorCode.NOT_COORDINATOR);

    // The new keeper kept m and z and what they hold: another member gets nothing; m acknowledges as itself.
    String other = joinOnceServed(web);
    assertThat(fetch(web, other)).isEmpty();
    JsonArray accepts = new JsonArray();
    for (long offset = 1; offset <= 5; offset++) {
      accepts.add(new JsonObject().put("topic", "jobs").put("partition", 0).put("offset", offset)
          .put("type", "ACCEPT"));
    }
    HttpResponse<Buffer> acked = await(web.post("/share-groups/g/members/" + m + "/acknowledgements")
        .sendJsonObject(new JsonObject().put("acknowledgements", accepts)));
    assertThat(acked.statusCode()).as(acked.bodyAsString()).isEqualTo(200);
    assertThat(acked.bodyAsJsonObject().encode()).doesNotContain("error_code");
    assertThat(cluster.leader(STATE)).isEqualTo(newKeeper);
  }

  /** A second share-group state on {@code broker}, sure it keeps the groups at the partition's epoch of now. */
  private ShareGroups zombie(int brokerId) throws Exception {
    Broker broker = cluster.broker(brokerId);
    ShareStateTopic.Keeper frozen = await(ShareStateTopic.keeper(broker.service()));
    assertThat(frozen.broker()).isEqualTo(brokerId);
    zombiePool = broker.vertx().createSharedWorkerExecutor("zombie-share", 1);
    return new ShareGroups(((VertxInternal) broker.vertx()).createEventLoopContext(), broker.service(),
        new ShareReads(broker.service(), zombiePool), new ShareStateTopic(broker.service(), zombiePool), brokerId,
        ShareGroupsService.settings(broker.config()), System::currentTimeMillis,
        () -> Future.succeededFuture(frozen));
  }

  private static ErrorCode codeOf(Future<?> call) {
    try {
      await(call);
      return null;
    } catch (Exception e) {
      return e instanceof SluiceException s ? s.errorCode() : null;
    }
  }

  private static String join(WebClient web) throws Exception {
    HttpResponse<Buffer> r = await(web.post("/share-groups/g/members").sendJsonObject(new JsonObject()
        .put("topics", new JsonArray().add("jobs"))));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return r.bodyAsJsonObject().getString("member_id");
  }

  /** Joins, retrying while the new keeper is not seen everywhere or still loading (503, retriable). */
  private static String joinOnceServed(WebClient web) {
    AtomicReference<String> id = new AtomicReference<>();
    Awaitility.await().atMost(Duration.ofMillis(InProcessCluster.WAIT_MS)).until(() -> {
      HttpResponse<Buffer> r = await(web.post("/share-groups/g/members").sendJsonObject(new JsonObject()
          .put("topics", new JsonArray().add("jobs"))));
      assertThat(r.statusCode()).as(r.bodyAsString()).isIn(201, 503);
      id.set(r.statusCode() == 201 ? r.bodyAsJsonObject().getString("member_id") : null);
      return id.get() != null;
    });
    return id.get();
  }

  private static JsonArray fetch(WebClient web, String member) throws Exception {
    HttpResponse<Buffer> r = await(web.get("/share-groups/g/members/" + member + "/records?max_records=100&timeout=0")
        .send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonArray();
  }
}
