package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.sluice.api.TopicPartition;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RequestLimitsTest extends HttpApiTestBase {
  private static final int MAX_BODY = 4096;

  @Override
  HttpApiConfig config() {
    return HttpApiConfig.defaults("127.0.0.1", 0).withMaxBodyBytes(MAX_BODY).withMaxRecordsPerRequest(3);
  }

  @Test
  void tooManyRecordsIs413() {
    createTopic("t", 1);
    JsonArray records = new JsonArray();
    for (int i = 0; i < 4; i++) {
      records.add(new JsonObject().put("value", i));
    }
    assertError(produce("/topics/t", JSON_V2, records), 413, ErrorCode.RECORD_LIST_TOO_LARGE);
    records.remove(3);
    assertThat(produce("/topics/t", JSON_V2, records).statusCode()).isEqualTo(200);
  }

  @Test
  void bodyOverTheLimitIsJson413() {
    createTopic("t", 1);
    String big = "x".repeat(MAX_BODY);
    assertError(produce("/topics/t", JSON_V2, new JsonArray().add(new JsonObject().put("value", big))), 413,
        ErrorCode.REQUEST_TOO_LARGE);
    assertError(await(client.post("/topics/t/partitions/0/batches")
        .putHeader("Content-Type", MediaTypes.SLUICE_BATCH).sendBuffer(Buffer.buffer(new byte[MAX_BODY + 1]))), 413,
        ErrorCode.REQUEST_TOO_LARGE);
    assertError(await(client.post("/topics").sendJsonObject(new JsonObject().put("name", big))), 413,
        ErrorCode.REQUEST_TOO_LARGE);
    assertThat(broker.stored(new TopicPartition("t", 0))).isEmpty();
  }

  @Test
  void chunkedBodyOverTheLimitIsJson413() {
    createTopic("t", 1);
    HttpClientAgent http = vertx.createHttpClient();
    try {
      JsonObject answer = await(http.request(new RequestOptions().setMethod(HttpMethod.POST)
              .setHost("127.0.0.1").setPort(verticle.actualPort()).setURI("/topics/t"))
          .compose(req -> {
            req.setChunked(true).putHeader("Content-Type", JSON_V2);
            req.write("{\"records\": [{\"value\": \"");
            for (int i = 0; i < 4; i++) {
              req.write("y".repeat(MAX_BODY / 2));
            }
            req.end("\"}]}");
            return req.response();
          })
          .compose(resp -> resp.body().map(body -> new JsonObject().put("status", resp.statusCode())
              .put("body", new JsonObject(body)))));
      assertThat(answer.getInteger("status")).isEqualTo(413);
      assertThat(answer.getJsonObject("body").getInteger("error_code"))
          .isEqualTo(ErrorCode.REQUEST_TOO_LARGE.code());
    } finally {
      await(http.close());
    }
  }

  /**
   * The body handler refuses a body by its Content-Length before reading it and leaves the request paused: the rest
   * of the body stays on the connection, so the next request on it was never read (the Java producer, reusing the
   * connection for its smaller retry, waited for its request timeout). The answer names the limit, says
   * {@code Connection: close} and the broker closes the connection after it.
   */
  @Test
  void aBodyOverTheLimitIsAnsweredNamingTheLimitAndTheConnectionClosed() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", verticle.actualPort())) {
      socket.setSoTimeout(60_000); // a guard against waiting forever, not a measure: the broker closes at once
      OutputStream out = socket.getOutputStream();
      out.write(("POST /batches HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + MediaTypes.SLUICE_PARTITION_BATCHES
          + "\r\nContent-Length: " + 2 * MAX_BODY + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[2 * MAX_BODY]);
      out.flush();
      String answer = readToEnd(socket.getInputStream());
      assertThat(answer).startsWith("HTTP/1.1 413").containsIgnoringCase("connection: close")
          .contains("\"error_code\":" + ErrorCode.REQUEST_TOO_LARGE.code())
          .contains("http.max.body.bytes " + MAX_BODY);
    }
  }

  /** Everything the peer sends until it closes the connection. */
  private static String readToEnd(InputStream in) throws Exception {
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    byte[] chunk = new byte[4096];
    for (int n = in.read(chunk); n >= 0; n = in.read(chunk)) {
      read.write(chunk, 0, n);
    }
    return read.toString(StandardCharsets.US_ASCII);
  }
}
