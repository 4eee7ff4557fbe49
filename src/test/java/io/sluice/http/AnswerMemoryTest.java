package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatches;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.ByteBuffer;

/**
 * JSON answers in flight are bounded together ({@code http.max.inflight.answer.bytes}): values of control bytes take
 * six times their stored size as JSON, so a slice that fits a fetch's max_bytes does not fit the bound; the answer
 * then carries the records that fit and says where to go on, a request finding almost no room is answered 503
 * ANSWER_MEMORY_EXHAUSTED, and the room comes back when answers end or their clients go away.
 */
class AnswerMemoryTest extends HttpApiTestBase {
  private static final int CAPACITY = 1 << 20;
  private static final int VALUE_BYTES = 16 * 1024;
  private static final int RECORDS = 40;

  @Override
  HttpApiConfig config() {
    return super.config().withFetchBytes(CAPACITY, CAPACITY)
        .withConnections(new ConnectionLimits(1_000, 60_000, 10_000, 0, 0, CAPACITY));
  }

  /** Segment file regions, as a broker's log answers: the JSON and h2c paths read only the prefix they can hold. */
  @Override
  boolean sliceMode() {
    return true;
  }

  /** 40 records of 16 KiB of 0x01 in 4 batches: 640 KiB stored, about 3.8 MiB as JSON. */
  private void fill() {
    createTopic("t", 1);
    byte[] ones = new byte[VALUE_BYTES];
    Arrays.fill(ones, (byte) 1);
    String value = Base64.getEncoder().encodeToString(ones);
    for (int b = 0; b < 4; b++) {
      JsonArray records = new JsonArray();
      for (int i = 0; i < RECORDS / 4; i++) {
        records.add(new JsonObject().put("value", value));
      }
      assertThat(produce("/topics/t/partitions/0", BINARY_V2, records).statusCode()).isEqualTo(200);
    }
  }

  private HttpResponse<Buffer> fetchFrom(long offset) {
    return fetch("t", 0, "offset=" + offset + "&max_bytes=" + CAPACITY, JSON_V2);
  }

