package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Any broker answers for any transactional id: a call made through a broker that does not coordinate the id is
 * forwarded to the one that does (the leader of the id's {@code __consumer_offsets} partition), and the listing
 * merges every coordinator's ids.
 */
@Tag("several-brokers")
class TransactionsApiClusterTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dir;
  private InProcessCluster cluster;
  private Broker one;
  private Broker two;
  private WebClient client1;
  private WebClient client2;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Brokers 1 and 2, each serving HTTP, both live. */
  private void startBoth() throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).withHttp().set(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 2).start(2);
    one = cluster.broker(1);
    two = cluster.broker(2);
    client1 = cluster.web(1);
    client2 = cluster.web(2);
  }

  @Test
  void eachIdIsServedByItsCoordinatorThroughEitherBroker() throws Exception {
    startBoth();
    await(one.services().broker().createTopic(RequestContext.internal(1), new NewTopic("t", 2, (short) 1, Map.of())));
    // One id per offsets topic partition (2 of them), so both brokers may be coordinators.
    String[] ids = {idIn(0), idIn(1)};

    for (String id : ids) {
      JsonObject producer = json(post(client1, "/producers", new JsonObject().put("transactional_id", id)), 200);
      HttpResponse<Buffer> added = post(client2, "/transactions/" + id + "/partitions", producer.copy()
          .put("partitions", new JsonArray().add(new JsonObject().put("topic", "t").put("partition", 1))));
      assertThat(added.statusCode()).as(added.bodyAsString()).isEqualTo(204);
      JsonObject described = json(await(client2.get("/transactions/" + id).send()), 200);
      assertThat(described.getString("transaction_state")).isEqualTo("Ongoing");
      assertThat(described.getInteger("coordinator_id")).as("the leader of the id's offsets topic partition")
          .isEqualTo(leaderOf(OffsetsTopic.partitionFor(id, 2)));
      assertThat(json(await(client1.get("/transactions/" + id).send()), 200)).isEqualTo(described);
    }
    for (WebClient c : new WebClient[] {client1, client2}) {
      assertThat(json(await(c.get("/transactions").send()), 200).getJsonArray("transactions").stream()
          .map(o -> ((JsonObject) o).getString("transactional_id")).toList()).containsExactly(ids[0], ids[1]);
      // the filters travel to every coordinator, the other broker's too
      assertThat(json(await(c.get("/transactions?state=Ongoing&duration_ms=0").send()), 200)
          .getJsonArray("transactions")).hasSize(2);
      assertThat(json(await(c.get("/transactions?state=Empty").send()), 200).getJsonArray("transactions")).isEmpty();
      assertThat(json(await(c.get("/transactions?duration_ms=86400000").send()), 200).getJsonArray("transactions"))
          .isEmpty();
    }
  }

  @Test
  void offsetsSentInATransactionReachTheGroupsCoordinatorAndItsCommitCompletesThemThere() throws Exception {
    startBoth();
    await(one.services().broker().createTopic(RequestContext.internal(1), new NewTopic("t", 2, (short) 1, Map.of())));
    String id = idIn(0);
    String group = IntStream.range(0, 1000).mapToObj(i -> "g-" + i)
        .filter(g -> OffsetsTopic.partitionFor(g, 2) == 1).findFirst().orElseThrow();
    JsonObject producer = json(post(client1, "/producers", new JsonObject().put("transactional_id", id)), 200);
    json(post(client2, "/consumers/" + group, new JsonObject().put("name", "c1").put("format", "json")), 200);
    String offsets = "/consumers/" + group + "/instances/c1/offsets";
    JsonObject in1 = new JsonObject().put("partitions", new JsonArray().add(new JsonObject().put("topic", "t")
        .put("partition", 1)));

    HttpResponse<Buffer> sent = post(client2, "/transactions/" + id + "/offsets", producer.copy().put("group_id", group)
        .put("offsets", new JsonArray().add(new JsonObject().put("topic", "t").put("partition", 1).put("offset", 8))));
    assertThat(sent.statusCode()).as(sent.bodyAsString() + " (txn coordinator " + leaderOf(0) + ", group's "
        + leaderOf(1) + ")").isEqualTo(204);
    HttpResponse<Buffer> unstable = await(client1.request(io.vertx.core.http.HttpMethod.GET, offsets
        + "?require_stable=true").sendJsonObject(in1));
    assertThat(json(unstable, 409).getInteger("error_code")).isEqualTo(88);

    assertThat(post(client1, "/transactions/" + id + "/commit", producer).statusCode()).isEqualTo(204);
    JsonObject committed = json(await(client1.request(io.vertx.core.http.HttpMethod.GET, offsets
        + "?require_stable=true").sendJsonObject(in1)), 200);
    assertThat(committed.getJsonArray("offsets").getJsonObject(0).getLong("offset")).isEqualTo(7);
  }

  private int leaderOf(int partition) throws Exception {
    TopicMetadata m = await(one.services().broker().describeTopic(RequestContext.internal(1), OffsetsTopic.NAME));
    return m.partitions().stream().filter(p -> p.partition() == partition).findFirst().orElseThrow().leader();
  }

  /** A transactional id of offsets topic partition {@code partition} of 2. */
  static String idIn(int partition) {
    return IntStream.range(0, 1000).mapToObj(i -> "tx-" + i).filter(id -> OffsetsTopic.partitionFor(id, 2) == partition)
        .findFirst().orElseThrow();
  }

  static JsonObject json(HttpResponse<Buffer> r, int status) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    return r.bodyAsJsonObject();
  }

  static HttpResponse<Buffer> post(WebClient client, String path, JsonObject body) throws Exception {
    return await(client.post(path).sendJsonObject(body));
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.await(60, TimeUnit.SECONDS);
  }
}
