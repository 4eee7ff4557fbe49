package io.sluice.http;

import static io.sluice.http.GroupsTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.sluice.group.OffsetsTopic;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.http.HttpClient;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebSocket frame handling that {@link StreamingTest} does not cover: commits answered while a read is parked, bad
 * frames that affect nothing else, and bad produce parameters and frames.
 */
class StreamingFramesTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  static Path dataDir;
  static GroupsTestSupport api;
  static WebSocketClient wsClient;

  @BeforeAll
  static void start() throws Exception {
    api = new GroupsTestSupport(dataDir, GUARD, Map.of());
    wsClient = api.broker.vertx().createWebSocketClient();
  }

  @AfterAll
  static void stop() throws Exception {
    await(wsClient.close());
    api.close();
  }

  private static StreamingTest.Socket connect(String uri) {
    LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    WebSocket ws = await(wsClient.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
        .setPort(api.broker.httpPort()).setURI(uri)));
    ws.textMessageHandler(t -> frames.add(new JsonObject(t)));
    return new StreamingTest.Socket(ws, frames);
  }

  @Test
  void aCommitFrameIsAnsweredWhileTheSocketsReadIsParkedForMoreRecords() throws Exception {
    api.createTopic("ws-commit-parked", 1);
    api.produce("ws-commit-parked", 0, 1_000, 3);
    StreamingTest.Socket s = connect("/ws/consume?group=g-parked&topics=ws-commit-parked&auto.offset.reset=earliest");
    s.send("{\"credit\": 100}");
    JsonArray got = new JsonArray();
    while (got.size() < 3) {
      got.addAll(s.next().getJsonArray("records"));
    }
    // 97 credits are left, so the server now waits in a long poll (5 s) for more records.
    long start = System.nanoTime();
    s.send("{\"commit\": [{\"topic\": \"ws-commit-parked\", \"partition\": 0, \"offset\": 2}]}");
    JsonObject reply = s.next();
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(reply.getJsonArray("committed")).as(reply.encode()).hasSize(1);
    assertThat(tookMs).as("the commit does not wait for the parked read to end").isLessThan(2_500);
    assertThat(api.get("/consumer-groups/g-parked/lags").bodyAsJsonArray().getJsonObject(0).getMap())
        .containsEntry("next_offset", 3);
    await(s.ws().close());
  }

  /** The last processed offset a long can hold has no next one: it overflowed, and the socket got no reply. */
  @Test
  void aCommitFrameOfTheLastOffsetALongHoldsGetsAnErrorFrameWithItsId() throws Exception {
    api.createTopic("ws-commit-overflow", 1);
    api.produce("ws-commit-overflow", 0, 1_000, 1);
    StreamingTest.Socket s = connect("/ws/consume?group=g-ws-overflow&topics=ws-commit-overflow"
        + "&auto.offset.reset=earliest");
    s.send("{\"credit\": 1}");
    assertThat(s.next().getJsonArray("records")).hasSize(1);
    s.send("{\"commit\": [{\"topic\": \"ws-commit-overflow\", \"partition\": 0, \"offset\": "
        + Long.MAX_VALUE + "}], \"id\": \"x\"}");
    JsonObject reply = s.next();
    assertThat(reply.getInteger("error_code")).as(reply.encode()).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    assertThat(reply.getString("message")).contains("commit[0].offset");
    assertThat(reply.getString("id")).isEqualTo("x");
    s.send("{\"commit\": [{\"topic\": \"ws-commit-overflow\", \"partition\": 0, \"offset\": 0}]}");
    assertThat(s.next().getJsonArray("committed")).hasSize(1);
    await(s.ws().close());
  }

  @Test
  void aBadFrameOrABinaryFrameGetsAnErrorFrameAndAnotherSocketGoesOnUntouched() throws Exception {
    api.createTopic("ws-isolated", 1);
    StreamingTest.Socket good = connect("/ws/consume?topic=ws-isolated&partition=0&offset=0");
    StreamingTest.Socket bad = connect("/ws/consume?topic=ws-isolated&partition=0&offset=0");
    good.send("{\"credit\": 2}");
    bad.send("{\"credit\": 1, \"extra\": true}");
    assertThat(bad.next().getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    await(bad.ws().writeBinaryMessage(Buffer.buffer(new byte[] {1, 2, 3})));
    JsonObject binaryError = bad.next();
    assertThat(binaryError.getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    assertThat(binaryError.getString("message")).contains("Binary");
    bad.send("{\"credit\": 1000000001}");
    assertThat(bad.next().getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());

    api.produce("ws-isolated", 0, 1_000, 2);
    JsonArray records = new JsonArray();
    while (records.size() < 2) {
      records.addAll(good.next().getJsonArray("records"));
    }
    assertThat(records).hasSize(2);
    bad.send("{\"credit\": 1}");
    assertThat(bad.next().getJsonArray("records")).hasSize(1);
    assertThat(good.ws().isClosed()).isFalse();
    assertThat(bad.ws().isClosed()).isFalse();
    await(good.ws().close());
    await(bad.ws().close());
  }

  /** The caller policy holds on the WebSocket path too (it used to write the frame into the internal topic). */
  @Test
  void clientsCannotProduceToTheInternalOffsetsTopicOverAWebSocket() throws Exception {
    // A group call creates the internal topic, so the refusal is the policy's, not an unknown topic's.
    assertThat(api.post("/consumers/g-internal", GroupsTestSupport.earliest("c")).statusCode()).isEqualTo(200);
    GroupsTestSupport.assertError(api.get("/ws/produce?topic=" + OffsetsTopic.NAME), 400,
        ErrorCode.INVALID_TOPIC_EXCEPTION);
    Throwable refused = wsClient.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
        .setPort(api.broker.httpPort()).setURI("/ws/produce?topic=" + OffsetsTopic.NAME))
        .compose(ws -> ws.writeTextMessage("{\"records\": [{\"value\": 1, \"partition\": 0}]}").map(ws))
        .transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())).await(30, TimeUnit.SECONDS);
    assertThat(refused).as("the upgrade is refused").isNotNull();
  }

  @Test
  void badProduceFramesGetErrorFramesInTheirPlaceAndBadProduceParametersAreRefusedBeforeTheUpgrade()
      throws Exception {
    api.createTopic("ws-produce-bad", 1);
    StreamingTest.Socket s = connect("/ws/produce?topic=ws-produce-bad");
    s.send("not json");
    s.send("{\"records\": [{\"value\": 1, \"partition\": 7}]}");
    s.send("{\"records\": [{\"value\": 2}], \"extra\": 1}");
    s.send("{\"records\": [{\"value\": 3, \"partition\": 0}]}");
    assertThat(s.next().getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    assertThat(s.next().getInteger("error_code")).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code());
    JsonObject third = s.next();
    assertThat(third.getInteger("error_code")).as(third.encode()).isNotNull();
    assertThat(s.next().getJsonArray("offsets").getJsonObject(0).getLong("offset")).isZero();
    await(s.ws().close());

    GroupsTestSupport.assertError(api.get("/ws/produce"), 400, ErrorCode.MALFORMED_REQUEST);
    GroupsTestSupport.assertError(api.get("/ws/produce?topic=ws-produce-bad&format=xml"), 400,
        ErrorCode.MALFORMED_REQUEST);
    GroupsTestSupport.assertError(api.get("/ws/consume?topic=ws-produce-bad&partition=x"), 400,
        ErrorCode.MALFORMED_REQUEST);
    GroupsTestSupport.assertError(api.get("/ws/consume?group=g&topics="), 400, ErrorCode.MALFORMED_REQUEST);
  }

  @Test
  void eventsStartAtTheEndWithoutAnOffsetAndLastEventIdWinsOverTheOffsetParameter() throws Exception {
    api.createTopic("sse-end", 1);
    api.produce("sse-end", 0, 1_000, 3);
    HttpClient http = api.broker.vertx().createHttpClient();
    try {
      int port = api.broker.httpPort();
      assertThat(StreamingTest.readEvents(http, port, "/topics/sse-end/partitions/0/events?offset=0", "1", 1))
          .containsExactly("2");
      CompletableFuture<List<String>> fromEnd = CompletableFuture.supplyAsync(() -> {
        try {
          return StreamingTest.readEvents(http, port, "/topics/sse-end/partitions/0/events", null, 1);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      // The stream's start is fixed when it opens; records keep coming until the first event arrives.
      GroupsTestSupport.until(20_000, "an event from the end", () -> {
        api.produce("sse-end", 0, 2_000, 1);
        return fromEnd.isDone();
      });
      assertThat(Long.parseLong(fromEnd.get().get(0))).as("not a record from before the stream opened")
          .isGreaterThanOrEqualTo(3);
    } finally {
      await(http.close());
    }
    GroupsTestSupport.assertError(api.get("/topics/sse-end/partitions/0/events?offset=0&format=xml"), 400,
        ErrorCode.MALFORMED_REQUEST);
    GroupsTestSupport.assertError(api.get("/topics/sse-end/partitions/5/events"), 404,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  }
}
