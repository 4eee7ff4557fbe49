package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.RequestContext;
import io.sluice.broker.Broker;
import io.sluice.broker.rpc.BrokerRpc;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.broker.testing.TestClients;
import io.sluice.config.BrokerConfig;
import io.sluice.consumer.ConsumerForwardServer;
import io.sluice.group.OffsetsTopic;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebSocket records frames and REST v2 framed polls name the member id and generation they were read under; when
 * the group's coordinator is another broker, the membership comes back with the poll's answer, so no call asks the
 * coordinator for it after each poll (one round trip per frame, not two), and the frames still name the right
 * membership across a rebalance.
 */
@Tag("several-brokers")
class GroupFramesClusterTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path coordinatorDir;
  @TempDir
  Path frontDir;
  private Broker coordinator;
  private Broker front;
  private WebClient client;
  private Vertx clientVertx;
  /** The consumer-service methods the front broker called on the coordinator, in order. */
  private final List<String> forwarded = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (clientVertx != null) {
      await(clientVertx.close());
    }
    TestBrokers.close(front);
    TestBrokers.close(coordinator);
  }

  @Test
  void framesNameTheirMembershipAcrossARebalanceWithoutAskingTheCoordinatorAfterEachPoll() throws Exception {
    startCluster();
    produce(0, 3);
    produce(1, 3);
    LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    WebSocketClient ws = clientVertx.createWebSocketClient();
    WebSocket socket = await(ws.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(front.httpPort())
        .setURI("/ws/consume?group=g&topics=t&auto.offset.reset=earliest")));
    socket.textMessageHandler(t -> frames.add(new JsonObject(t)));
    await(socket.writeTextMessage("{\"credit\": 1000}"));
    JsonObject first = nextWithRecords(frames, -1);
    assertThat(first.getString("member_id")).as(first.encode()).isNotBlank();
    assertThat(first.getInteger("generation_id")).isEqualTo(describe().getInteger("generation"));

    // A REST v2 member joins through the same broker: the group rebalances, and its framed poll names its membership.
    String rest = instance("r");
    HttpResponse<Buffer> framed = await(client.get(rest + "/records?timeout=0")
        .putHeader("Accept", MediaTypes.SLUICE_RECORDS).send());
    until("a stable group of two", () -> describe().getString("state").equals("Stable")
        && describe().getJsonArray("members").size() == 2 && framedPoll(rest).statusCode() == 200);
    assertThat(framed.statusCode()).as(framed.bodyAsString()).isEqualTo(200);
    HttpResponse<Buffer> settled = framedPoll(rest);
    JsonObject group = describe();
    assertThat(settled.getHeader(ConsumersEndpoint.MEMBER_ID)).isEqualTo(memberIdOf(group, "r"));
    assertThat(settled.getHeader("Sluice-Generation-Id")).isEqualTo(String.valueOf(group.getInteger("generation")));

    produce(0, 3);
    produce(1, 3);
    JsonObject after = nextWithRecords(frames, first.getInteger("generation_id"));
    group = describe();
    assertThat(after.getInteger("generation_id")).as(after.encode()).isEqualTo(group.getInteger("generation"));
    String wsMember = group.getJsonArray("members").stream().map(JsonObject.class::cast)
        .filter(m -> m.getString("instance_id").startsWith("ws-")).findFirst().orElseThrow().getString("member_id");
    assertThat(after.getString("member_id")).isEqualTo(wsMember);

    assertThat(forwarded).as("polls forwarded to the coordinator").contains("pollAsMember");
    assertThat(forwarded).as("no membership call after a poll").doesNotContain("membership", "poll", "pollBatches");
    await(socket.close());
  }

  /** Waits for a records frame with records, of a generation other than {@code not} (-1: any). */
  private static JsonObject nextWithRecords(LinkedBlockingQueue<JsonObject> frames, int not)
      throws InterruptedException {
    while (true) {
      JsonObject f = frames.poll(30, TimeUnit.SECONDS);
      assertThat(f).as("a frame within 30 s").isNotNull();
      if (f.containsKey("records") && !f.getJsonArray("records").isEmpty() && f.getInteger("generation_id") != not) {
        return f;
      }
    }
  }

  private void startCluster() throws Exception {
    coordinator = start(Broker.builder(config(coordinatorDir, 1, Map.of())));
    RequestContext caller = RequestContext.anonymous("test", "", "GroupFramesClusterTest");
    // The first group call creates the offsets topic; alone in the cluster, this broker leads its only partition.
    await(coordinator.services().consumers().create(caller, "warm-up", new JsonObject().put("name", "w")));
    front = start(Broker.builder(config(frontDir, 2,
        Map.of(BrokerConfig.ZOOKEEPER_CONNECT, coordinator.zookeeperConnect()))).listener(HttpListener::new));
    front.vertx().eventBus().addOutboundInterceptor(ctx -> {
      if (ctx.message().address().equals(ConsumerForwardServer.address(1))) {
        BrokerRpc.calledMethod(ctx.body()).ifPresent(forwarded::add);
      }
      ctx.next();
    });
    client = TestClients.web(front.httpPort());
    clientVertx = Vertx.vertx();
    await(front.awaitMetadata(s -> s.topics().containsKey(OffsetsTopic.NAME), 20_000));
    var created = await(client.post("/topics").sendJsonObject(new JsonObject().put("name", "t").put("partitions", 2)
        .put("replication_factor", 1)));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
  }

  private void produce(int partition, int count) {
    JsonArray records = new JsonArray();
    for (int i = 0; i < count; i++) {
      records.add(new JsonObject().put("value", "v" + i));
    }
    var r = await(client.post("/topics/t/partitions/" + partition).putHeader("Content-Type", MediaTypes.KAFKA_JSON_V2)
        .sendBuffer(new JsonObject().put("records", records).toBuffer()));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
  }

  private String instance(String name) {
    JsonObject settings = new JsonObject().put("name", name).put("format", "binary")
        .put("auto.offset.reset", "earliest").put("auto.commit.enable", "false").put("session.timeout.ms", 60_000);
    var r = await(client.post("/consumers/g").putHeader("Content-Type", MediaTypes.KAFKA_V2_JSON)
        .sendBuffer(settings.toBuffer()));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    String base = "/consumers/g/instances/" + name;
    var s = await(client.post(base + "/subscription").putHeader("Content-Type", MediaTypes.KAFKA_V2_JSON)
        .sendBuffer(new JsonObject().put("topics", new JsonArray().add("t")).toBuffer()));
    assertThat(s.statusCode()).as(s.bodyAsString()).isEqualTo(204);
    return base;
  }

  private HttpResponse<Buffer> framedPoll(String base) {
    return await(client.get(base + "/records?timeout=0").putHeader("Accept", MediaTypes.SLUICE_RECORDS).send());
  }

  private static String memberIdOf(JsonObject group, String instanceName) {
    return group.getJsonArray("members").stream().map(JsonObject.class::cast)
        .filter(m -> m.getString("instance_id").equals(instanceName)).findFirst().orElseThrow()
        .getString("member_id");
  }

  private JsonObject describe() {
    var r = await(client.get("/consumer-groups/g").send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  private static void until(String what, Supplier<Boolean> check) {
    Awaitility.await(what).atMost(Duration.ofMinutes(1)).until(check::get);
  }

  private static BrokerConfig config(Path dir, int id, Map<String, Object> extra) {
    Map<String, Object> cfg = new HashMap<>(Map.of(BrokerConfig.BROKER_ID, id,
        BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 1, BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR, 1,
        BrokerConfig.GROUP_MIN_SESSION_TIMEOUT_MS, 500, BrokerConfig.HTTP_INSTANCES, 1));
    cfg.putAll(extra);
    return TestBrokers.config(dir, cfg);
  }

  private static Broker start(Broker.Builder builder) throws Exception {
    Broker b = builder.vertxOptions(BlockedThreadGuard::testOptions).start()
        .await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(b.vertx());
    return b;
  }

  private static <T> T await(Future<T> f) {
    return io.sluice.broker.testing.TestFutures.await(f, 30);
  }
}
