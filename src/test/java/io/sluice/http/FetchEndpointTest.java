package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class FetchEndpointTest extends HttpApiTestBase {

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Waits for a condition the server reaches asynchronously; fails after 30 s (generous: a loaded CI machine). */
  static void eventually(BooleanSupplier condition) {
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(condition::getAsBoolean);
  }

  @Test
  void jsonFetchParsesValuesBackAndFallsBackToStrings() {
    createTopic("t", 1);
    produce("/topics/t", JSON_V2, new JsonArray()
        .add(new JsonObject().put("key", new JsonArray().add(1)).put("value", new JsonObject().put("a", "b"))));
    produce("/topics/t", BINARY_V2, new JsonArray().add(new JsonObject().put("value", b64("not json {"))));

    HttpResponse<Buffer> r = fetch("t", 0, "offset=0", JSON_V2);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).isEqualTo(JSON_V2);
    JsonArray records = r.bodyAsJsonArray();
    assertThat(records.getJsonObject(0).getJsonArray("key")).isEqualTo(new JsonArray().add(1));
    assertThat(records.getJsonObject(0).getJsonObject("value")).isEqualTo(new JsonObject().put("a", "b"));
    assertThat(records.getJsonObject(1).getValue("key")).isNull();
    assertThat(records.getJsonObject(1).getString("value")).isEqualTo("not json {");
  }

  @Test
  void binaryFetchCarriesEverythingAndIsTheDefault() {
    createTopic("t", 2);
    produce("/topics/t/partitions/1", BINARY_V2, new JsonArray().add(new JsonObject()
        .put("key", b64("k")).put("value", b64("v")).put("timestamp", 77L)
        .put("headers", new JsonArray().add(new JsonObject().put("key", "h").put("value", b64("hv"))))));

    JsonObject expected = new JsonObject().put("topic", "t").put("key", b64("k")).put("value", b64("v"))
        .put("partition", 1).put("offset", 0).put("timestamp", 77)
        .put("headers", new JsonArray().add(new JsonObject().put("key", "h").put("value", b64("hv"))));
    assertThat(fetch("t", 1, "offset=0", BINARY_V2).bodyAsJsonArray()).containsExactly(expected);
    HttpResponse<Buffer> byDefault = await(client.get("/topics/t/partitions/1/records?offset=0").send());
    assertThat(byDefault.getHeader("Content-Type")).isEqualTo(BINARY_V2);
    assertThat(byDefault.bodyAsJsonArray()).containsExactly(expected);
    assertThat(fetch("t", 1, "offset=0", "text/html;q=0.9, */*;q=0.1").bodyAsJsonArray()).containsExactly(expected);
  }

  @Test
  void recordsBeforeTheOffsetInTheFirstBatchAreSkipped() {
    createTopic("t", 1);
    JsonArray five = new JsonArray();
    for (int i = 0; i < 5; i++) {
      five.add(new JsonObject().put("value", i));
    }
    produce("/topics/t", JSON_V2, five);

    HttpResponse<Buffer> r = fetch("t", 0, "offset=2", JSON_V2);
    assertThat(r.bodyAsJsonArray().stream().map(o -> ((JsonObject) o).getLong("offset")))
        .containsExactly(2L, 3L, 4L);
    assertThat(r.getHeader(FetchEndpoint.NEXT_OFFSET)).isEqualTo("5");
    assertThat(r.getHeader(FetchEndpoint.HIGH_WATERMARK)).isEqualTo("5");
    assertThat(r.getHeader(FetchEndpoint.LOG_START_OFFSET)).isEqualTo("0");
  }

  @Test
  void emptyPartitionAnswersAnEmptyArrayAfterTheTimeout() {
    createTopic("t", 1);
    HttpResponse<Buffer> r = fetch("t", 0, "offset=0&timeout=50", JSON_V2);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.bodyAsJsonArray()).isEmpty();
    assertThat(r.getHeader(FetchEndpoint.NEXT_OFFSET)).isEqualTo("0");
  }

  @Test
  void longPollAnswersAsSoonAsRecordsArrive() throws Exception {
    createTopic("t", 1);
    Future<HttpResponse<Buffer>> pending = client.get("/topics/t/partitions/0/records?offset=0&timeout=20000")
        .putHeader("Accept", JSON_V2).send();
    eventually(() -> broker.fetchesWaiting == 1);
    assertThat(pending.isComplete()).isFalse();

    produce("/topics/t", JSON_V2, new JsonArray().add(new JsonObject().put("value", "late")));

    JsonArray records = await(pending).bodyAsJsonArray();
    assertThat(records).hasSize(1);
    assertThat(records.getJsonObject(0).getString("value")).isEqualTo("late");
  }

  @Test
  void clientHangingUpDuringLongPollLeaksNothing() throws Exception {
    createTopic("t", 1);
    get("/health");
    int baseline = verticle.openConnections();
    HttpClientAgent http = vertx.createHttpClient();
    try {
      HttpClientRequest request = await(http.request(new RequestOptions().setMethod(HttpMethod.GET)
          .setHost("127.0.0.1").setPort(verticle.actualPort())
          .setURI("/topics/t/partitions/0/records?offset=0&timeout=20000")));
      request.send();
      eventually(() -> broker.fetchesWaiting == 1);
      eventually(() -> verticle.openConnections() == baseline + 1);

      await(request.connection().close());
      eventually(() -> verticle.openConnections() == baseline);
      produce("/topics/t", JSON_V2, new JsonArray().add(new JsonObject().put("value", 1)));
      eventually(() -> broker.fetchesWaiting == 0);

      assertThat(fetch("t", 0, "offset=0", JSON_V2).bodyAsJsonArray()).hasSize(1);
    } finally {
      await(http.close());
    }
  }

  @Test
  void largeAnswersAreStreamedWhole() {
    createTopic("t", 1);
    String payload = "p".repeat(2000);
    for (int request = 0; request < 4; request++) {
      JsonArray records = new JsonArray();
      for (int i = 0; i < 1000; i++) {
        records.add(new JsonObject().put("value", b64(payload + request + "-" + i)));
      }
      assertThat(produce("/topics/t", BINARY_V2, records).statusCode()).isEqualTo(200);
    }
    HttpResponse<Buffer> r = fetch("t", 0, "offset=0&max_bytes=" + 64 * 1024 * 1024, BINARY_V2);
    assertThat(r.getHeader("Transfer-Encoding")).isEqualTo("chunked");
    JsonArray records = r.bodyAsJsonArray();
    assertThat(records).hasSize(4000);
    for (int i = 0; i < 4000; i++) {
      JsonObject record = records.getJsonObject(i);
      assertThat(record.getLong("offset")).isEqualTo(i);
      assertThat(new String(Base64.getDecoder().decode(record.getString("value")), StandardCharsets.UTF_8))
          .isEqualTo(payload + (i / 1000) + "-" + (i % 1000));
    }
  }

  @Test
  void maxBytesLimitsTheAnswerToWholeBatches() {
    createTopic("t", 1);
    for (int i = 0; i < 3; i++) {
      produce("/topics/t", JSON_V2, new JsonArray().add(new JsonObject().put("value", "x".repeat(100))));
    }
    assertThat(fetch("t", 0, "offset=0&max_bytes=1", JSON_V2).bodyAsJsonArray()).hasSize(1);
    assertThat(fetch("t", 0, "offset=1&max_bytes=1", JSON_V2).bodyAsJsonArray().getJsonObject(0).getLong("offset"))
        .isEqualTo(1L);
  }

  @Test
  void badFetchParametersAreRejected() {
    createTopic("t", 1);
    produce("/topics/t", JSON_V2, new JsonArray().add(new JsonObject().put("value", 1)));
    assertError(fetch("t", 0, "", JSON_V2), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(fetch("t", 0, "offset=-1", JSON_V2), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(fetch("t", 0, "offset=abc", JSON_V2), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(fetch("t", 0, "offset=0&max_bytes=0", JSON_V2), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(fetch("t", 0, "offset=0&timeout=-5", JSON_V2), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(fetch("t", 0, "offset=0&min_bytes=x", JSON_V2), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(fetch("t", 0, "offset=2", JSON_V2), 416, ErrorCode.OFFSET_OUT_OF_RANGE);
    assertError(fetch("t", 1, "offset=0", JSON_V2), 404, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertError(fetch("nope", 0, "offset=0", JSON_V2), 404, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertError(fetch("t", 0, "offset=0", "text/html"), 406, ErrorCode.NOT_ACCEPTABLE);
  }
}
