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
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.awaitility.Awaitility;

/** A real broker with the HTTP API and consumer groups, and blocking HTTP helpers for tests. */
final class GroupsTestSupport implements AutoCloseable {
  static final String V2 = MediaTypes.KAFKA_V2_JSON;
  final Broker broker;
  final WebClient client;

  GroupsTestSupport(Path dataDir, BlockedThreadGuard guard, Map<String, ?> extra) throws Exception {
    this(dataDir, guard, extra, System::currentTimeMillis);
  }

  /** With the group coordinator on {@code groupClockMs} (a clock the test moves). */
  GroupsTestSupport(Path dataDir, BlockedThreadGuard guard, Map<String, ?> extra,
      java.util.function.LongSupplier groupClockMs) throws Exception {
    Map<String, Object> cfg = new java.util.HashMap<>(Map.of(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 4,
        BrokerConfig.GROUP_MIN_SESSION_TIMEOUT_MS, 500, BrokerConfig.HTTP_INSTANCES, 1));
    cfg.putAll(extra);
    broker = Broker.builder(TestBrokers.config(dataDir, cfg)).listener(HttpListener::new).groupClock(groupClockMs)
        .vertxOptions(BlockedThreadGuard::testOptions).start().await(60, TimeUnit.SECONDS);
    guard.watch(broker.vertx());
    client = io.sluice.broker.testing.TestClients.web(broker.httpPort());
  }

  static <T> T await(Future<T> f) {
    return io.sluice.broker.testing.TestFutures.await(f, 30);
  }

  HttpResponse<Buffer> post(String path, Object body) {
    var req = client.post(path).putHeader("Content-Type", body instanceof JsonObject ? V2 : MediaTypes.KAFKA_JSON_V2);
    return await(body == null ? req.send() : req.sendBuffer(((JsonObject) body).toBuffer()));
  }

  HttpResponse<Buffer> get(String path) {
    return await(client.get(path).putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send());
  }

  /** A GET with a JSON body, as REST v2's GET offsets takes one. */
  HttpResponse<Buffer> get(String path, JsonObject body) {
    return await(client.get(path).putHeader("Content-Type", V2).sendBuffer(body.toBuffer()));
  }

  HttpResponse<Buffer> delete(String path) {
    return await(client.delete(path).send());
  }

  void createTopic(String name, int partitions) {
    var r = await(client.post("/topics").sendJsonObject(new JsonObject().put("name", name).put("partitions", partitions)));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
  }

  /** Produces values to one partition with consecutive timestamps from {@code firstTimestamp}. */
  void produce(String topic, int partition, long firstTimestamp, int count) {
    JsonArray records = new JsonArray();
    for (int i = 0; i < count; i++) {
      records.add(new JsonObject().put("value", "v" + i).put("timestamp", firstTimestamp + i));
    }
    var r = await(client.post("/topics/" + topic + "/partitions/" + partition)
        .putHeader("Content-Type", MediaTypes.KAFKA_JSON_V2)
        .sendBuffer(new JsonObject().put("records", records).toBuffer()));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
  }

  /** Creates an instance and returns its base path. */
  String consumer(String group, JsonObject settings) {
    var r = post("/consumers/" + group, settings);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    String baseUri = r.bodyAsJsonObject().getString("base_uri");
    assertThat(baseUri).startsWith("http://127.0.0.1:" + broker.httpPort() + "/consumers/" + group + "/instances/");
    return baseUri.substring(baseUri.indexOf("/consumers/"));
  }

  void subscribe(String base, String... topics) {
    var r = post(base + "/subscription", new JsonObject().put("topics", new JsonArray(java.util.List.of((Object[]) topics))));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
  }

  JsonArray poll(String base, long timeoutMs) {
    var r = get(base + "/records?timeout=" + timeoutMs);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonArray();
  }

  JsonArray assignment(String base) {
    var r = get(base + "/assignments");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject().getJsonArray("partitions");
  }

  /** Calls {@code check} until it is true; fails after {@code timeoutMs}. No sleeping: each call is a request. */
  /** Instance settings for a member that starts at the earliest offset and commits only when told to. */
  static JsonObject earliest(String name) {
    return new JsonObject().put("name", name).put("format", "json").put("auto.offset.reset", "earliest")
        .put("auto.commit.enable", "false").put("session.timeout.ms", 30_000);
  }

  /** The partitions the instance at {@code base} owns, as {@code topic-partition} names. */
  java.util.Set<String> owned(String base) {
    java.util.Set<String> out = new java.util.HashSet<>();
    assignment(base).forEach(o -> out.add(((JsonObject) o).getString("topic") + "-"
        + ((JsonObject) o).getInteger("partition")));
    return out;
  }

  static void until(long timeoutMs, String what, Supplier<Boolean> check) {
    Awaitility.await(what).atMost(Duration.ofMillis(timeoutMs)).until(check::get);
  }

  static void assertError(HttpResponse<Buffer> r, int status, io.sluice.errors.ErrorCode code) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    assertThat(r.bodyAsJsonObject().getInteger("error_code")).as(r.bodyAsString()).isEqualTo(code.code());
    assertThat(r.bodyAsJsonObject().getString("message")).isNotBlank();
  }

  @Override
  public void close() throws Exception {
    client.close();
    TestBrokers.close(broker);
  }
}
