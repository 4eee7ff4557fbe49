package io.sluice.http;

import static io.sluice.http.GroupsTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** WebSocket consume and produce, and Server-Sent Events, on a real broker. */
class StreamingTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  static Path dataDir;
  static GroupsTestSupport api;
  static WebSocketClient wsClient;
  /** The test's own client Vert.x: the guard watches the broker's loops, not a client linking its code. */
  static Vertx clientVertx;

  @BeforeAll
  static void start() throws Exception {
    api = new GroupsTestSupport(dataDir, GUARD, Map.of());
    clientVertx = Vertx.vertx();
    wsClient = clientVertx.createWebSocketClient();
  }

  @AfterAll
  static void stop() throws Exception {
    await(wsClient.close());
    await(clientVertx.close());
    api.close();
  }

  /** A connected socket whose text frames are queued as JSON objects. */
  record Socket(WebSocket ws, LinkedBlockingQueue<JsonObject> frames) {
    JsonObject next() throws InterruptedException {
      JsonObject f = frames.poll(20, TimeUnit.SECONDS);
      assertThat(f).as("a frame within 20 s").isNotNull();
      return f;
    }

    void send(String text) {
      await(ws.writeTextMessage(text));
    }
  }

  static Socket connect(String uri) {
    LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    WebSocket ws = await(wsClient.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
        .setPort(api.broker.httpPort()).setURI(uri)));
    ws.textMessageHandler(t -> frames.add(new JsonObject(t)));
    return new Socket(ws, frames);
  }

  @Test
  void clientGrantingTenRecordsGetsExactlyTen() throws Exception {
    api.createTopic("ws-credit", 1);
    api.produce("ws-credit", 0, 1_000, 50);
    Socket s = connect("/ws/consume?topic=ws-credit&partition=0&offset=0");
    s.send("{\"credit\": 10}");
    List<Long> offsets = new ArrayList<>();
    while (offsets.size() < 10) {
      JsonObject f = s.next();
      f.getJsonArray("records").forEach(r -> offsets.add(((JsonObject) r).getLong("offset")));
    }
    // Frames are answered in order: if anything beyond the credit had been sent, it would arrive before this error.
    s.send("{\"bogus\": 1}");
    JsonObject error = s.next();
    assertThat(error.getInteger("error_code")).as(error.encode()).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    assertThat(offsets).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
    s.send("{\"credit\": 5}");
    while (offsets.size() < 15) {
      s.next().getJsonArray("records").forEach(r -> offsets.add(((JsonObject) r).getLong("offset")));
    }
    s.send("not json");
    assertThat(s.next().getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    assertThat(offsets).hasSize(15).endsWith(14L);
    await(s.ws().close());
  }

  @Test
  void badFramesGetErrorFramesAndTheConnectionKeepsWorking() throws Exception {
    api.createTopic("ws-bad", 1);
    Socket s = connect("/ws/consume?topic=ws-bad&partition=0");
    for (String bad : List.of("[1,2]", "{\"credit\": -3}", "{\"credit\": \"ten\"}", "{}",
        "{\"commit\": [{\"topic\": \"ws-bad\", \"partition\": 0, \"offset\": 1}]}")) {
      s.send(bad);
      JsonObject f = s.next();
      assertThat(f.getInteger("error_code")).as(bad + " -> " + f.encode()).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
      assertThat(f.getString("message")).isNotBlank();
    }
    s.send("{\"credit\": 1}");
    api.produce("ws-bad", 0, 1_000, 2);
    assertThat(s.next().getJsonArray("records")).hasSize(1);
    await(s.ws().close());
  }

  @Test
  void badParametersAreRefusedBeforeTheUpgrade() {
    api.createTopic("ws-params", 1);
    GroupsTestSupport.assertError(api.get("/ws/consume?topic=ws-params"), 400, ErrorCode.MALFORMED_REQUEST);
    GroupsTestSupport.assertError(api.get("/ws/consume?topic=nope&partition=0"), 404,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    GroupsTestSupport.assertError(api.get("/ws/consume?group=g"), 400, ErrorCode.MALFORMED_REQUEST);
    GroupsTestSupport.assertError(api.get("/ws/consume?topic=ws-params&partition=0&format=xml"), 400,
        ErrorCode.MALFORMED_REQUEST);
    GroupsTestSupport.assertError(api.get("/topics/ws-params/partitions/0/events?offset=x"), 400,
        ErrorCode.MALFORMED_REQUEST);
  }

  @Test
  void groupConsumerOverWebSocketReceivesAndCommits() throws Exception {
    Socket s = groupSocketOnTwoPartitions("ws-group", "g-ws", 3, 6);
    JsonArray got = new JsonArray();
    while (got.size() < 6) {
      got.addAll(s.next().getJsonArray("records"));
    }
    s.send("{\"commit\": [{\"topic\": \"ws-group\", \"partition\": 0, \"offset\": 2, \"metadata\": \"ws-7\"}]}");
    assertThat(s.next().getJsonArray("committed")).hasSize(1);
    JsonArray lags = api.get("/consumer-groups/g-ws/lags").bodyAsJsonArray();
    assertThat(lags.getJsonObject(0).getMap()).containsEntry("next_offset", 3).containsEntry("lag", 0);
    // The commit's metadata is kept, as over REST v2 (it was dropped): any instance of the group reads it back.
    String reader = api.consumer("g-ws", new JsonObject().put("name", "reader").put("format", "json"));
    JsonObject committed = api.get(reader + "/offsets", new JsonObject().put("partitions", new JsonArray()
        .add(new JsonObject().put("topic", "ws-group").put("partition", 0)))).bodyAsJsonObject();
    assertThat(committed.getJsonArray("offsets").getJsonObject(0).getMap()).containsEntry("offset", 2)
        .containsEntry("metadata", "ws-7");
    await(s.ws().close());
  }

  /**
   * A static WebSocket member (group.instance.id): its closed socket leaves the member in the group, a reconnect with
   * the id takes it back in the same generation, and a second socket with the id fences the first.
   */
  @Test
  void aStaticWebSocketMemberReconnectsWithoutARebalanceAndASecondSocketFencesTheFirst() throws Exception {
    api.createTopic("ws-static", 2);
    api.produce("ws-static", 0, 1_000, 1);
    api.produce("ws-static", 1, 1_000, 1);
    String uri = "/ws/consume?group=g-ws-static&topics=ws-static&auto.offset.reset=earliest&group.instance.id=ws-1";
    Socket first = connect(uri);
    first.send("{\"credit\": 100}");
    JsonArray got = new JsonArray();
    while (got.size() < 2) {
      got.addAll(first.next().getJsonArray("records"));
    }
    JsonObject before = api.get("/consumer-groups/g-ws-static").bodyAsJsonObject();
    await(first.ws().close());
    JsonObject closed = api.get("/consumer-groups/g-ws-static").bodyAsJsonObject();
    assertThat(closed.getInteger("generation")).isEqualTo(before.getInteger("generation"));
    assertThat(closed.getJsonArray("members").getJsonObject(0).getString("group_instance_id")).isEqualTo("ws-1");

    Socket second = connect(uri);
    second.send("{\"credit\": 100}");
    api.produce("ws-static", 0, 2_000, 1);
    assertThat(second.next().getJsonArray("records")).isNotEmpty();
    JsonObject after = api.get("/consumer-groups/g-ws-static").bodyAsJsonObject();
    assertThat(after.getInteger("generation")).isEqualTo(before.getInteger("generation"));
    assertThat(after.getJsonArray("members")).hasSize(1);

    String secondName = memberName(api, "g-ws-static");
    Socket third = connect(uri);
    third.send("{\"credit\": 100}");
    GroupsTestSupport.until(20_000, "the third socket to hold the membership",
        () -> !memberName(api, "g-ws-static").equals(secondName));
    api.produce("ws-static", 1, 3_000, 1); // wakes the second socket's parked read; its next read is refused
    JsonObject frame = second.next();
    while (frame.containsKey("records")) {
      frame = second.next();
    }
    assertThat(frame.getInteger("error_code")).as(frame.encode()).isEqualTo(ErrorCode.FENCED_INSTANCE_ID.code());
    assertThat(api.get("/consumer-groups/g-ws-static").bodyAsJsonObject().getInteger("generation"))
        .isEqualTo(before.getInteger("generation"));
    await(second.ws().close());
    await(third.ws().close());
  }

  /**
   * Records frames name the membership they were read under, and a commit frame naming it is fenced as a REST v2
   * commit is: once another member took a partition in a rebalance, the socket's commit of it under the old
   * generation is refused (ILLEGAL_GENERATION) and the new owner's offset stays.
   */
  @Test
  void aWebSocketCommitUnderAnOldGenerationIsRefusedAndTheNewOwnersOffsetStays() throws Exception {
    Socket s = groupSocketOnTwoPartitions("ws-fence", "g-ws-fence", 1, 100);
    JsonObject old = s.next();
    assertThat(old.getString("member_id")).as(old.encode()).isNotBlank();
    assertThat(old.getInteger("generation_id")).as(old.encode()).isPositive();

    String b = api.consumer("g-ws-fence", GroupsTestSupport.earliest("b"));
    api.subscribe(b, "ws-fence");
    GroupsTestSupport.until(60_000, "a stable group of two", () -> {
      api.poll(b, 0);
      return api.get("/consumer-groups/g-ws-fence").bodyAsJsonObject().getString("state").equals("Stable")
          && api.owned(b).size() == 1;
    });
    int lost = api.assignment(b).getJsonObject(0).getInteger("partition");
    JsonObject bFence = api.get(b + "/assignments").bodyAsJsonObject();
    assertThat(api.post(b + "/offsets", new JsonObject().put("offsets", new JsonArray().add(new JsonObject()
        .put("topic", "ws-fence").put("partition", lost).put("offset", 7)))
        .put("member_id", bFence.getString("member_id")).put("generation_id", bFence.getInteger("generation_id")))
        .statusCode()).isEqualTo(204);

    s.send(commitFrame(lost, 0, old.getString("member_id"), old.getInteger("generation_id"), "zombie"));
    JsonObject refused = nextNotRecords(s);
    assertThat(refused.getInteger("error_code")).as(refused.encode()).isEqualTo(ErrorCode.ILLEGAL_GENERATION.code());
    assertThat(refused.getString("id")).isEqualTo("zombie");
    assertThat(lagsOf("g-ws-fence", lost).getLong("next_offset")).isEqualTo(8);

    // Records read since the rebalance name the new generation, under which the socket commits what it still owns.
    api.produce("ws-fence", 1 - lost, 2_000, 1);
    JsonObject current = s.next();
    while (!current.containsKey("records") || current.getJsonArray("records").isEmpty()
        || current.getInteger("generation_id").equals(old.getInteger("generation_id"))) {
      current = s.next();
    }
    s.send(commitFrame(1 - lost, 1, current.getString("member_id"), current.getInteger("generation_id"), "owner"));
    assertThat(nextNotRecords(s).getString("id")).isEqualTo("owner");
    assertThat(lagsOf("g-ws-fence", 1 - lost).getLong("next_offset")).isEqualTo(2);
    // A fence without a commit, or one that is not a member id and a generation, is a bad frame.
    s.send("{\"member_id\": \"m\", \"generation_id\": 1}");
    assertThat(nextNotRecords(s).getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    s.send("{\"commit\": [], \"generation_id\": \"one\"}");
    assertThat(nextNotRecords(s).getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    await(s.ws().close());
  }

  /** A socket of group {@code group} on a new topic of two partitions holding {@code each} records, granting credit. */
  private static Socket groupSocketOnTwoPartitions(String topic, String group, int each, int credit) {
    api.createTopic(topic, 2);
    api.produce(topic, 0, 1_000, each);
    api.produce(topic, 1, 1_000, each);
    Socket s = connect("/ws/consume?group=" + group + "&topics=" + topic + "&auto.offset.reset=earliest");
    s.send("{\"credit\": " + credit + "}");
    return s;
  }

  private static String commitFrame(int partition, long offset, String memberId, int generation, String id) {
    return new JsonObject().put("commit", new JsonArray().add(new JsonObject().put("topic", "ws-fence")
        .put("partition", partition).put("offset", offset))).put("member_id", memberId)
        .put("generation_id", generation).put("id", id).encode();
  }

  private static JsonObject nextNotRecords(Socket s) throws InterruptedException {
    JsonObject f = s.next();
    while (f.containsKey("records")) {
      f = s.next();
    }
    return f;
  }

  private static JsonObject lagsOf(String group, int partition) {
    for (Object o : api.get("/consumer-groups/" + group + "/lags").bodyAsJsonArray()) {
      if (((JsonObject) o).getInteger("partition") == partition) {
        return (JsonObject) o;
      }
    }
    throw new AssertionError("no lag of partition " + partition + " in " + group);
  }

  private static String memberName(GroupsTestSupport api, String group) {
    return api.get("/consumer-groups/" + group).bodyAsJsonObject().getJsonArray("members").getJsonObject(0)
        .getString("instance_id");
  }

  @Test
  void produceFramesGetOffsetFramesInOrder() throws Exception {
    Socket s = connect("/ws/produce?topic=ws-produce");
    s.send("{\"records\": [{\"value\": 1, \"partition\": 0}, {\"value\": 2, \"partition\": 0}]}");
    s.send("{\"records\": []}");
    s.send("{\"records\": [{\"value\": 3, \"partition\": 0}]}");
    JsonObject first = s.next();
    assertThat(first.getJsonArray("offsets").getJsonObject(1).getLong("offset")).isEqualTo(1);
    assertThat(s.next().getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    assertThat(s.next().getJsonArray("offsets").getJsonObject(0).getLong("offset")).isEqualTo(2);
    await(s.ws().close());
  }

  @Test
  void aLargeMessageDecodedOffTheEventLoopIsStillProducedBeforeTheSmallOnesAfterIt() throws Exception {
    api.createTopic("ws-large", 1);
    Socket s = connect("/ws/produce?topic=ws-large");
    JsonArray large = new JsonArray();
    String value = "v".repeat(2_000);
    for (int i = 0; i < 50; i++) {
      large.add(new JsonObject().put("value", value + i).put("partition", 0));
    }
    String largeMessage = new JsonObject().put("id", "large").put("records", large).encode();
    assertThat(largeMessage.length()).isGreaterThan(BodyDecoding.INLINE_MAX_BYTES);
    s.send(largeMessage);
    for (int i = 0; i < 3; i++) {
      s.send("{\"id\": " + i + ", \"records\": [{\"value\": \"small\", \"partition\": 0}]}");
    }
    JsonObject first = s.next();
    assertThat(first.getString("id")).isEqualTo("large");
    JsonArray offsets = first.getJsonArray("offsets");
    assertThat(offsets).hasSize(50);
    assertThat(offsets.getJsonObject(49).getLong("offset")).isEqualTo(49);
    for (int i = 0; i < 3; i++) {
      JsonObject reply = s.next();
      assertThat(reply.getInteger("id")).isEqualTo(i);
      assertThat(reply.getJsonArray("offsets").getJsonObject(0).getLong("offset")).isEqualTo(50 + i);
    }
    await(s.ws().close());
  }

  @Test
  void serverSentEventsResumeAfterLastEventId() throws Exception {
    api.createTopic("sse", 1);
    api.produce("sse", 0, 1_000, 6);
    HttpClient http = api.broker.vertx().createHttpClient();
    try {
      List<String> ids = readEvents(http, "/topics/sse/partitions/0/events?offset=0", null, 3);
      assertThat(ids).containsExactly("0", "1", "2");
      assertThat(readEvents(http, "/topics/sse/partitions/0/events?offset=0", "2", 2)).containsExactly("3", "4");
    } finally {
      await(http.close());
    }
  }

  /** Reads the ids of the first {@code count} events, then hangs up. */
  private static List<String> readEvents(HttpClient http, String uri, String lastEventId, int count)
      throws Exception {
    return readEvents(http, api.broker.httpPort(), uri, lastEventId, count);
  }

  /** Like the above, from the broker at {@code port}. */
  static List<String> readEvents(HttpClient http, int port, String uri, String lastEventId, int count)
      throws Exception {
    LinkedBlockingQueue<String> ids = new LinkedBlockingQueue<>();
    StringBuilder text = new StringBuilder();
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
        .setPort(port).setURI(uri);
    if (lastEventId != null) {
      options.putHeader("Last-Event-ID", lastEventId);
    }
    HttpClientResponse response = await(http.request(options).compose(r -> r.send()).onSuccess(resp -> {
      // The handler is set on the event loop as the response arrives, so no chunk is missed.
      resp.handler((Buffer b) -> {
        text.append(b.toString());
        int end;
        while ((end = text.indexOf("\n\n")) >= 0) {
          String event = text.substring(0, end);
          text.delete(0, end + 2);
          String id = null;
          JsonObject data = null;
          for (String line : event.split("\n")) {
            if (line.startsWith("id: ")) {
              id = line.substring(4);
            } else if (line.startsWith("data: ")) {
              data = new JsonObject(line.substring(6));
            }
          }
          if (id != null) {
            // Each event is one record: its id is the offset and its data the record, of the topic asked for.
            boolean matches = data != null && String.valueOf(data.getLong("offset")).equals(id)
                && uri.startsWith("/topics/" + data.getString("topic") + "/");
            ids.add(matches ? id : "bad event: id " + id + ", data " + data);
          }
        }
      });
    }));
    assertThat(response.getHeader("Content-Type")).isEqualTo("text/event-stream");
    List<String> out = new ArrayList<>();
    while (out.size() < count) {
      String id = ids.poll(20, TimeUnit.SECONDS);
      assertThat(id).as("an event within 20 s").isNotNull();
      out.add(id);
    }
    response.request().connection().close();
    return out;
  }
}
