package io.sluice.cluster;

import static io.sluice.cluster.BrokerCluster.await;
import static io.sluice.cluster.BrokerCluster.body;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.cluster.BrokerCluster.Node;
import io.sluice.errors.ErrorCode;
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
 * A group deleted through one broker process stays deleted after kill -9 of its coordinator: the survivor that
 * loads the group's __consumer_offsets partition neither lists it nor revives its commits (while a group beside it
 * in the same partition keeps its commit, so the load did happen), and a group recreated under its name starts
 * empty, at generation 1 and at earliest.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GroupDeletionClusterIT {
  private static final String TOPIC = "audited";
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
  void aDeletedGroupStaysDeletedAfterKillNineOfItsCoordinatorAndARecreatedOneStartsEmpty() throws Exception {
    HttpResponse<byte[]> created = cluster.createTopic(cluster.node(1), TOPIC, 1, 3, Map.of());
    assertThat(created.statusCode()).as(body(created)).isEqualTo(201);
    calls.produce(cluster.node(1), TOPIC, 0, 4);
    String base = consumeAndCommit(cluster.node(1), "audit", "c1");

    JsonObject offsetsTopic = cluster.getJson(cluster.node(2), "/topics/" + OffsetsTopic.NAME);
    int partitions = offsetsTopic.getJsonArray("partitions").size();
    int partition = OffsetsTopic.partitionFor("audit", partitions);
    String neighbour = "kept-0";
    for (int i = 1; OffsetsTopic.partitionFor(neighbour, partitions) != partition; i++) {
      neighbour = "kept-" + i;
    }
    delete(cluster.node(1), consumeAndCommit(cluster.node(1), neighbour, "k"), 204);
    int coordinator = offsetsTopic.getJsonArray("partitions").getJsonObject(partition).getInteger("leader");
    List<Node> others = cluster.nodes.values().stream().filter(n -> n.id != coordinator).toList();

    delete(others.get(0), base, 204);
    delete(others.get(0), "/consumer-groups/audit", 204);
    cluster.signal(cluster.node(coordinator), "KILL");

    Node survivor = others.get(1);
    String kept = neighbour;
    await("a survivor to lead the groups' offsets partition and serve " + kept, () -> {
      JsonObject now = cluster.getJson(survivor, "/topics/" + OffsetsTopic.NAME);
      return now != null && now.getJsonArray("partitions").getJsonObject(partition).getInteger("leader", -1)
          != coordinator && status(survivor, "/consumer-groups/" + kept) == 200;
    });
    HttpResponse<byte[]> gone = calls.get(survivor, "/consumer-groups/audit");
    assertThat(gone.statusCode()).as(body(gone)).isEqualTo(404);
    assertThat(new JsonObject(body(gone)).getInteger("error_code")).isEqualTo(ErrorCode.GROUP_ID_NOT_FOUND.code());
    assertThat(new JsonArray(body(calls.get(survivor, "/consumer-groups"))).stream()
        .map(o -> ((JsonObject) o).getString("group_id"))).contains(kept).doesNotContain("audit");

    String again = instance(survivor, "audit", "c2");
    HttpResponse<byte[]> subscribed = calls.post(survivor, again + "/subscription",
        new JsonObject().put("topics", new JsonArray().add(TOPIC)));
    assertThat(subscribed.statusCode()).as(body(subscribed)).isEqualTo(204);
    assertThat(calls.pollUntil(survivor, again, 1).getJsonObject(0).getLong("offset"))
        .as("at earliest, not after the deleted commit").isEqualTo(0);
    assertThat(cluster.getJson(survivor, "/consumer-groups/audit").getInteger("generation")).isEqualTo(1);
  }

  /** A consumer instance of {@code group} that read the topic's four records and committed them; its base path. */
  private String consumeAndCommit(Node node, String group, String name) throws Exception {
    String base = instance(node, group, name);
    HttpResponse<byte[]> subscribed = calls.post(node, base + "/subscription",
        new JsonObject().put("topics", new JsonArray().add(TOPIC)));
    assertThat(subscribed.statusCode()).as(body(subscribed)).isEqualTo(204);
    calls.pollUntil(node, base, 4);
    HttpResponse<byte[]> commit = calls.post(node, base + "/offsets", null);
    assertThat(commit.statusCode()).as(body(commit)).isEqualTo(204);
    return base;
  }

  private String instance(Node node, String group, String name) throws Exception {
    HttpResponse<byte[]> r = calls.post(node, "/consumers/" + group, new JsonObject().put("name", name)
        .put("format", "json").put("auto.offset.reset", "earliest").put("auto.commit.enable", "false"));
    assertThat(r.statusCode()).as(body(r)).isEqualTo(200);
    String baseUri = new JsonObject(body(r)).getString("base_uri");
    return baseUri.substring(baseUri.indexOf("/consumers/"));
  }

  private int status(Node node, String path) {
    try {
      return calls.get(node, path).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  private void delete(Node node, String path, int status) throws Exception {
    HttpResponse<byte[]> r = cluster.send(HttpRequest.newBuilder(node.uri(path)).DELETE());
    assertThat(r.statusCode()).as("DELETE " + path + ": " + body(r)).isEqualTo(status);
  }
}
