package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.RequestContext;
import io.sluice.api.TopicMetadata;
import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.group.OffsetsTopic;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Static membership when the group's coordinator is another broker than the one the clients talk to: the instance
 * settings, the close that keeps the member, the fencing error and the removal by hand all cross brokers.
 */
@Tag("several-brokers")
class StaticMembershipClusterTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final String V2 = MediaTypes.KAFKA_V2_JSON;

  @TempDir
  Path dir;
  private InProcessCluster cluster;
  private WebClient client;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aStaticMemberBouncedThroughAnotherBrokerKeepsItsPartitionsAndTheFencingAndRemovalCrossBrokers()
      throws Exception {
    // Broker 2 serves the clients; broker 1, without HTTP, coordinates.
    cluster = InProcessCluster.create(dir, GUARD).set(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 1)
        .set(BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR, 1).set(BrokerConfig.GROUP_MIN_SESSION_TIMEOUT_MS, 500)
        .withHttp(2);
    Broker coordinator = cluster.startBroker(1);
    RequestContext caller = RequestContext.anonymous("test", "", "StaticMembershipClusterTest");
    // The first group call creates the offsets topic; alone in the cluster, this broker leads its only partition.
    await(coordinator.services().consumers().listGroups(caller));
    await(coordinator.services().consumers().create(caller, "warm-up", new JsonObject().put("name", "w")));
    Broker front = cluster.startBroker(2);
    client = cluster.web(2);
    await(front.awaitMetadata(s -> s.topics().containsKey(OffsetsTopic.NAME), InProcessCluster.WAIT_MS));
    TopicMetadata offsets = await(front.service().describeTopic(RequestContext.SELF, OffsetsTopic.NAME));
    assertThat(offsets.partitions()).singleElement().satisfies(p -> assertThat(p.leader()).isEqualTo(1));
    var created = await(client.post("/topics").sendJsonObject(new JsonObject().put("name", "t").put("partitions", 4)
        .put("replication_factor", 1)));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);

    String a = instance("a", null);
    String b = instance("b", "b-id");
    Awaitility.await("a stable group of two").atMost(Duration.ofMinutes(1))
        .until(() -> {
      poll(a);
      poll(b);
      JsonObject g = describe();
      return g.getString("state").equals("Stable") && g.getJsonArray("members").size() == 2;
    });
    int generation = describe().getInteger("generation");
    JsonArray bOwned = assignment(b);

    assertThat(await(client.delete(b).send()).statusCode()).isEqualTo(204);
    String b2 = instance("b2", "b-id");
    poll(b2);
    assertThat(assignment(b2)).isEqualTo(bOwned);
    poll(a);
    JsonObject after = describe();
    assertThat(after.getInteger("generation")).isEqualTo(generation);
    assertThat(after.getJsonArray("members").stream().map(m -> ((JsonObject) m).getString("group_instance_id")))
        .containsExactlyInAnyOrder(null, "b-id");

    String b3 = instance("b3", "b-id");
    poll(b3);
    var fenced = await(client.get(b2 + "/records?timeout=0").putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send());
    assertThat(fenced.statusCode()).as(fenced.bodyAsString()).isEqualTo(409);
    assertThat(fenced.bodyAsJsonObject().getInteger("error_code")).isEqualTo(ErrorCode.FENCED_INSTANCE_ID.code());

    assertThat(await(client.delete("/consumer-groups/g/members/b-id").send()).statusCode()).isEqualTo(204);
    assertThat(await(client.delete(b3 + "?group_membership_operation=remain_in_group").send()).statusCode())
        .isEqualTo(204);
    Awaitility.await("a to own every partition").atMost(Duration.ofMinutes(1))
        .until(() -> {
      poll(a);
      return assignment(a).size() == 4;
    });
    assertThat(describe().getInteger("generation")).isGreaterThan(generation);
  }

  private String instance(String name, String groupInstanceId) {
    JsonObject settings = new JsonObject().put("name", name).put("format", "json")
        .put("auto.offset.reset", "earliest").put("auto.commit.enable", "false").put("session.timeout.ms", 60_000);
    if (groupInstanceId != null) {
      settings.put("group.instance.id", groupInstanceId);
    }
    var r = post("/consumers/g", settings);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    String base = "/consumers/g/instances/" + name;
    assertThat(post(base + "/subscription", new JsonObject().put("topics", new JsonArray().add("t"))).statusCode())
        .isEqualTo(204);
    return base;
  }

  private void poll(String base) {
    var r = await(client.get(base + "/records?timeout=0").putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
  }

  private JsonArray assignment(String base) {
    var r = await(client.get(base + "/assignments").send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject().getJsonArray("partitions");
  }

  private JsonObject describe() {
    var r = await(client.get("/consumer-groups/g").send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  private HttpResponse<Buffer> post(String path, JsonObject body) {
    return await(client.post(path).putHeader("Content-Type", V2).sendBuffer(body.toBuffer()));
  }

  private static <T> T await(Future<T> f) {
    return io.sluice.broker.testing.TestFutures.await(f, 30);
  }
}
