package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.api.ConsumerService;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A consuming WebSocket's large commit message is read on the HTTP worker pool, not on its event loop, and the
 * socket's later messages wait for it: commits reach the coordinator in the order they came. The worker pool is held
 * on purpose, so the read is seen waiting in its queue (a count, not a time) while the event loop answers others.
 */
class WsCommitDecodingTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  /** Partitions in the large commit: about 200 KB of JSON, well over {@link BodyDecoding#INLINE_MAX_BYTES}. */
  private static final int PARTITIONS = 5_000;
  private final List<String> commits = new CopyOnWriteArrayList<>();
  private final List<JsonObject> replies = new CopyOnWriteArrayList<>();
  private Vertx vertx;
  private WebClient client;
  private WebSocketClient wsClient;
  private int port;
  private HeldWorkers held;

  @BeforeEach
  void start() throws Exception {
    VertxOptions options = new VertxOptions();
    BlockedThreadGuard.testOptions(options);
    vertx = Vertx.vertx(options);
    GUARD.watch(vertx);
    HttpApiConfig cfg = HttpApiConfig.defaults("127.0.0.1", 0);
    HttpServerVerticle verticle = new HttpServerVerticle(new InMemoryBroker(vertx, null), cfg, () -> true,
        recordingConsumers(), new SessionCounts(), List.of(), ExtensionStarts.NONE, null);
    HttpApiTestBase.await(vertx.deployVerticle(verticle));
    port = verticle.actualPort();
    client = io.sluice.broker.testing.TestClients.web(port);
    // The large commit's reply echoes its entries in one frame of about 200 KB.
    wsClient = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxFrameSize(1 << 20)
        .setMaxMessageSize(1 << 20));
    HttpResponse<Buffer> created = HttpApiTestBase.await(client.post("/topics")
        .sendJsonObject(new JsonObject().put("name", "t").put("partitions", 1)));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    held = HeldWorkers.hold(vertx, cfg);
  }

  @AfterEach
  void stop() {
    held.release();
    client.close();
    HttpApiTestBase.await(vertx.close());
  }

  /** Records each commit as "commit SIZE" and succeeds; other calls succeed with nothing. */
  private ConsumerService recordingConsumers() {
    return (ConsumerService) Proxy.newProxyInstance(ConsumerService.class.getClassLoader(),
        new Class<?>[] {ConsumerService.class}, (proxy, method, args) -> {
          if (method.getName().equals("commit")) {
            commits.add("commit " + ((Map<?, ?>) args[3]).size());
          }
          return method.getReturnType() == Future.class ? Future.succeededFuture() : null;
        });
  }

  private static String commit(int partitions, String id) {
    JsonArray entries = new JsonArray();
    for (int i = 0; i < partitions; i++) {
      entries.add(new JsonObject().put("topic", "t").put("partition", i).put("offset", 7));
    }
    return new JsonObject().put("commit", entries).put("id", id).encode();
  }

  /**
   * The socket is not read while a large message decodes: the client's next large messages wait in its own socket
   * until its writes back up (the sockets' buffers full), and none reaches the workers' queue meanwhile.
   */
  @Test
  void whileALargeMessageDecodesTheSocketIsNotRead() {
    // A client of its own, closed without waiting: its close would wait behind the 40 MB it could not send.
    Vertx clientVertx = Vertx.vertx();
    try {
      sendUntilBackedUp(clientVertx.createWebSocketClient());
    } finally {
      clientVertx.close();
    }
  }

  private void sendUntilBackedUp(WebSocketClient wsClient) {
    WebSocket ws = HttpApiTestBase.await(wsClient.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
        .setPort(port).setURI("/ws/consume?group=g&topics=t")));
    ws.textMessageHandler(t -> replies.add(new JsonObject(t)));
    String large = commit(PARTITIONS, "large");
    ws.writeTextMessage(large);
    await().atMost(Duration.ofSeconds(30)).until(() -> !held.queue().isEmpty());

    // 40 MB: more than the loopback sockets' buffers hold, so an unread socket backs the client's writes up.
    for (int i = 0; i < 200; i++) {
      ws.writeTextMessage(large);
    }
    await().atMost(Duration.ofSeconds(60)).until(ws::writeQueueFull);
    assertThat(held.queue()).as("no later message was read to be decoded").hasSize(1);
    assertThat(commits).isEmpty();
  }

  @Test
  void aLargeCommitIsReadOnTheWorkersAndALaterSmallOneWaitsForIt() {
    WebSocket ws = HttpApiTestBase.await(wsClient.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
        .setPort(port).setURI("/ws/consume?group=g&topics=t")));
    ws.textMessageHandler(t -> replies.add(new JsonObject(t)));
    String large = commit(PARTITIONS, "large");
    assertThat(large.length()).isGreaterThan(BodyDecoding.INLINE_MAX_BYTES);
    ws.writeTextMessage(large);
    await().atMost(Duration.ofSeconds(30)).until(() -> !replies.isEmpty() || !held.queue().isEmpty());
    // Sizes, not the replies: the large one's echo is 200 KB.
    assertThat(replies.size()).as("the large commit was answered without the workers: read on the event loop")
        .isZero();
    assertThat(held.queue()).hasSize(1);

    ws.writeTextMessage(commit(1, "small"));
    ws.writeTextMessage("{\"credit\": 0, \"id\": \"bad\"}");
    // The event loop is free meanwhile; the socket's later messages wait for the large one's turn.
    assertThat(HttpApiTestBase.await(client.get("/topics/t").send()).statusCode()).isEqualTo(200);
    assertThat(held.queue()).as("small messages are read on the loop").hasSize(1);
    assertThat(commits).isEmpty();
    assertThat(replies.size()).isZero();

    held.release();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(replies).hasSize(3));
    assertThat(commits).containsExactly("commit " + PARTITIONS, "commit 1");
    assertThat(replies.stream().map(r -> r.getString("id")).toList()).containsExactly("large", "small", "bad");
    assertThat(replies.get(0).getJsonArray("committed")).hasSize(PARTITIONS);
    assertThat(replies.get(2).getString("message")).contains("'credit' must be a positive integer");
  }
}