  @Test
  void anAnswerLargerThanTheBoundCarriesTheRecordsThatFitAndWhereToGoOn() throws Exception {
    fill();
    long next = 0;
    int answers = 0;
    while (next < RECORDS) {
      HttpResponse<Buffer> response = fetchFrom(next);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body().length()).as("one answer's JSON").isLessThanOrEqualTo(CAPACITY);
      JsonArray records = response.bodyAsJsonArray();
      assertThat(records).as("always at least one record").isNotEmpty();
      for (int i = 0; i < records.size(); i++) {
        assertThat(records.getJsonObject(i).getLong("offset")).isEqualTo(next + i);
      }
      next += records.size();
      assertThat(Long.parseLong(response.getHeader(FetchEndpoint.NEXT_OFFSET))).isEqualTo(next);
      answers++;
    }
    assertThat(answers).as("the slice fits max_bytes but its JSON not the bound").isGreaterThan(1);
    FetchEndpointTest.eventually(() -> verticle.answerMemory().used() == 0);
  }

  @Test
  void concurrentAnswersStayWithinTheBoundAndAreAllValid() throws Exception {
    fill();
    List<Future<HttpResponse<Buffer>>> inFlight = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      inFlight.add(client.get("/topics/t/partitions/0/records?offset=0&max_bytes=" + CAPACITY)
          .putHeader("Accept", JSON_V2).send());
    }
    long total = 0;
    for (Future<HttpResponse<Buffer>> f : inFlight) {
      HttpResponse<Buffer> response = await(f);
      if (response.statusCode() == 503) {
        assertError(response, 503, ErrorCode.ANSWER_MEMORY_EXHAUSTED);
        continue;
      }
      assertThat(response.statusCode()).isEqualTo(200);
      JsonArray records = response.bodyAsJsonArray();
      assertThat(records).isNotEmpty();
      for (int i = 0; i < records.size(); i++) {
        assertThat(records.getJsonObject(i).getLong("offset")).isEqualTo(i);
      }
      assertThat(Long.parseLong(response.getHeader(FetchEndpoint.NEXT_OFFSET))).isEqualTo(records.size());
      total += response.body().length();
    }
    assertThat(total).as("some answers got room").isPositive();
    FetchEndpointTest.eventually(() -> verticle.answerMemory().used() == 0);
  }

  @Test
  void withAlmostNoRoomLeftTheAnswerIsRefusedAndWithLittleItIsCut() throws Exception {
    fill();
    AnswerMemory memory = verticle.answerMemory();
    AnswerMemory.Grant held = memory.reserve(CAPACITY);
    assertThat(held.bytes()).isEqualTo(CAPACITY);
    HttpResponse<Buffer> refused = fetchFrom(0);
    assertError(refused, 503, ErrorCode.ANSWER_MEMORY_EXHAUSTED);
    assertThat(refused.getHeader("Retry-After")).isEqualTo("1");
    assertThat(refused.bodyAsJsonObject().getString("message")).contains("http.max.inflight.answer.bytes");

    held.shrinkTo(CAPACITY - 4 * AnswerMemory.MIN_GRANT); // 256 KiB free: room for a few records' JSON
    HttpResponse<Buffer> cut = fetchFrom(0);
    assertThat(cut.statusCode()).isEqualTo(200);
    int records = cut.bodyAsJsonArray().size();
    assertThat(records).isBetween(1, 3);
    assertThat(cut.getHeader(FetchEndpoint.NEXT_OFFSET)).isEqualTo(Integer.toString(records));
    FetchEndpointTest.eventually(() -> memory.used() == held.bytes());
    held.close();
    assertThat(memory.used()).isZero();
  }

  @Test
  void rawBatchesOverH2cTakeTheWholeBatchesThatFit() throws Exception {
    fill();
    AnswerMemory.Grant held = verticle.answerMemory().reserve(CAPACITY - 200 * 1024); // a batch is about 160 KiB
    WebClient h2 = WebClient.create(vertx, new WebClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false).setDefaultHost("127.0.0.1").setDefaultPort(verticle.actualPort()));
    try {
      HttpResponse<Buffer> fetched = await(h2.get("/topics/t/partitions/0/records?offset=0&max_bytes=" + CAPACITY)
          .putHeader("Accept", MediaTypes.SLUICE_BATCH).send());
      assertThat(fetched.version()).isEqualTo(HttpVersion.HTTP_2);
      assertThat(fetched.statusCode()).as(fetched.bodyAsString()).isEqualTo(200);
      List<RecordBatch> batches = RecordBatches.split(ByteBuffer.wrap(fetched.body().getBytes()));
      assertThat(batches).hasSize(1);
      assertThat(fetched.getHeader(FetchEndpoint.NEXT_OFFSET)).isEqualTo(Integer.toString(RECORDS / 4));
    } finally {
      h2.close();
    }
    FetchEndpointTest.eventually(() -> verticle.answerMemory().used() == held.bytes());
    held.close();
  }

  @Test
  void aBoundBelowOneLargestFetchIsRefusedAtStartup() {
    ConnectionLimits tooSmall = new ConnectionLimits(1_000, 60_000, 10_000, 0, 0, CAPACITY - 1);
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
        .isThrownBy(() -> super.config().withFetchBytes(CAPACITY, CAPACITY).withConnections(tooSmall))
        .withMessageContaining("http.max.inflight.answer.bytes");
  }

  @Test
  void aClientGoneMidAnswerGivesItsRoomBack() throws Exception {
    fill();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", verticle.actualPort()));
      socket.getOutputStream().write(("GET /topics/t/partitions/0/records?offset=0&max_bytes=" + CAPACITY
          + " HTTP/1.1\r\nHost: sluice\r\nAccept: " + JSON_V2 + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      byte[] head = in.readNBytes(12);
      // Whether the rest is still being written or already sits in the kernel's buffers depends on the kernel:
      // either way the room comes back, at the response's end or at the connection's close.
      assertThat(new String(head, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
    }
    FetchEndpointTest.eventually(() -> verticle.answerMemory().used() == 0);
    assertThat(fetchFrom(0).statusCode()).isEqualTo(200);
  }

  /**
   * A consuming WebSocket's frames are held against the bound until the socket has taken them: 40 records of 3.8 MiB
   * of JSON went as one frame; now each frame fits the bound, and while the bound is taken by others the session
   * waits rather than sends, then goes on where it stopped. Nothing is skipped or sent twice.
   */
  @Test
  void aConsumingWebSocketSendsFramesThatFitTheBoundAndWaitsWhenItIsFull() throws Exception {
    fill();
    AnswerMemory memory = verticle.answerMemory();
    AnswerMemory.Grant others = memory.reserve(CAPACITY); // the whole bound held elsewhere at first
    java.util.concurrent.LinkedBlockingQueue<JsonObject> frames = new java.util.concurrent.LinkedBlockingQueue<>();
    io.vertx.core.http.WebSocket ws = await(vertx.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions()
        .setMaxMessageSize(CAPACITY).setMaxFrameSize(CAPACITY)).connect(
        new io.vertx.core.http.WebSocketConnectOptions().setHost("127.0.0.1").setPort(verticle.actualPort())
            .setURI("/ws/consume?topic=t&partition=0&offset=0&format=json")));
    ws.textMessageHandler(t -> frames.add(new JsonObject(t)));
    await(ws.writeTextMessage("{\"credit\": 1000}"));
    assertThat(frames.poll(3 * WsConsumeSession.RETRY_MS, java.util.concurrent.TimeUnit.MILLISECONDS))
        .as("no frame while the bound is full").isNull();
    others.close();
    List<Long> offsets = new ArrayList<>();
    int count = 0;
    while (offsets.size() < RECORDS) {
      JsonObject frame = frames.poll(20, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(frame).as("a frame within 20 s; used " + memory.used() + " offsets " + offsets).isNotNull();
      assertThat(frame.encode().length()).as("one frame").isLessThanOrEqualTo(CAPACITY);
      frame.getJsonArray("records").forEach(r -> offsets.add(((JsonObject) r).getLong("offset")));
      count++;
    }
    List<Long> expected = new ArrayList<>();
    for (long o = 0; o < RECORDS; o++) {
      expected.add(o);
    }
    assertThat(offsets).isEqualTo(expected);
    assertThat(count).isGreaterThan(1);
    await(ws.close());
    FetchEndpointTest.eventually(() -> memory.used() == 0);
  }

  /** Server-Sent Events, the same: every event once and in order while the bound is smaller than what was read. */
  @Test
  void serverSentEventsGoOnWithinTheBound() throws Exception {
    fill();
    AnswerMemory memory = verticle.answerMemory();
    AnswerMemory.Grant others = memory.reserve(CAPACITY - 300 * 1024); // room for about three events at a time
    List<Long> ids = new java.util.concurrent.CopyOnWriteArrayList<>();
    StringBuilder pending = new StringBuilder();
    io.vertx.core.Handler<Buffer> parser = chunk -> {
      synchronized (pending) {
        pending.append(chunk.toString(StandardCharsets.UTF_8));
        int end;
        while ((end = pending.indexOf("\n\n")) >= 0) {
          String event = pending.substring(0, end);
          pending.delete(0, end + 2);
          if (event.startsWith("id: ")) {
            ids.add(Long.parseLong(event.substring(4, event.indexOf('\n'))));
          }
        }
      }
    };
    // The handler is set on the event loop as the response arrives: set from this thread after await(), the events
    // written meanwhile were dropped (under load, all of them: the test then waited for events already sent).
    io.vertx.core.http.HttpClientResponse events = await(vertx.createHttpClient()
        .request(io.vertx.core.http.HttpMethod.GET, verticle.actualPort(), "127.0.0.1",
            "/topics/t/partitions/0/events?offset=0")
        .compose(io.vertx.core.http.HttpClientRequest::send)
        .map(response -> response.handler(parser)));
    FetchEndpointTest.eventually(() -> ids.size() >= 3);
    others.close();
    FetchEndpointTest.eventually(() -> ids.size() == RECORDS);
    for (int i = 0; i < RECORDS; i++) {
      assertThat(ids.get(i)).isEqualTo(i);
    }
    events.request().connection().close();
    FetchEndpointTest.eventually(() -> memory.used() == 0);
  }
}
