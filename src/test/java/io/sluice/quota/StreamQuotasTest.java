package io.sluice.quota;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.broker.testing.TestClients;
import io.sluice.config.BrokerConfig;
import io.sluice.http.HttpListener;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client quotas on streams: what a WebSocket producer sends and what a WebSocket or SSE consumer is sent count
 * against the stream's client id, message by message, not only the request that opened the stream.
 *
 * <p>As in {@link ClientQuotasApiTest}, rates are measured over 2 windows of 1 s (the elapsed time counts at least
 * one whole window), so a message or frame of over 1,000 bytes against 1,000 B/s is over at once whatever the
 * machine's speed; the throttle times asserted are only positive or absent, never timed.
 */
class StreamQuotasTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  /** Read by the consumer tests: five records of 1,200 bytes (the SSE test adds a sixth). */
  private static final String TOPIC = "streamed";
  /** Written by the producer tests. */
  private static final String PRODUCED = "produced";
  private static final String VALUE = "v".repeat(1_200);

  @TempDir
  static Path dataDir;
  private static Broker broker;
  private static WebClient client;
  private static WebSocketClient sockets;
  private static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    broker = TestBrokers.start(TestBrokers.config(dataDir, Map.of(BrokerConfig.BROKER_ID, 1,
        BrokerConfig.CONNECT_ENABLED, false, BrokerConfig.STREAMS_ENABLED, false, BrokerConfig.QUOTA_WINDOW_NUM, 2)),
        GUARD, HttpListener::new);
    client = TestClients.web(broker.httpPort());
    sockets = TestClients.vertx().createWebSocketClient();
    http = TestClients.vertx().createHttpClient();
    HttpResponse<Buffer> r;
    for (String topic : new String[] {TOPIC, PRODUCED}) {
      r = await(client.post("/topics").sendJsonObject(new JsonObject().put("name", topic).put("partitions", 1)
          .put("replication_factor", 1)));
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    }
    JsonArray records = new JsonArray();
    for (int i = 0; i < 5; i++) {
      records.add(new JsonObject().put("value", VALUE));
    }
    r = await(client.post("/topics/" + TOPIC + "/partitions/0").putHeader("Sluice-Client-Id", "writer")
        .putHeader("Content-Type", "application/vnd.kafka.json.v2+json")
        .sendBuffer(new JsonObject().put("records", records).toBuffer()));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    setQuota("ws-greedy", "producer_byte_rate");
    setQuota("ws-reader", "consumer_byte_rate");
    setQuota("sse-reader", "consumer_byte_rate");
    setQuota("ws-committer", "request_rate", 1);
  }

  @AfterAll
  static void stop() throws Exception {
    await(sockets.close());
    await(http.close());
    client.close();
    TestBrokers.close(broker);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  /** Sets 1,000 B/s of {@code key} for {@code clientId} and waits until the broker applies it. */
  private static void setQuota(String clientId, String key) throws Exception {
    setQuota(clientId, key, 1_000);
  }

  private static void setQuota(String clientId, String key, int value) throws Exception {
    HttpResponse<Buffer> r = await(client.post("/client-quotas:alter").sendJsonObject(new JsonObject().put("entries",
        new JsonArray().add(new JsonObject().put("entity", new JsonObject().put("client-id", clientId))
            .put("ops", new JsonArray().add(new JsonObject().put("key", key).put("value", value)))))));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
    Awaitility.await("the quota of " + clientId + " applied").atMost(Duration.ofSeconds(30)).until(() -> !await(
        client.get("/client-quotas?client-id=" + clientId).send()).bodyAsJsonObject().getJsonArray("entries").isEmpty());
  }

  private record Socket(WebSocket ws, LinkedBlockingQueue<JsonObject> frames) {
    JsonObject next() throws InterruptedException {
      JsonObject f = frames.poll(30, TimeUnit.SECONDS);
      assertThat(f).as("a frame within 30 s").isNotNull();
      return f;
    }
  }

  private static Socket connect(String uri, String clientId) throws Exception {
    LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    WebSocket ws = await(sockets.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
        .setPort(broker.httpPort()).setURI(uri).addHeader("Sluice-Client-Id", clientId)));
    ws.textMessageHandler(t -> frames.add(new JsonObject(t)));
    return new Socket(ws, frames);
  }

  /** The replies to {@code count} produce messages of 1,200-byte records, in order. */
  private static List<JsonObject> produceOverSocket(String clientId, int count) throws Exception {
    Socket s = connect("/ws/produce?topic=" + PRODUCED, clientId);
    try {
      for (int i = 0; i < count; i++) {
        await(s.ws().writeTextMessage(new JsonObject().put("id", i).put("records", new JsonArray()
            .add(new JsonObject().put("value", VALUE))).encode()));
      }
      List<JsonObject> replies = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        replies.add(s.next());
      }
      return replies;
    } finally {
      await(s.ws().close());
    }
  }

  @Test
  void aWebSocketProducerOverItsQuotaIsToldItsThrottleTimeAndLosesNothing() throws Exception {
    CompletableFuture<List<JsonObject>> produced = whileScraping(() -> produceOverSocket("ws-greedy", 4));
    awaitThrottleMetric("ws-greedy", "producer_byte_rate");
    List<JsonObject> replies = produced.get(60, TimeUnit.SECONDS);
    long previous = -1;
    for (int i = 0; i < replies.size(); i++) {
      JsonObject reply = replies.get(i);
      assertThat(reply.getInteger("id")).as(reply.encode()).isEqualTo(i);
      assertThat(reply.getLong("throttle_time_ms")).as("1,200+ bytes a message against 1,000 B/s: " + reply.encode())
          .isPositive();
      long offset = reply.getJsonArray("offsets").getJsonObject(0).getLong("offset");
      assertThat(offset).as("written, in the order sent").isGreaterThan(previous);
      previous = offset;
    }
  }

  /**
   * Runs {@code client} on its own thread, so that the test scrapes the metrics while it runs: the broker drops an
   * idle client's sensor, and its gauge, a quota span (2 s here) after its last request, and a first scrape after
   * the client finished could come too late on a loaded machine.
   */
  private static <T> CompletableFuture<T> whileScraping(Callable<T> client) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return client.call();
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    });
  }

  /** Waits until /metrics shows time held for {@code clientId} (the gauges are published every quota span). */
  private static void awaitThrottleMetric(String clientId, String type) {
    java.util.regex.Pattern held = java.util.regex.Pattern.compile("sluice_client_quota_throttle_time_milliseconds"
        + "\\{[^}]*client_id=\"" + clientId + "\"[^}]*type=\"" + type + "\"[^}]*\\} ([0-9.E]+)");
    Awaitility.await("throttle time shown for " + clientId).atMost(Duration.ofSeconds(30)).until(() -> {
      java.util.regex.Matcher m = held.matcher(await(client.get("/metrics").send()).bodyAsString());
      return m.find() && Double.parseDouble(m.group(1)) > 0;
    });
  }

  @Test
  void aWebSocketProducerWithoutAQuotaIsUntouched() throws Exception {
    for (JsonObject reply : produceOverSocket("ws-polite", 3)) {
      assertThat(reply.containsKey("throttle_time_ms")).as(reply.encode()).isFalse();
      assertThat(reply.getJsonArray("offsets").getJsonObject(0).containsKey("offset")).isTrue();
    }
  }

  /** Each frame's records (one a frame: credit is granted one record at a time) and throttle time. */
  private static List<JsonObject> consumeOverSocket(String clientId, int count) throws Exception {
    Socket s = connect("/ws/consume?topic=" + TOPIC + "&partition=0&offset=0", clientId);
    try {
      List<JsonObject> frames = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        await(s.ws().writeTextMessage("{\"credit\": 1}"));
        frames.add(s.next());
      }
      return frames;
    } finally {
      await(s.ws().close());
    }
  }

  @Test
  void aWebSocketConsumerOverItsQuotaIsHeldBetweenFramesAndMissesNothing() throws Exception {
    CompletableFuture<List<JsonObject>> consumed = whileScraping(() -> consumeOverSocket("ws-reader", 3));
    awaitThrottleMetric("ws-reader", "consumer_byte_rate");
    List<JsonObject> frames = consumed.get(60, TimeUnit.SECONDS);
    for (int i = 0; i < frames.size(); i++) {
      JsonObject frame = frames.get(i);
      assertThat(frame.getJsonArray("records").getJsonObject(0).getLong("offset")).as(frame.encode())
          .isEqualTo(i);
      assertThat(frame.getLong("throttle_time_ms")).as("1,200+ bytes a frame against 1,000 B/s").isPositive();
    }
    assertThat(consumeOverSocket("ws-unlimited", 2)).allSatisfy(frame -> assertThat(frame.containsKey(
        "throttle_time_ms")).as(frame.encode()).isFalse());
  }

  @Test
  void aWebSocketGroupMembersCommitsCountAsRequests() throws Exception {
    Socket s = connect("/ws/consume?group=committers&topics=" + TOPIC + "&auto.offset.reset=earliest", "ws-committer");
    try {
      s.ws().writeTextMessage("{\"credit\": 1}");
      JsonObject frame = s.next();
      assertThat(frame.getJsonArray("records")).as(frame.encode()).hasSize(1);
      s.ws().writeTextMessage(new JsonObject().put("id", "c1").put("commit", new JsonArray().add(new JsonObject()
          .put("topic", TOPIC).put("partition", 0).put("offset", 0))).encode());
      JsonObject committed = s.next();
      assertThat(committed.getString("id")).as(committed.encode()).isEqualTo("c1");
      assertThat(committed.containsKey("committed")).as(committed.encode()).isTrue();
      assertThat(committed.getLong("throttle_time_ms")).as("the upgrade, a frame and a commit against 1 request/s")
          .isPositive();
    } finally {
      await(s.ws().close());
    }
  }

  @Test
  void anSseConsumerOverItsQuotaGetsAThrottleEventAfterItsEventsAndOthersDoNot() throws Exception {
    List<String> quoted = readEvents("sse-reader", 6);
    assertThat(quoted.subList(0, 5)).containsExactly("id 0", "id 1", "id 2", "id 3", "id 4");
    assertThat(quoted.get(5)).as("6,000+ bytes against 1,000 B/s").startsWith("throttle ");
    assertThat(Long.parseLong(quoted.get(5).substring("throttle ".length()))).isPositive();

    // Without a quota the events follow each other: a throttle event would come before the sixth record's.
    HttpResponse<Buffer> r = await(client.post("/topics/" + TOPIC + "/partitions/0")
        .putHeader("Content-Type", "application/vnd.kafka.json.v2+json")
        .sendBuffer(new JsonObject().put("records", new JsonArray().add(new JsonObject().put("value", "x")))
            .toBuffer()));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(readEvents("sse-unlimited", 6)).allSatisfy(e -> assertThat(e).startsWith("id "));
  }

  /**
   * The first {@code count} events of the partition from offset 0 as "id N" (a record) or "throttle T" (a throttle
   * event), then hangs up.
   */
  private static List<String> readEvents(String clientId, int count) throws Exception {
    LinkedBlockingQueue<String> events = new LinkedBlockingQueue<>();
    StringBuilder text = new StringBuilder();
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
        .setPort(broker.httpPort()).setURI("/topics/" + TOPIC + "/partitions/0/events?offset=0")
        .putHeader("Sluice-Client-Id", clientId);
    var response = await(http.request(options).compose(r -> r.send()).onSuccess(resp -> resp.handler(b -> {
      text.append(b.toString());
      int end;
      while ((end = text.indexOf("\n\n")) >= 0) {
        String event = text.substring(0, end);
        text.delete(0, end + 2);
        parse(event, events);
      }
    })));
    assertThat(response.statusCode()).isEqualTo(200);
    List<String> out = new ArrayList<>();
    try {
      while (out.size() < count) {
        String e = events.poll(30, TimeUnit.SECONDS);
        assertThat(e).as("event %d within 30 s (so far %s)", out.size(), out).isNotNull();
        out.add(e);
      }
    } finally {
      response.request().connection().close();
    }
    return out;
  }

  private static void parse(String event, LinkedBlockingQueue<String> events) {
    String id = null;
    String name = null;
    String data = null;
    for (String line : event.split("\n")) {
      if (line.startsWith("id: ")) {
        id = line.substring(4);
      } else if (line.startsWith("event: ")) {
        name = line.substring(7);
      } else if (line.startsWith("data: ")) {
        data = line.substring(6);
      }
    }
    if ("throttle".equals(name)) {
      events.add("throttle " + new JsonObject(data).getLong("throttle_time_ms"));
    } else if (id != null) {
      events.add("id " + id);
    }
  }
}
