package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatch;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's topic configs that shape stored records, message.timestamp.* and compression.type, as a user meets them
 * over HTTP (a change at runtime applying at the next append: {@code MessageTimestampsAppendTest},
 * {@code TopicCompressionAppendTest}).
 */
class RecordConfigsHttpTest {
  private static final String JSON_V2 = "application/vnd.kafka.json.v2+json";
  private static final long HOUR = 3_600_000L;

  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  static Path dataDir;
  private static Broker broker;
  private static WebClient client;

  @BeforeAll
  static void startBroker() throws Exception {
    BrokerConfig config = TestBrokers.config(dataDir, Map.of(BrokerConfig.CONNECT_ENABLED, false,
        BrokerConfig.STREAMS_ENABLED, false, BrokerConfig.LOG_MESSAGE_TIMESTAMP_BEFORE_MAX_MS, 30L * 24 * HOUR));
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

  private static HttpResponse<Buffer> create(String name, JsonObject configs) throws Exception {
    return await(client.post("/topics").sendJsonObject(new JsonObject().put("name", name).put("partitions", 1)
        .put("configs", configs)));
  }

  private static HttpResponse<Buffer> produce(String topic, long... timestamps) throws Exception {
    JsonArray records = new JsonArray();
    for (long ts : timestamps) {
      records.add(new JsonObject().put("value", "v").put("partition", 0).put("timestamp", ts));
    }
    return await(client.post("/topics/" + topic).putHeader("Content-Type", JSON_V2)
        .sendJsonObject(new JsonObject().put("records", records)));
  }

  private static JsonArray fetch(String topic) throws Exception {
    HttpResponse<Buffer> r = await(client.get("/topics/" + topic + "/partitions/0/records?offset=0")
        .putHeader("Accept", JSON_V2).send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonArray();
  }

  private static void assertError(HttpResponse<Buffer> r, int status, int code, String... messageParts) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    assertThat(r.bodyAsJsonObject().getInteger("error_code")).as(r.bodyAsString()).isEqualTo(code);
    assertThat(r.bodyAsJsonObject().getString("message")).contains(messageParts);
  }

  @Test
  void logAppendTimeRecordsCarryTheBrokersClock(TestInfo info) throws Exception {
    String t = info.getTestMethod().orElseThrow().getName();
    assertThat(create(t, new JsonObject().put("message.timestamp.type", "LogAppendTime")).statusCode()).isEqualTo(201);
    long before = System.currentTimeMillis();

    HttpResponse<Buffer> r = produce(t, 1_000L, 2_000L);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);

    JsonArray records = fetch(t);
    assertThat(records).hasSize(2);
    long stamped = records.getJsonObject(0).getLong("timestamp");
    assertThat(stamped).isBetween(before, System.currentTimeMillis());
    assertThat(records.getJsonObject(1).getLong("timestamp")).isEqualTo(stamped);
    // Kafka's produce answer names the stamp (log_append_time_ms), so a producer learns what was stored
    JsonArray offsets = r.bodyAsJsonObject().getJsonArray("offsets");
    assertThat(offsets.getJsonObject(0).getLong("log_append_time_ms")).isEqualTo(stamped);
    assertThat(offsets.getJsonObject(1).getLong("log_append_time_ms")).isEqualTo(stamped);
  }

