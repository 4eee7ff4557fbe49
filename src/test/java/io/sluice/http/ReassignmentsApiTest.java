package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reassignment and leader-election routes on one real broker: the answers' shapes and the errors a client gets
 * (the moves themselves: {@code ReassignmentClusterTest}).
 */
class ReassignmentsApiTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  static Path dataDir;
  private static Broker broker;
  private static WebClient client;

  @BeforeAll
  static void startBroker() throws Exception {
    BrokerConfig config = TestBrokers.config(dataDir, Map.of(BrokerConfig.CONNECT_ENABLED, false,
        BrokerConfig.STREAMS_ENABLED, false));
    broker = Broker.builder(config).vertxOptions(BlockedThreadGuard::testOptions)
        .listener(HttpListener::new).start().await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(broker.vertx());
    client = io.sluice.broker.testing.TestClients.web(broker.httpPort());
    HttpResponse<Buffer> r = await(client.post("/topics").sendJsonObject(new JsonObject().put("name", "t")
        .put("partitions", 1)));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
  }

  @AfterAll
  static void stopBroker() throws Exception {
    client.close();
    TestBrokers.close(broker);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  private static void assertError(HttpResponse<Buffer> r, int status, int code, String... messageParts) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    assertThat(r.bodyAsJsonObject().getInteger("error_code")).as(r.bodyAsString()).isEqualTo(code);
    if (messageParts.length > 0) {
      assertThat(r.bodyAsJsonObject().getString("message")).contains(messageParts);
    }
  }

  private static HttpResponse<Buffer> reassign(Object replicas) throws Exception {
    return await(client.put("/topics/t/partitions/0/reassignment")
        .sendJsonObject(new JsonObject().put("replicas", replicas)));
  }

  @Test
  void aPartitionWithoutReassignmentDescribesItsReplicasAndNothingIsListed() throws Exception {
    HttpResponse<Buffer> one = await(client.get("/topics/t/partitions/0/reassignment").send());
    assertThat(one.statusCode()).as(one.bodyAsString()).isEqualTo(200);
    assertThat(one.bodyAsJsonObject()).isEqualTo(new JsonObject().put("topic", "t").put("partition", 0)
        .put("replicas", new JsonArray().add(1)).put("adding_replicas", new JsonArray())
        .put("removing_replicas", new JsonArray()));
    HttpResponse<Buffer> all = await(client.get("/reassignments").send());
    assertThat(all.bodyAsJsonObject().getJsonArray("reassignments")).isEmpty();
    assertError(await(client.get("/topics/t/partitions/7/reassignment").send()), 404, 3);
  }

  @Test
  void refusalsNameWhy() throws Exception {
    assertError(reassign(new JsonArray()), 400, 39, "empty");
    assertError(reassign(new JsonArray().add(1).add(1)), 400, 39, "broker 1 appears twice");
    assertError(reassign(new JsonArray().add(1).add(4)), 400, 39, "broker 4 is unknown or not alive");
    assertError(reassign("1,2"), 400, 39, "'replicas' must be an array");
    assertError(await(client.delete("/topics/t/partitions/0/reassignment").send()), 409, 85,
        "no reassignment in progress");
    assertError(await(client.put("/topics/nope/partitions/0/reassignment")
        .sendJsonObject(new JsonObject().put("replicas", new JsonArray().add(1)))), 404, 3);
  }

  @Test
  void electionsAnswerKafkasCodes() throws Exception {
    assertError(await(client.post("/topics/t/partitions/0/leader-election")
        .sendJsonObject(new JsonObject().put("type", "PREFERRED"))), 409, 84, "leads it already");
    assertError(await(client.post("/topics/t/partitions/0/leader-election")
        .sendJsonObject(new JsonObject().put("type", "UNCLEAN"))), 409, 84, "has a leader");
    assertError(await(client.post("/topics/t/partitions/0/leader-election")
        .sendJsonObject(new JsonObject().put("type", "SOMETIMES"))), 400, 10_002, "'type'");
    HttpResponse<Buffer> all = await(client.post("/leader-election")
        .sendJsonObject(new JsonObject().put("type", "PREFERRED")));
    assertThat(all.statusCode()).as(all.bodyAsString()).isEqualTo(200);
    assertThat(all.bodyAsJsonObject().getJsonArray("results").stream().map(JsonObject.class::cast)
        .filter(r -> r.getString("topic").equals("t")).toList()).singleElement()
        .satisfies(r -> assertThat(r.getInteger("error_code")).isEqualTo(84))
        .satisfies(r -> assertThat(r.getInteger("leader")).isEqualTo(1));
  }

  /** A negative partition in an election's list is the client's mistake (it was a 500: TopicPartition threw). */
  @Test
  void anElectionNamingANegativePartitionIsRefusedAsMalformed() throws Exception {
    for (Object partition : new Object[] {-1, Integer.MIN_VALUE}) {
      JsonObject body = new JsonObject().put("type", "PREFERRED").put("partitions", new io.vertx.core.json.JsonArray()
          .add(new JsonObject().put("topic", "t").put("partition", partition)));
      assertError(await(client.post("/leader-election").sendJsonObject(body)), 400, 10_002,
          "a non-negative integer");
    }
  }
}
