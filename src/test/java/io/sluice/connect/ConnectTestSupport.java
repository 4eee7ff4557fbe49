package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.http.HttpListener;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;

/** An in-process broker with the HTTP API and the connect service, and a small Kafka Connect REST client. */
final class ConnectTestSupport implements AutoCloseable {
  final Broker broker;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /** The {@code Authorization} header every request sends; null: none (the anonymous client). */
  volatile String authorization;

  /** An HTTP answer: status and body text. */
  record Reply(int status, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }

    JsonArray array() {
      return new JsonArray(body);
    }
  }

  ConnectTestSupport(Path dataDir, BlockedThreadGuard guard, Map<String, ?> extra) throws Exception {
    Map<String, Object> settings = new HashMap<>(extra);
    settings.put(BrokerConfig.HTTP_INSTANCES, 1);
    BrokerConfig config = TestBrokers.config(dataDir, settings);
    broker = Broker.builder(config).listener(HttpListener::new).vertxOptions(BlockedThreadGuard::testOptions)
        .start().await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    guard.watch(broker.vertx());
    awaitConnectUp();
  }

  /** The broker is ready before its connect worker (which starts in the background): wait for {@code /health}. */
  private void awaitConnectUp() throws Exception {
    Awaitility.await("the connect worker to start").atMost(Duration.ofSeconds(TestBrokers.START_TIMEOUT_S))
        .until(() -> "UP".equals(get("/health").json().getJsonObject("services").getString("connect")));
  }

  Reply send(String method, String path, Object body) throws Exception {
    HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofString(body.toString());
    HttpRequest request = authorized(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort()
        + path))).timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json").method(method, publisher)
        .build();
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), r.body());
  }

  /**
   * The latest value of every key of {@code topic} (null for a tombstone), as a reader of the compacted topic from
   * its start would end with it: every partition read to its end.
   */
  Map<String, String> latest(String topic) throws Exception {
    Map<String, String> out = new HashMap<>();
    int partitions = get("/topics/" + topic).json().getJsonArray("partitions").size();
    for (int p = 0; p < partitions; p++) {
      long end = get("/topics/" + topic + "/partitions/" + p + "/offsets").json().getLong("end_offset");
      long next = 0;
      while (next < end) {
        HttpRequest request = authorized(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort()
            + "/topics/" + topic + "/partitions/" + p + "/records?offset=" + next))).timeout(Duration.ofSeconds(60))
            .header("Accept", "application/vnd.kafka.binary.v2+json").GET().build();
        JsonArray records = new JsonArray(http.send(request, HttpResponse.BodyHandlers.ofString()).body());
        for (Object o : records) {
          JsonObject r = (JsonObject) o;
          out.put(decode(r.getString("key")), decode(r.getString("value")));
          next = r.getLong("offset") + 1;
        }
      }
    }
    return out;
  }

  /** Allows {@code principal} {@code operation} on one resource ({@code POST /acls}). */
  void allow(String type, String name, String principal, String operation) throws Exception {
    Reply r = send("POST", "/acls", io.sluice.broker.testing.TestAcls.allow(type, name, principal, operation));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
  }

  /** Creates a topic of one partition, one replica. */
  void createTopic(String name) throws Exception {
    Reply r = send("POST", "/topics", new JsonObject().put("name", name).put("partitions", 1)
        .put("replication_factor", 1));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
  }

  private HttpRequest.Builder authorized(HttpRequest.Builder request) {
    String header = authorization;
    return header == null ? request : request.header("Authorization", header);
  }

  /**
   * Produces one record to partition 0 of {@code topic} through the REST API (binary embedded format): {@code key}
   * null for none, {@code value} null for a tombstone.
   */
  void produce(String topic, String key, String value) throws Exception {
    JsonObject record = new JsonObject().put("partition", 0).put("value", value == null ? null : encode(value));
    if (key != null) {
      record.put("key", encode(key));
    }
    HttpRequest request = authorized(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + broker.httpPort()
        + "/topics/" + topic))).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/vnd.kafka.binary.v2+json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("records", new JsonArray().add(record))
            .encode())).build();
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  private static String encode(String text) {
    return java.util.Base64.getEncoder().encodeToString(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static String decode(String base64) {
    return base64 == null ? null : new String(java.util.Base64.getDecoder().decode(base64),
        java.nio.charset.StandardCharsets.UTF_8);
  }

  Reply get(String path) throws Exception {
    return send("GET", path, null);
  }

  Reply create(String name, JsonObject config) throws Exception {
    Reply r = send("POST", "/connectors", new JsonObject().put("name", name).put("config", config));
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r;
  }

  /** The state of the connector's task {@code task} (or of the connector when -1), null when unknown. */
  String state(String name, int task) throws Exception {
    Reply r = get("/connectors/" + name + "/status");
    if (r.status() != 200) {
      return null;
    }
    JsonObject s = r.json();
    if (task < 0) {
      return s.getJsonObject("connector").getString("state");
    }
    JsonArray tasks = s.getJsonArray("tasks");
    return tasks.size() > task ? tasks.getJsonObject(task).getString("state") : null;
  }

  void awaitState(String name, int task, String wanted) {
    await(name + "/" + task + " " + wanted, () -> {
      try {
        return wanted.equals(state(name, task));
      } catch (Exception e) {
        return false;
      }
    });
  }

  static void await(String what, BooleanSupplier condition) {
    await(what, condition, 60_000);
  }

  static void await(String what, BooleanSupplier condition, long timeoutMs) {
    Awaitility.await(what).atMost(Duration.ofMillis(timeoutMs)).until(condition::getAsBoolean);
  }

  @Override
  public void close() throws Exception {
    TestBrokers.close(broker);
  }
}