  @Test
  void theBatchAnswersNameTheStampOfALogAppendTimeTopicOnly(TestInfo info) throws Exception {
    String stampedTopic = info.getTestMethod().orElseThrow().getName();
    String createdTopic = stampedTopic + "-created";
    assertThat(create(stampedTopic, new JsonObject().put("message.timestamp.type", "LogAppendTime")).statusCode())
        .isEqualTo(201);
    assertThat(create(createdTopic, new JsonObject()).statusCode()).isEqualTo(201);

    JsonObject one = await(client.post("/topics/" + stampedTopic + "/partitions/0/batches")
        .putHeader("Content-Type", "application/vnd.sluice.batch")
        .sendBuffer(Buffer.buffer(bytes(HttpApiTestBase.batch(1_000L, "a"))))).bodyAsJsonObject();
    JsonObject many = await(client.post("/batches")
        .putHeader("Content-Type", "application/vnd.sluice.partition-batches")
        .sendBuffer(section(stampedTopic, HttpApiTestBase.batch(1_000L, "b"))
            .appendBuffer(section(createdTopic, HttpApiTestBase.batch(1_000L, "c"))))).bodyAsJsonObject();

    JsonArray stored = fetch(stampedTopic);
    assertThat(one.getLong("log_append_time_ms")).as(one.encode())
        .isEqualTo(stored.getJsonObject(0).getLong("timestamp"));
    JsonArray partitions = many.getJsonArray("partitions");
    assertThat(partitions.getJsonObject(0).getLong("log_append_time_ms")).as(many.encode())
        .isEqualTo(stored.getJsonObject(1).getLong("timestamp")).isNotEqualTo(1_000L);
    assertThat(partitions.getJsonObject(1).containsKey("log_append_time_ms")).as(many.encode()).isFalse();
    assertThat(produce(createdTopic, 1_000L).bodyAsJsonObject().getJsonArray("offsets").getJsonObject(0)
        .containsKey("log_append_time_ms")).isFalse();
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  private static Buffer section(String topic, ByteBuffer batch) {
    byte[] body = bytes(batch);
    return Buffer.buffer(io.sluice.record.PartitionSections.produceHeader(topic, 0, body.length)).appendBytes(body);
  }

  @Test
  void createTimeRecordsOutsideTheBoundsAreRefusedNamingTheConfig(TestInfo info) throws Exception {
    String t = info.getTestMethod().orElseThrow().getName();
    assertThat(create(t, new JsonObject()).statusCode()).isEqualTo(201);
    long now = System.currentTimeMillis();

    assertError(produce(t, now, now + 2 * HOUR), 422, 32, "message.timestamp.after.max.ms", "allows 3600000");
    // the broker's log.message.timestamp.before.max.ms (30 days here) is the topic's default
    assertError(produce(t, now - 31L * 24 * HOUR), 422, 32, "message.timestamp.before.max.ms");
    assertThat(fetch(t)).isEmpty();

    HttpResponse<Buffer> ok = produce(t, now - 29L * 24 * HOUR, now + HOUR / 2);
    assertThat(ok.statusCode()).as(ok.bodyAsString()).isEqualTo(200);
    assertThat(fetch(t).getJsonObject(0).getLong("timestamp")).isEqualTo(now - 29L * 24 * HOUR);
  }

  @Test
  void configsAreDescribedValidatedAndChangeableAtRuntime(TestInfo info) throws Exception {
    String t = info.getTestMethod().orElseThrow().getName();
    assertError(create(t, new JsonObject().put("message.timestamp.type", "logappendtime")), 400, 42,
        "message.timestamp.type must be 'CreateTime' or 'LogAppendTime'");
    assertError(create(t, new JsonObject().put("message.timestamp.after.max.ms", "-1")), 400, 42,
        "message.timestamp.after.max.ms");
    assertThat(create(t, new JsonObject()).statusCode()).isEqualTo(201);

    JsonObject after = await(client.get("/topics/" + t + "/configs/message.timestamp.after.max.ms").send())
        .bodyAsJsonObject();
    assertThat(after.getString("value")).isEqualTo("3600000");
    assertThat(after.getBoolean("is_default")).isTrue();
    JsonObject before = await(client.get("/topics/" + t + "/configs/message.timestamp.before.max.ms").send())
        .bodyAsJsonObject();
    assertThat(before.getString("value")).isEqualTo(Long.toString(30L * 24 * HOUR));
    assertThat(before.getString("source")).isEqualTo("STATIC_BROKER_CONFIG");

    HttpResponse<Buffer> bad = await(client.put("/topics/" + t + "/configs/message.timestamp.type")
        .sendJsonObject(new JsonObject().put("value", "Now")));
    assertError(bad, 400, 40, "message.timestamp.type");
    HttpResponse<Buffer> set = await(client.put("/topics/" + t + "/configs/message.timestamp.type")
        .sendJsonObject(new JsonObject().put("value", "LogAppendTime")));
    assertThat(set.statusCode()).as(set.bodyAsString()).isEqualTo(200);
    assertThat(set.bodyAsJsonObject().getString("source")).isEqualTo("DYNAMIC_TOPIC_CONFIG");
  }

  @Test
  void aTopicsCompressionTypeIsHowItsBatchesAreStored(TestInfo info) throws Exception {
    String t = info.getTestMethod().orElseThrow().getName();
    assertError(create(t, new JsonObject().put("compression.type", "brotli")), 400, 42, "compression.type");
    assertThat(create(t, new JsonObject().put("compression.type", "zstd")).statusCode()).isEqualTo(201);
    long now = System.currentTimeMillis();

    HttpResponse<Buffer> r = produce(t, now, now);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);

    HttpResponse<Buffer> raw = await(client.get("/topics/" + t + "/partitions/0/records?offset=0")
        .putHeader("Accept", "application/vnd.sluice.batch").send());
    assertThat(raw.statusCode()).isEqualTo(200);
    RecordBatch stored = RecordBatch.wrap(ByteBuffer.wrap(raw.body().getBytes()));
    stored.ensureValid();
    assertThat(stored.compressionType()).isEqualTo(CompressionType.ZSTD);
    assertThat(fetch(t)).hasSize(2);
    assertThat(fetch(t).getJsonObject(1).getString("value")).isEqualTo("v");
  }
}
