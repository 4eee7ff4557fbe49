package io.sluice.http;

import static io.sluice.http.GroupsTestSupport.assertError;
import static io.sluice.http.GroupsTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.record.CompressionType;
import io.sluice.record.Header;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The protocol contracts every path must keep, against a real broker: one reply per WebSocket message in order
 * (ids echoed), the JSON produce status rule, group ids checked and URIs escaped, and one validation per concept
 * (strict JSON, the produced-batch rule, commits to existing partitions, one committed-offset convention, the
 * consumer's own format).
 */
class ProtocolContractsTest {
  private static final int WS_MAX_FRAME = 8 * 1024;
  private static final int WS_MAX_MESSAGE = 16 * 1024;
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  static Path dataDir;
  static GroupsTestSupport api;
  static WebSocketClient wsClient;

  @BeforeAll
  static void start() throws Exception {
    api = new GroupsTestSupport(dataDir, GUARD, Map.of(BrokerConfig.HTTP_WS_MAX_FRAME_BYTES, WS_MAX_FRAME,
        BrokerConfig.HTTP_WS_MAX_MESSAGE_BYTES, WS_MAX_MESSAGE));
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

  private static String produceFrame(String id, String value) {
    JsonObject frame = new JsonObject().put("records", new JsonArray().add(new JsonObject().put("value", value)));
    return (id == null ? frame : frame.put("id", id)).encode();
  }

  // ------------------------------------------------------------------ WebSocket: one reply per message

  @Test
  void aFragmentedMessageOverTheLimitGetsItsOwnErrorReplyInOrderAndIdsComeBack() throws Exception {
    api.createTopic("ws-big", 1);
    StreamingTest.Socket s = connect("/ws/produce?topic=ws-big");
    s.send(produceFrame("a", "first"));
    // Three fragments of 7 KiB: each under the frame limit, together over the 16 KiB message limit.
    String big = produceFrame("b", "x".repeat(3 * 7 * 1024));
    int third = big.length() / 3;
    await(s.ws().writeFrame(WebSocketFrame.textFrame(big.substring(0, third), false)));
    await(s.ws().writeFrame(WebSocketFrame.continuationFrame(Buffer.buffer(big.substring(third, 2 * third)), false)));
    await(s.ws().writeFrame(WebSocketFrame.continuationFrame(Buffer.buffer(big.substring(2 * third)), true)));
    s.send(produceFrame("c", "third"));
    s.send("not json");
    s.send(produceFrame(null, "fifth"));

    JsonObject first = s.next();
    assertThat(first.getString("id")).as(first.encode()).isEqualTo("a");
    assertThat(first.getJsonArray("offsets").getJsonObject(0).getLong("offset")).isEqualTo(0L);
    JsonObject tooLarge = s.next();
    assertThat(tooLarge.getInteger("error_code")).as(tooLarge.encode()).isEqualTo(ErrorCode.REQUEST_TOO_LARGE.code());
    assertThat(tooLarge.getString("message")).contains("http.ws.max.message.bytes");
    JsonObject third3 = s.next();
    assertThat(third3.getString("id")).as(third3.encode()).isEqualTo("c");
    assertThat(third3.getJsonArray("offsets").getJsonObject(0).getLong("offset")).isEqualTo(1L);
    assertThat(s.next().getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    JsonObject fifth = s.next();
    assertThat(fifth.containsKey("id")).isFalse();
    assertThat(fifth.getJsonArray("offsets").getJsonObject(0).getLong("offset")).isEqualTo(2L);
    assertThat(s.ws().isClosed()).isFalse();
    await(s.ws().close());
  }

  @Test
  void aFrameOverTheFrameLimitClosesTheSocketWithACloseFrameThatSaysWhy() throws Exception {
    api.createTopic("ws-frame", 1);
    StreamingTest.Socket s = connect("/ws/produce?topic=ws-frame");
    CompletableFuture<Void> closed = new CompletableFuture<>();
    s.ws().closeHandler(v -> closed.complete(null));
    s.ws().writeFrame(WebSocketFrame.textFrame(produceFrame("big", "y".repeat(WS_MAX_FRAME)), true));
    closed.get(20, TimeUnit.SECONDS);
    assertThat(s.ws().closeStatusCode()).isEqualTo((short) 1009);
    assertThat(s.ws().closeReason()).contains(String.valueOf(WS_MAX_FRAME));
  }

  @Test
  void aProduceFrameWithAnInvalidIdIsRefusedAndAnIdAloneIsNoMessage() throws Exception {
    api.createTopic("ws-ids", 1);
    StreamingTest.Socket s = connect("/ws/produce?topic=ws-ids");
    s.send("{\"id\": {\"nested\": 1}, \"records\": [{\"value\": 1}]}");
    s.send("{\"id\": 7}");
    s.send("{\"id\": 8, \"records\": [{\"value\": 1}]}");
    assertThat(s.next().getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    assertThat(s.next().getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    assertThat(s.next().getInteger("id")).isEqualTo(8);
    await(s.ws().close());
  }

  @Test
  void aConsumeCommitFrameReplyCarriesItsId() throws Exception {
    api.createTopic("ws-commit-id", 1);
    api.produce("ws-commit-id", 0, 1_000, 2);
    StreamingTest.Socket s = connect("/ws/consume?group=g-commit-id&topics=ws-commit-id&auto.offset.reset=earliest");
    s.send("{\"credit\": 2}");
    JsonArray got = new JsonArray();
    while (got.size() < 2) {
      got.addAll(s.next().getJsonArray("records"));
    }
    s.send("{\"id\": \"c1\", \"commit\": [{\"topic\": \"ws-commit-id\", \"partition\": 0, \"offset\": 1}]}");
    JsonObject reply = s.next();
    assertThat(reply.getString("id")).as(reply.encode()).isEqualTo("c1");
    assertThat(reply.getJsonArray("committed")).hasSize(1);
    s.send("{\"id\": \"c2\", \"commit\": [{\"topic\": \"ws-commit-id\", \"partition\": 5, \"offset\": 1}]}");
    JsonObject refused = s.next();
    assertThat(refused.getString("id")).as(refused.encode()).isEqualTo("c2");
    assertThat(refused.getInteger("error_code")).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code());
    await(s.ws().close());
  }

  // ------------------------------------------------------------------ JSON produce: the status rule

  @Test
  void aJsonProduceWhoseRecordIsTooLargeIs413WithItsRecordDetails() {
    var created = await(api.client.post("/topics").sendJsonObject(new JsonObject().put("name", "small-msgs")
        .put("partitions", 1).put("configs", new JsonObject().put("max.message.bytes", "1024"))));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
    HttpResponse<Buffer> r = postJson("/topics/small-msgs", new JsonObject().put("records",
        new JsonArray().add(new JsonObject().put("value", "z".repeat(4096)))).encode());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(413);
    JsonObject body = r.bodyAsJsonObject();
    assertThat(body.getInteger("error_code")).isEqualTo(ErrorCode.MESSAGE_TOO_LARGE.code());
    assertThat(body.getJsonArray("offsets").getJsonObject(0).getInteger("error_code"))
        .isEqualTo(ErrorCode.MESSAGE_TOO_LARGE.code());
  }

  // ------------------------------------------------------------------ group ids and URIs

  @Test
  void aGroupIdThatWouldBreakTheBaseUriIsRefused() {
    assertError(api.post("/consumers/a%3Fb%23c", GroupsTestSupport.earliest("c1")), 400, ErrorCode.INVALID_GROUP_ID);
    assertError(api.post("/consumers/" + "g".repeat(250), GroupsTestSupport.earliest("c1")), 400,
        ErrorCode.INVALID_GROUP_ID);
    assertError(api.get("/ws/consume?group=a%3Fb&topics=t"), 400, ErrorCode.INVALID_GROUP_ID);
    // "." and ".." vanish from a normalized URL: a group so named could be made here but never addressed there
    assertError(api.get("/ws/consume?group=.&topics=t"), 400, ErrorCode.INVALID_GROUP_ID);
    assertError(api.get("/ws/consume?group=..&topics=t"), 400, ErrorCode.INVALID_GROUP_ID);
    assertThat(api.consumer("a.b_c-1", GroupsTestSupport.earliest("c1"))).isEqualTo("/consumers/a.b_c-1/instances/c1");
  }

  // ------------------------------------------------------------------ strict JSON

  @Test
  void aLoneSurrogateIsRefusedNotStoredAsAQuestionMark() throws Exception {
    api.createTopic("surrogates", 1);
    assertError(postJson("/topics/surrogates", "{\"records\": [{\"value\": \"a\\ud800b\"}]}"), 400,
        ErrorCode.MALFORMED_REQUEST);
    assertError(postJson("/topics/surrogates", "{\"records\": [{\"value\": {\"\\udc00\": 1}}]}"), 400,
        ErrorCode.MALFORMED_REQUEST);
    // A proper pair is one character, and is kept.
    assertThat(postJson("/topics/surrogates", "{\"records\": [{\"value\": \"\\ud83d\\ude00\"}]}").statusCode())
        .isEqualTo(200);
    StreamingTest.Socket s = connect("/ws/produce?topic=surrogates");
    s.send("{\"id\": 1, \"records\": [{\"value\": \"\\ud800\"}]}");
    assertThat(s.next().getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    await(s.ws().close());
    var fetched = api.get("/topics/surrogates/partitions/0/records?offset=0");
    assertThat(fetched.bodyAsJsonArray()).hasSize(1);
    assertThat(fetched.bodyAsJsonArray().getJsonObject(0).getString("value")).isEqualTo("\ud83d\ude00");
  }

  @Test
  void aDuplicateKeyIsRefusedOnEveryJsonPath() throws Exception {
    api.createTopic("dupes", 1);
    assertError(postJson("/topics/dupes", "{\"records\": [{\"value\": 1, \"value\": 2}]}"), 400,
        ErrorCode.MALFORMED_REQUEST);
    var r = await(api.client.post("/consumers/g-dupes").putHeader("Content-Type", GroupsTestSupport.V2)
        .sendBuffer(Buffer.buffer("{\"name\": \"a\", \"name\": \"b\"}")));
    assertError(r, 400, ErrorCode.MALFORMED_REQUEST);
    StreamingTest.Socket s = connect("/ws/produce?topic=dupes");
    s.send("{\"records\": [{\"value\": 1}], \"records\": [{\"value\": 2}]}");
    assertThat(s.next().getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    await(s.ws().close());
    assertThat(api.get("/topics/dupes/partitions/0/offsets").bodyAsJsonObject().getLong("end_offset")).isZero();
  }

  // ------------------------------------------------------------------ one batch rule

  @Test
  void batchesRefuseWhatJsonProduceRefuses() {
    api.createTopic("batch-rule", 1);
    assertThat(postBatch("batch-rule", withAttributes(batch(1_000), 0)).statusCode()).isEqualTo(200);
    assertError(postBatch("batch-rule", withAttributes(batch(1_000), RecordBatch.CONTROL_FLAG_MASK)), 422,
        ErrorCode.INVALID_RECORD);
    // transactional without a producer id (a transactional producer is an idempotent one)
    assertError(postBatch("batch-rule", withAttributes(batch(1_000), RecordBatch.TRANSACTIONAL_FLAG_MASK)), 422,
        ErrorCode.INVALID_RECORD);
    assertError(postBatch("batch-rule", batch(-5)), 422, ErrorCode.INVALID_TIMESTAMP);
    assertError(postJson("/topics/batch-rule", "{\"records\": [{\"value\": 1, \"timestamp\": -5}]}"), 422,
        ErrorCode.INVALID_TIMESTAMP);
    assertThat(api.get("/topics/batch-rule/partitions/0/offsets").bodyAsJsonObject().getLong("end_offset"))
        .isEqualTo(1L);
  }

  private static ByteBuffer batch(long timestamp) {
    return new RecordBatchBuilder(CompressionType.NONE).append(timestamp, null, "v".getBytes(), List.<Header>of())
        .build();
  }

  /** {@code batch} with {@code flags} set in its attributes and its CRC made right again. */
  private static ByteBuffer withAttributes(ByteBuffer batch, int flags) {
    int start = batch.position();
    batch.putShort(start + RecordBatch.ATTRIBUTES_OFFSET,
        (short) (batch.getShort(start + RecordBatch.ATTRIBUTES_OFFSET) | flags));
    CRC32C crc = new CRC32C();
    crc.update(batch.slice(start + RecordBatch.ATTRIBUTES_OFFSET, batch.remaining() - RecordBatch.ATTRIBUTES_OFFSET));
    batch.putInt(start + RecordBatch.CRC_OFFSET, (int) crc.getValue());
    return batch;
  }

  private static HttpResponse<Buffer> postBatch(String topic, ByteBuffer batch) {
    byte[] bytes = new byte[batch.remaining()];
    batch.duplicate().get(bytes);
    return await(api.client.post("/topics/" + topic + "/partitions/0/batches")
        .putHeader("Content-Type", MediaTypes.SLUICE_BATCH).sendBuffer(Buffer.buffer(bytes)));
  }

  // ------------------------------------------------------------------ commits and offsets

  @Test
  void commitsToPartitionsOrTopicsThatDoNotExistAreRefusedAndLeaveNoLag() {
    api.createTopic("commit-real", 2);
    String base = api.consumer("g-commit-real", GroupsTestSupport.earliest("c1")
        .put("auto.commit.enable", "false"));
    assign(base, "commit-real", 0);
    assertError(commit(base, "commit-real", 2, 5), 404, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertError(commit(base, "no-such-topic", 0, 5), 404, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertThat(commit(base, "commit-real", 0, 5).statusCode()).isEqualTo(204);
    JsonArray lags = api.get("/consumer-groups/g-commit-real/lags").bodyAsJsonArray();
    assertThat(lags).hasSize(1);
    assertThat(lags.getJsonObject(0).getString("topic")).isEqualTo("commit-real");
    assertThat(lags.getJsonObject(0).getInteger("partition")).isZero();
  }

  @Test
  void getOffsetsAndLagsShowTheSameCommittedOffset() {
    api.createTopic("same-offset", 1);
    api.produce("same-offset", 0, 1_000, 10);
    String base = api.consumer("g-same-offset", GroupsTestSupport.earliest("c1"));
    assign(base, "same-offset", 0);
    assertThat(commit(base, "same-offset", 0, 6).statusCode()).isEqualTo(204);
    var offsets = await(api.client.get(base + "/offsets").putHeader("Content-Type", GroupsTestSupport.V2)
        .sendBuffer(new JsonObject().put("partitions", new JsonArray().add(new JsonObject()
            .put("topic", "same-offset").put("partition", 0))).toBuffer()));
    assertThat(offsets.statusCode()).as(offsets.bodyAsString()).isEqualTo(200);
    long shown = offsets.bodyAsJsonObject().getJsonArray("offsets").getJsonObject(0).getLong("offset");
    JsonObject lag = api.get("/consumer-groups/g-same-offset/lags").bodyAsJsonArray().getJsonObject(0);
    assertThat(shown).isEqualTo(6L);
    assertThat(lag.getLong("committed_offset")).isEqualTo(shown);
    assertThat(lag.getLong("next_offset")).isEqualTo(7L);
    assertThat(lag.getLong("lag")).isEqualTo(3L);
  }

  // ------------------------------------------------------------------ the consumer's own format

  @Test
  void theInstanceFormatDecidesAndAContradictingAcceptIs406() {
    api.createTopic("fmt", 1);
    api.produce("fmt", 0, 1_000, 1);
    String base = api.consumer("g-fmt", GroupsTestSupport.earliest("c1"));
    assign(base, "fmt", 0);
    var refused = await(api.client.get(base + "/records?timeout=0").putHeader("Accept", MediaTypes.KAFKA_BINARY_V2)
        .send());
    assertError(refused, 406, ErrorCode.NOT_ACCEPTABLE);
    var noAccept = await(api.client.get(base + "/records?timeout=5000").send());
    assertThat(noAccept.statusCode()).as(noAccept.bodyAsString()).isEqualTo(200);
    assertThat(noAccept.getHeader("Content-Type")).isEqualTo(MediaTypes.KAFKA_JSON_V2);
    assertThat(noAccept.bodyAsJsonArray().getJsonObject(0).getString("value")).isEqualTo("v0");
  }

  private static void assign(String base, String topic, int partition) {
    var r = api.post(base + "/assignments", new JsonObject().put("partitions", new JsonArray()
        .add(new JsonObject().put("topic", topic).put("partition", partition))));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
  }

  private static HttpResponse<Buffer> commit(String base, String topic, int partition, long offset) {
    return api.post(base + "/offsets", new JsonObject().put("offsets", new JsonArray().add(new JsonObject()
        .put("topic", topic).put("partition", partition).put("offset", offset))));
  }

  private static HttpResponse<Buffer> postJson(String path, String body) {
    return await(api.client.post(path).putHeader("Content-Type", MediaTypes.KAFKA_JSON_V2)
        .sendBuffer(Buffer.buffer(body)));
  }
}
