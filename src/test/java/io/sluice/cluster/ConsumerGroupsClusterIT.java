package io.sluice.cluster;

import static io.sluice.cluster.BrokerCluster.body;
import static io.sluice.cluster.ConsumerCalls.V2;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.cluster.BrokerCluster.Node;
import io.sluice.group.OffsetsTopic;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Consumer groups on three broker processes: a consumer instance is served by every broker (calls are routed to the
 * group's coordinator), commits made through one broker are read through another, and after kill -9 of the
 * coordinator the instance keeps working through a survivor, resuming after its committed offset.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsumerGroupsClusterIT {
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

  @Test
  void anInstanceIsServedByEveryBrokerAndSurvivesKillNineOfItsCoordinatorResumingAfterTheCommit() throws Exception {
    String topic = "orders";
    String group = "billing";
    HttpResponse<byte[]> created = cluster.createTopic(cluster.node(1), topic, 1, 3, Map.of());
    assertThat(created.statusCode()).as(body(created)).isEqualTo(201);
    calls.produce(cluster.node(1), topic, 0, 6);

    HttpResponse<byte[]> instance = calls.post(cluster.node(1), "/consumers/" + group, new JsonObject()
        .put("name", "c1").put("format", "json").put("auto.offset.reset", "earliest")
        .put("auto.commit.enable", "false"));
    assertThat(instance.statusCode()).as(body(instance)).isEqualTo(200);
    String baseUri = new JsonObject(body(instance)).getString("base_uri");
    String base = baseUri.substring(baseUri.indexOf("/consumers/"));

    JsonObject offsetsTopic = cluster.getJson(cluster.node(2), "/topics/" + OffsetsTopic.NAME);
    int partition = OffsetsTopic.partitionFor(group, offsetsTopic.getJsonArray("partitions").size());
    JsonObject part = offsetsTopic.getJsonArray("partitions").getJsonObject(partition);
    assertThat(part.getJsonArray("replicas")).as("offsets topic replicated over the three brokers").hasSize(3);
    int coordinator = part.getInteger("leader");
    List<Node> others = cluster.nodes.values().stream().filter(n -> n.id != coordinator).toList();

    HttpResponse<byte[]> subscribed = calls.post(others.get(0), base + "/subscription",
        new JsonObject().put("topics", new JsonArray().add(topic)));
    assertThat(subscribed.statusCode()).as(body(subscribed)).isEqualTo(204);
    JsonArray first = calls.pollUntil(others.get(1), base, 6);
    assertThat(first.getJsonObject(0).getLong("offset")).isEqualTo(0);
    HttpResponse<byte[]> commit = calls.post(others.get(1), base + "/offsets", null);
    assertThat(commit.statusCode()).as(body(commit)).isEqualTo(204);
    assertThat(committedOffset(others.get(0), base, topic)).as("commit read through another broker").isEqualTo(5);

    calls.produce(others.get(0), topic, 0, 3);
    cluster.signal(cluster.node(coordinator), "KILL");
    long killNanos = System.nanoTime();

    Node survivor = others.get(0);
    JsonArray resumed = calls.pollUntil(survivor, base, 3);
    System.out.println("ConsumerGroupsClusterIT: the instance answered through broker " + survivor.id + " "
        + (System.nanoTime() - killNanos) / 1_000_000 + " ms after kill -9 of coordinator " + coordinator);
    assertThat(resumed.getJsonObject(0).getLong("offset")).as("resumes after the committed offset").isEqualTo(6);
    assertThat(committedOffset(others.get(1), base, topic)).as("commit survives the coordinator").isEqualTo(5);
  }

  private long committedOffset(Node node, String base, String topic) throws Exception {
    JsonObject req = new JsonObject().put("partitions", new JsonArray().add(new JsonObject().put("topic", topic)
        .put("partition", 0)));
    HttpResponse<byte[]> r = cluster.send(HttpRequest.newBuilder(node.uri(base + "/offsets")).header("Accept", V2)
        .header("Content-Type", V2).method("GET", HttpRequest.BodyPublishers.ofString(req.encode())));
    assertThat(r.statusCode()).as(body(r)).isEqualTo(200);
    return new JsonObject(body(r)).getJsonArray("offsets").getJsonObject(0).getLong("offset");
  }
}
