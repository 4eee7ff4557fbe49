package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ElectionType;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.config.BrokerConfig;
import io.sluice.group.OffsetsTopic;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Static members (KIP-345) of a group whose coordinator moves to another broker: the broker leading the group's
 * {@code __consumer_offsets} partition stops, or loses the leadership to a reassignment and a preferred election. The
 * new coordinator restores the static members from the group record, so each member that comes back within its
 * session timeout gets its partitions in the same generation, and the group does not rebalance.
 *
 * <p>The clients speak to a broker that is never the coordinator (REST v2 instances live on the coordinator and are
 * restored with the group there).
 */
@Tag("several-brokers")
class StaticMembersCoordinatorMoveTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final TopicPartition OFFSETS = new TopicPartition(OffsetsTopic.NAME, 0);
  private static final long WAIT_MS = InProcessCluster.WAIT_MS;

  @TempDir
  Path dir;
  private InProcessCluster cluster;
  /** The broker coordinating the group at the start, and the one the clients speak to. */
  private int coordinator;
  private int front;

  @BeforeEach
  void startCluster() throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).set(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 1)
        .set(BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR, 3).withHttp().start(3);
    var created = await(cluster.web(1).post("/topics").sendJsonObject(new JsonObject().put("name", "t")
        .put("partitions", 4).put("replication_factor", 3)));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    // The first group call creates the offsets topic; its group records must reach every replica before a move.
    await(cluster.broker(1).services().consumers().create(RequestContext.SELF, "warm-up",
        new JsonObject().put("name", "w")));
    cluster.awaitEverywhere(s -> offsetsState(s) != null && offsetsState(s).isr().size() == 3
        && s.topic("t").map(t -> t.states().values().stream().allMatch(p -> p.leader() > 0)).orElse(false));
    coordinator = cluster.leader(OFFSETS);
    front = coordinator == 1 ? 2 : 1;
  }

  @AfterEach
  void stopAll() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void staticMembersKeepTheirPartitionsAndGenerationWhenTheCoordinatorStops() throws Exception {
    Before before = stableGroupOfTwoStaticMembers();
    cluster.stop(coordinator);
    cluster.awaitEverywhere(s -> offsetsState(s).leader() > 0 && offsetsState(s).leader() != coordinator);
    assertRejoinedWithoutRebalance(before);
  }

  @Test
  void staticMembersKeepTheirPartitionsAndGenerationWhenTheOffsetsLeadershipMoves() throws Exception {
    Before before = stableGroupOfTwoStaticMembers();
    int next = 6 - front - coordinator; // the third broker
    var ctx = RequestContext.SELF;
    await(cluster.broker(front).service().alterPartitionReassignment(ctx, OFFSETS, List.of(next, coordinator, front)));
    cluster.awaitEverywhere(s -> s.topic(OffsetsTopic.NAME).orElseThrow().assignment().get(0).get(0) == next
        && offsetsState(s).isr().size() == 3);
    await(cluster.broker(front).service().electLeaders(ctx, ElectionType.PREFERRED, List.of(OFFSETS)));
    cluster.awaitEverywhere(s -> offsetsState(s).leader() == next);
    assertRejoinedWithoutRebalance(before);
  }

  /**
   * A static member replaced without a rebalance shortly before its coordinator stopped: the new coordinator reads who
   * holds the id from the group record, so the replaced instance is fenced there too, though it never called since.
   */
  @Test
  void anInstanceReplacedBeforeItsCoordinatorStoppedIsFencedByTheNextOne() throws Exception {
    String a = instance("a", "x");
    Awaitility.await("a stable group of one").atMost(Duration.ofMinutes(1))
        .until(() -> poll(a).statusCode() == 200 && describe().getString("state").equals("Stable")
        && assignment(a).size() == 4);
    int generation = describe().getInteger("generation");
    String b = instance("b", "x");
    assertThat(poll(b).statusCode()).isEqualTo(200);
    JsonArray owned = assignment(b);
    assertThat(owned).hasSize(4);
    cluster.stop(coordinator);
    cluster.awaitEverywhere(s -> offsetsState(s).leader() > 0 && offsetsState(s).leader() != coordinator);
    var answer = new java.util.concurrent.atomic.AtomicReference<HttpResponse<Buffer>>();
    Awaitility.await("a's answer from the new coordinator").atMost(Duration.ofMinutes(1))
        .until(() -> {
      answer.set(poll(a));
      return answer.get().statusCode() == 200 || answer.get().statusCode() == 409;
    });
    assertThat(answer.get().statusCode()).as(answer.get().bodyAsString()).isEqualTo(409);
    assertThat(answer.get().bodyAsJsonObject().getInteger("error_code"))
        .isEqualTo(io.sluice.errors.ErrorCode.FENCED_INSTANCE_ID.code());
    assertThat(poll(b).statusCode()).isEqualTo(200);
    assertThat(assignment(b)).isEqualTo(owned);
    assertThat(describe().getInteger("generation")).as("no rebalance").isEqualTo(generation);
  }

  /** The group's generation and each static member's partitions before the move. */
  private record Before(int generation, JsonArray aOwned, JsonArray bOwned) {
  }

  private Before stableGroupOfTwoStaticMembers() {
    String a = instance("a", "a-id");
    String b = instance("b", "b-id");
    Awaitility.await("a stable group of two").atMost(Duration.ofMinutes(1))
        .until(() -> {
      poll(a);
      poll(b);
      JsonObject g = describe();
      return g.getString("state").equals("Stable") && g.getJsonArray("members").size() == 2
          && assignment(a).size() == 2 && assignment(b).size() == 2;
    });
    return new Before(describe().getInteger("generation"), assignment(a), assignment(b));
  }

  /**
   * Each member polls through the new coordinator (retrying while the group loads there): its partitions and the
   * generation are unchanged, and the other member's place was kept meanwhile.
   */
  private void assertRejoinedWithoutRebalance(Before before) {
    String a = "/consumers/g/instances/a";
    String b = "/consumers/g/instances/b";
    Awaitility.await("a's poll on the new coordinator").atMost(Duration.ofMinutes(1))
        .until(() -> poll(a).statusCode() == 200);
    assertThat(assignment(a)).isEqualTo(before.aOwned());
    JsonObject group = describe();
    assertThat(group.getInteger("generation")).as(group.encode()).isEqualTo(before.generation());
    assertThat(group.getString("state")).as(group.encode()).isEqualTo("Stable");
    assertThat(group.getJsonArray("members").stream().map(m -> ((JsonObject) m).getString("group_instance_id")))
        .containsExactlyInAnyOrder("a-id", "b-id");
    assertThat(poll(b).statusCode()).isEqualTo(200);
    assertThat(assignment(b)).isEqualTo(before.bOwned());
    assertThat(describe().getInteger("generation")).isEqualTo(before.generation());
  }

  private static PartitionState offsetsState(MetadataSnapshot s) {
    return s.topic(OffsetsTopic.NAME).map(t -> t.states().get(0)).orElse(null);
  }

  private String instance(String name, String groupInstanceId) {
    JsonObject settings = new JsonObject().put("name", name).put("format", "json")
        .put("auto.offset.reset", "earliest").put("auto.commit.enable", "false").put("session.timeout.ms", 60_000)
        .put("group.instance.id", groupInstanceId);
    var r = post("/consumers/g", settings);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    String base = "/consumers/g/instances/" + name;
    var subscribed = post(base + "/subscription", new JsonObject().put("topics", new JsonArray().add("t")));
    assertThat(subscribed.statusCode()).as(subscribed.bodyAsString()).isEqualTo(204);
    return base;
  }

  private HttpResponse<Buffer> poll(String base) {
    return await(cluster.web(front).get(base + "/records?timeout=0").putHeader("Accept", MediaTypes.KAFKA_JSON_V2)
        .send());
  }

  private JsonArray assignment(String base) {
    var r = await(cluster.web(front).get(base + "/assignments").send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject().getJsonArray("partitions");
  }

  private JsonObject describe() {
    var r = await(cluster.web(front).get("/consumer-groups/g").send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  private HttpResponse<Buffer> post(String path, JsonObject body) {
    return await(cluster.web(front).post(path).putHeader("Content-Type", MediaTypes.KAFKA_V2_JSON)
        .sendBuffer(body.toBuffer()));
  }

  private static <T> T await(Future<T> f) {
    return io.sluice.broker.testing.TestFutures.await(f, TimeUnit.MILLISECONDS.toSeconds(WAIT_MS));
  }
}
