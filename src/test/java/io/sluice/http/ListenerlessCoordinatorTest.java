package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.GroupDescription;
import io.sluice.api.GroupProtocol;
import io.sluice.api.GroupListing;
import io.sluice.api.GroupService;
import io.sluice.api.JoinGroupRequest;
import io.sluice.api.JoinGroupResult;
import io.sluice.api.OffsetCommit;
import io.sluice.api.OffsetDelete;
import io.sluice.api.RequestContext;
import io.sluice.api.SyncGroupRequest;
import io.sluice.api.SyncGroupResult;
import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.TopicMetadata;
import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.config.BrokerConfig;
import io.sluice.group.OffsetsTopic;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group coordination is a broker service, not part of the HTTP front end: a broker started with no listener at all
 * still coordinates the groups whose offsets topic partition it leads, for clients connected to another broker: REST
 * consumer instances (server-assigned) and the member-assigned members another listener would bring.
 */
@Tag("several-brokers")
class ListenerlessCoordinatorTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final String V2 = MediaTypes.KAFKA_V2_JSON;

  @TempDir
  Path dir;
  private InProcessCluster cluster;
  private Broker coordinator;
  private Broker front;
  private WebClient client;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aBrokerWithoutListenersCoordinatesTheGroupsOfAnotherBrokersClients() throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).withHttp(2).set(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 1)
        .set(BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR, 1).set(BrokerConfig.GROUP_MIN_SESSION_TIMEOUT_MS, 500);
    coordinator = cluster.startBroker(1);
    assertThat(coordinator.endpoints()).isEmpty();
    assertThat(coordinator.httpPort()).isEqualTo(-1);
    // The first group call creates the offsets topic; alone in the cluster, this broker leads its only partition.
    RequestContext caller = RequestContext.anonymous("test", "", "ListenerlessCoordinatorTest");
    await(coordinator.services().consumers().listGroups(caller));
    await(coordinator.services().consumers().create(caller, "warm-up", new JsonObject().put("name", "w")));
    front = cluster.startBroker(2);
    client = cluster.web(2);
    await(front.awaitMetadata(s -> s.topics().containsKey(OffsetsTopic.NAME), 20_000));

    var created = await(client.post("/topics").sendJsonObject(new JsonObject().put("name", "t").put("partitions", 1)
        .put("replication_factor", 1)));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    JsonArray records = new JsonArray().add(new JsonObject().put("value", "a")).add(new JsonObject().put("value", "b"));
    var produced = await(client.post("/topics/t/partitions/0").putHeader("Content-Type", MediaTypes.KAFKA_JSON_V2)
        .sendBuffer(new JsonObject().put("records", records).toBuffer()));
    assertThat(produced.statusCode()).as(produced.bodyAsString()).isEqualTo(200);

    var instance = post("/consumers/g", new JsonObject().put("name", "c").put("format", "json")
        .put("auto.offset.reset", "earliest").put("auto.commit.enable", "false"));
    assertThat(instance.statusCode()).as(instance.bodyAsString()).isEqualTo(200);
    String base = "/consumers/g/instances/c";
    assertThat(post(base + "/subscription", new JsonObject().put("topics", new JsonArray().add("t"))).statusCode())
        .isEqualTo(204);
    JsonArray polled = new JsonArray();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (polled.size() < 2 && System.nanoTime() < deadline) {
      var r = await(client.get(base + "/records?timeout=500").putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send());
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      r.bodyAsJsonArray().forEach(polled::add);
    }
    assertThat(polled.stream().map(o -> ((JsonObject) o).getString("value"))).containsExactly("a", "b");
    assertThat(post(base + "/offsets", null).statusCode()).isEqualTo(204);

    var group = await(client.get("/consumer-groups/g").putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send());
    assertThat(group.statusCode()).as(group.bodyAsString()).isEqualTo(200);
    assertThat(group.bodyAsJsonObject().getJsonArray("members")).hasSize(1);
    var lags = await(client.get("/consumer-groups/g/lags").putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send());
    assertThat(lags.bodyAsJsonArray().getJsonObject(0).getLong("next_offset")).isEqualTo(2L);

    // Every call above was served by the listenerless broker: it leads the one offsets topic partition.
    TopicMetadata offsets = await(front.service().describeTopic(RequestContext.SELF, OffsetsTopic.NAME));
    assertThat(offsets.partitions()).singleElement().satisfies(p -> assertThat(p.leader()).isEqualTo(1));

    memberAssignedClientsOfTheFrontShareTheCoordinatorsGroups();
    offsetDeletesThroughTheFrontRunAtTheCoordinator(base);
  }

  /** Kafka's OffsetDelete through the front's HTTP API: refused while c subscribes to t, done once it left. */
  private void offsetDeletesThroughTheFrontRunAtTheCoordinator(String base) {
    JsonObject topicT = new JsonObject().put("topics", new JsonArray().add("t"));
    var refused = post("/consumer-groups/g/offsets/delete", topicT);
    assertThat(refused.statusCode()).as(refused.bodyAsString()).isEqualTo(409);
    assertThat(refused.bodyAsJsonObject().getInteger("error_code"))
        .isEqualTo(ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC.code());
    assertThat(await(client.delete(base).send()).statusCode()).isEqualTo(204);
    var deleted = post("/consumer-groups/g/offsets/delete", topicT);
    assertThat(deleted.statusCode()).as(deleted.bodyAsString()).isEqualTo(200);
    assertThat(deleted.bodyAsJsonArray()).containsExactly(new JsonObject().put("topic", "t").put("partition", 0)
        .put("next_offset", 2));
    RequestContext caller = RequestContext.anonymous("test", "", "ListenerlessCoordinatorTest");
    assertThat(await(coordinator.services().groups().fetchOffsets(caller, "g", null))).isEmpty();

    // Kafka's DeleteGroups through the front, run at the coordinator: the group is gone there.
    var groupDeleted = await(client.delete("/consumer-groups/g").send());
    assertThat(groupDeleted.statusCode()).as(groupDeleted.bodyAsString()).isEqualTo(204);
    assertThat(await(coordinator.services().groups().list(caller))).extracting(GroupListing::groupId)
        .doesNotContain("g");
  }

  /**
   * The group service a future Kafka listener of the front broker would use: its members' joins and syncs run at the
   * listenerless coordinator, whose state the REST instances above share (the same group id is refused there).
   */
  private void memberAssignedClientsOfTheFrontShareTheCoordinatorsGroups() {
    GroupService frontGroups = front.services().groups();
    RequestContext kafkaClient = RequestContext.anonymous("kafka", "127.0.0.1:9", "k");
    JoinGroupRequest join = JoinGroupRequest.memberAssigned("kg", "", "k", 2_000, 4_000, "consumer",
        List.of(new GroupProtocol("range", new byte[] {1})));
    JoinGroupResult joined = await(frontGroups.join(kafkaClient, join));
    assertThat(joined.isLeader()).isTrue();
    SyncGroupResult synced = await(frontGroups.sync(kafkaClient, new SyncGroupRequest("kg", joined.memberId(),
        joined.generation(), Map.of(joined.memberId(), new byte[] {42}))));
    assertThat(synced.assignment()).containsExactly(42);
    await(frontGroups.commit(kafkaClient, "kg", joined.memberId(), joined.generation(),
        Map.of(new TopicPartition("t", 0), new OffsetCommit(2, ""))));
    // The coordinator's own view: the group lives there, with the front's member and its commit.
    GroupService coordinatorGroups = coordinator.services().groups();
    GroupDescription d = await(coordinatorGroups.describe(kafkaClient, "kg"));
    assertThat(d.members()).singleElement().satisfies(m -> assertThat(m.memberId()).isEqualTo(joined.memberId()));
    assertThat(await(coordinatorGroups.fetchOffsets(kafkaClient, "kg", null)).get(new TopicPartition("t", 0))
        .offset()).isEqualTo(2);
    assertThatThrownBy(() -> frontGroups.join(kafkaClient, JoinGroupRequest.memberAssigned("g", "", "k", 2_000,
        4_000, "consumer", List.of(new GroupProtocol("range", null)))).await(30, TimeUnit.SECONDS))
        .isInstanceOf(SluiceException.class)
        .extracting(e -> ((SluiceException) e).errorCode()).isEqualTo(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);

    // A member-assigned group's subscriptions are opaque bytes: its offsets are deleted only once it is empty.
    OffsetDelete t0 = OffsetDelete.of(List.of(new TopicPartition("t", 0)));
    assertThatThrownBy(() -> frontGroups.deleteOffsets(kafkaClient, "kg", t0).await(30, TimeUnit.SECONDS))
        .isInstanceOf(SluiceException.class)
        .extracting(e -> ((SluiceException) e).errorCode()).isEqualTo(ErrorCode.NON_EMPTY_GROUP);
    assertThatThrownBy(() -> frontGroups.deleteGroup(kafkaClient, "kg").await(30, TimeUnit.SECONDS))
        .isInstanceOf(SluiceException.class)
        .extracting(e -> ((SluiceException) e).errorCode()).isEqualTo(ErrorCode.NON_EMPTY_GROUP);
    await(frontGroups.leave(kafkaClient, "kg", joined.memberId()));
    assertThat(await(frontGroups.deleteOffsets(kafkaClient, "kg", t0)))
        .containsExactly(new OffsetDelete.Outcome(new TopicPartition("t", 0), 2L));
    assertThat(await(coordinatorGroups.fetchOffsets(kafkaClient, "kg", null))).isEmpty();
    // Once empty, the group itself can go (Kafka's DeleteGroups), and is then unknown at the coordinator.
    await(frontGroups.deleteGroup(kafkaClient, "kg"));
    assertThatThrownBy(() -> coordinatorGroups.describe(kafkaClient, "kg").await(30, TimeUnit.SECONDS))
        .isInstanceOf(SluiceException.class)
        .extracting(e -> ((SluiceException) e).errorCode()).isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND);
  }

  private HttpResponse<Buffer> post(String path, JsonObject body) {
    var req = client.post(path).putHeader("Content-Type", V2);
    return await(body == null ? req.send() : req.sendBuffer(body.toBuffer()));
  }

  private static <T> T await(Future<T> f) {
    return io.sluice.broker.testing.TestFutures.await(f, 30);
  }
}
