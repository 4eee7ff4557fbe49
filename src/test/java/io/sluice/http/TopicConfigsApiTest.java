package io.sluice.http;

import static io.sluice.broker.testing.TestBatches.batch;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Acks;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
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
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code /topics/{t}/configs} on a real broker: describe with sources, set, delete, batch alter, and the errors. */
class TopicConfigsApiTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  static Path dataDir;
  private static Broker broker;
  private static WebClient client;

  @BeforeAll
  static void startBroker() throws Exception {
    BrokerConfig config = TestBrokers.config(dataDir, Map.of(BrokerConfig.LOG_RETENTION_CHECK_INTERVAL_MS, 100,
        BrokerConfig.CONNECT_ENABLED, false, BrokerConfig.STREAMS_ENABLED, false));
    broker = Broker.builder(config).vertxOptions(BlockedThreadGuard::testOptions)
        .listener(HttpListener::new).start().await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(broker.vertx());
    client = io.sluice.broker.testing.TestClients.web(broker.httpPort());
  }

  @AfterAll
  static void stopBroker() throws Exception {
    client.close();
    TestBrokers.close(broker);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  private static String create(TestInfo info, JsonObject configs) throws Exception {
    String name = info.getTestMethod().orElseThrow().getName();
    HttpResponse<Buffer> r = await(client.post("/topics").sendJsonObject(new JsonObject().put("name", name)
        .put("partitions", 1).put("configs", configs)));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return name;
  }

  private static JsonObject config(JsonObject list, String name) {
    return list.getJsonArray("configs").stream().map(JsonObject.class::cast)
        .filter(c -> c.getString("name").equals(name)).findFirst().orElseThrow();
  }

  private static JsonObject ok(HttpResponse<Buffer> r) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  private static void assertError(HttpResponse<Buffer> r, int status, int code, String... messageParts) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    assertThat(r.bodyAsJsonObject().getInteger("error_code")).as(r.bodyAsString()).isEqualTo(code);
    assertThat(r.bodyAsJsonObject().getString("message")).contains(messageParts);
  }

  private static HttpResponse<Buffer> put(String topic, String name, Object value) throws Exception {
    return await(client.put("/topics/" + topic + "/configs/" + name)
        .sendJsonObject(new JsonObject().put("value", value)));
  }

  private static HttpResponse<Buffer> alter(String topic, JsonObject body) throws Exception {
    return await(client.post("/topics/" + topic + "/configs:alter").sendJsonObject(body));
  }

  @Test
  void everyConfigIsListedWithItsValueAndSource(TestInfo info) throws Exception {
    String t = create(info, new JsonObject().put("retention.ms", "60000"));

    JsonObject list = ok(await(client.get("/topics/" + t + "/configs").send()));

    assertThat(list.getString("topic")).isEqualTo(t);
    assertThat(config(list, "retention.ms").getString("value")).isEqualTo("60000");
    assertThat(config(list, "retention.ms").getString("source")).isEqualTo("DYNAMIC_TOPIC_CONFIG");
    assertThat(config(list, "retention.ms").getBoolean("is_default")).isFalse();
    assertThat(config(list, "segment.bytes").getString("source")).isEqualTo("DEFAULT_CONFIG");
    assertThat(config(list, "segment.bytes").getBoolean("is_default")).isTrue();
    assertThat(config(list, "segment.bytes").getJsonArray("synonyms").getJsonObject(0).getString("name"))
        .isEqualTo("log.segment.bytes");
    assertThat(config(list, "index.interval.bytes").getBoolean("is_read_only")).isTrue();
    JsonObject one = ok(await(client.get("/topics/" + t + "/configs/retention.ms").send()));
    assertThat(one).isEqualTo(config(list, "retention.ms"));
  }

  @Test
  void setThenDeleteGoesBackToTheBrokerDefault(TestInfo info) throws Exception {
    String t = create(info, new JsonObject());

    JsonObject set = ok(put(t, "retention.bytes", 123_456));
    assertThat(set.getString("value")).isEqualTo("123456");
    assertThat(set.getString("source")).isEqualTo("DYNAMIC_TOPIC_CONFIG");
    assertThat(ok(await(client.get("/topics/" + t).send())).getJsonObject("configs").getString("retention.bytes"))
        .isEqualTo("123456");

    JsonObject deleted = ok(await(client.delete("/topics/" + t + "/configs/retention.bytes").send()));
    assertThat(deleted.getString("value")).isEqualTo("-1");
    assertThat(deleted.getBoolean("is_default")).isTrue();
    assertThat(ok(await(client.get("/topics/" + t).send())).getJsonObject("configs")).isEmpty();
  }

  @Test
  void aBatchAppliesAllOrNothingAndValidateOnlyWritesNothing(TestInfo info) throws Exception {
    String t = create(info, new JsonObject().put("retention.ms", "60000"));
    JsonObject batch = new JsonObject().put("data", new JsonArray()
        .add(new JsonObject().put("name", "segment.bytes").put("value", "2048"))
        .add(new JsonObject().put("name", "retention.ms").put("operation", "DELETE")));

    JsonObject dry = ok(alter(t, batch.copy().put("validate_only", true)));
    assertThat(dry.getBoolean("validate_only")).isTrue();
    assertThat(config(dry, "segment.bytes").getString("value")).isEqualTo("2048");
    assertThat(ok(await(client.get("/topics/" + t).send())).getJsonObject("configs"))
        .isEqualTo(new JsonObject().put("retention.ms", "60000"));

    JsonArray withBad = batch.getJsonArray("data").copy()
        .add(new JsonObject().put("name", "retention.bytes").put("value", "lots"));
    assertError(alter(t, new JsonObject().put("data", withBad)), 400, 40, "retention.bytes", "lots");
    assertThat(ok(await(client.get("/topics/" + t).send())).getJsonObject("configs"))
        .as("nothing of a refused batch applied").isEqualTo(new JsonObject().put("retention.ms", "60000"));

    JsonObject done = ok(alter(t, batch));
    assertThat(config(done, "segment.bytes").getString("source")).isEqualTo("DYNAMIC_TOPIC_CONFIG");
    assertThat(config(done, "retention.ms").getString("source")).isEqualTo("DEFAULT_CONFIG");
    assertThat(ok(await(client.get("/topics/" + t).send())).getJsonObject("configs"))
        .isEqualTo(new JsonObject().put("segment.bytes", "2048"));
  }

  @Test
  void mistakesAreRefusedNamingWhatWasWrong(TestInfo info) throws Exception {
    String t = create(info, new JsonObject());

    assertError(await(client.get("/topics/nope/configs").send()), 404, 3, "nope");
    assertError(put("nope", "retention.ms", "1"), 404, 3, "nope");
    assertError(put(t, "retention.mss", "1"), 400, 40, "retention.mss");
    assertError(put(t, "segment.bytes", "10"), 400, 40, "segment.bytes");
    assertError(put(t, "index.interval.bytes", "8192"), 400, 40, "index.interval.bytes", "existing topic");
    assertError(put(t, "min.insync.replicas", "2"), 400, 40, "min.insync.replicas", "replication factor 1");
    assertError(await(client.put("/topics/" + t + "/configs/retention.ms").sendJsonObject(new JsonObject())), 400,
        40, "value");
    assertError(await(client.get("/topics/" + t + "/configs/retention.mss").send()), 404, 10003, "retention.mss");
    assertError(alter(t, new JsonObject().put("data", new JsonArray())), 400, 10002, "data");
    assertError(alter(t, new JsonObject().put("data", new JsonArray().add(new JsonObject().put("name", "retention.ms")
        .put("value", "1").put("operation", "APPEND")))), 400, 10002, "operation");
    assertError(alter(t, new JsonObject().put("data", new JsonArray()).put("validate", true)), 400, 42, "validate");
    assertError(put("__consumer_offsets", "retention.ms", "1"), 400, 42, "internal");
  }

  /** A lowered retention.ms deletes the old segments at the partition's next retention check. */
  @Test
  void loweredRetentionDeletesOldSegmentsAtTheNextCheck(TestInfo info) throws Exception {
    String t = create(info, new JsonObject().put("segment.bytes", "1024"));
    TopicPartition tp = new TopicPartition(t, 0);
    long old = System.currentTimeMillis() - 3_600_000;
    for (int i = 0; i < 20; i++) {
      await(broker.service().produce(RequestContext.SELF, tp, batch(old, "x".repeat(200)), Acks.ALL));
    }
    assertThat(await(broker.service().offsets(RequestContext.SELF, tp)).beginningOffset()).isZero();

    ok(put(t, "retention.ms", "60000"));

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (await(broker.service().offsets(RequestContext.SELF, tp)).beginningOffset() == 0
        && System.nanoTime() < deadline) {
      await(broker.vertx().timer(50)); // the check runs every 100 ms on the partition's own timer
    }
    assertThat(await(broker.service().offsets(RequestContext.SELF, tp)).beginningOffset()).isPositive();
  }
}
