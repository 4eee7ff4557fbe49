package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Request bodies in flight are bounded together ({@code http.max.inflight.body.bytes}), not only one by one: with
 * room for two largest bodies, two requests whose bodies are still arriving hold it, a third is answered 503
 * BODY_MEMORY_EXHAUSTED (its body read and dropped, so a client that writes it all first still gets the answer) and
 * its connection closed, requests without a body go on, and the room comes back
 * when a request is answered or its client goes away.
 */
class BodyMemoryTest extends HttpApiTestBase {
  private static final int MAX_BODY = 64 * 1024;
  private static final String PRODUCE = "POST /topics/t/partitions/0 HTTP/1.1\r\nHost: sluice\r\nContent-Type: "
      + JSON_V2 + "\r\nContent-Length: " + MAX_BODY + "\r\n\r\n";
  private final List<Socket> sockets = new ArrayList<>();

  @Override
  HttpApiConfig config() {
    return super.config().withMaxBodyBytes(MAX_BODY)
        .withConnections(new ConnectionLimits(1_000, 60_000, 10_000, 0, 2L * MAX_BODY));
  }

  @AfterEach
  void closeSockets() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
  }

  @Test
  void aBodyThatDoesNotFitBesideThoseArrivingIsRefusedAndTheRoomComesBack() throws Exception {
    createTopic("t", 1);
    byte[] body = produceBody(MAX_BODY);
    Socket slowA = open();
    Socket slowB = open();
    send(slowA, PRODUCE.getBytes(StandardCharsets.US_ASCII), body, 0, 100);
    send(slowB, PRODUCE.getBytes(StandardCharsets.US_ASCII), body, 0, 100);
    FetchEndpointTest.eventually(() -> verticle.bodyMemoryUsed() == 2L * MAX_BODY);

    Socket third = open();
    send(third, PRODUCE.getBytes(StandardCharsets.US_ASCII), body, 0, body.length);
    String refused = readResponse(third);
    assertThat(statusOf(refused)).isEqualTo(503);
    assertThat(refused).containsIgnoringCase("connection: close").containsIgnoringCase("retry-after: 1");
    JsonObject error = new JsonObject(refused.substring(refused.indexOf("\r\n\r\n") + 4));
    assertThat(error.getInteger("error_code")).isEqualTo(ErrorCode.BODY_MEMORY_EXHAUSTED.code());
    assertThat(error.getString("message")).contains("http.max.inflight.body.bytes");
    assertThat(third.getInputStream().read()).as("closed after the refusal").isEqualTo(-1);
    assertThat(get("/health").statusCode()).as("a request without a body").isEqualTo(200);

    slowA.close(); // a client that goes away mid-body gives its room back
    FetchEndpointTest.eventually(() -> verticle.bodyMemoryUsed() == MAX_BODY);
    Socket next = open();
    send(next, PRODUCE.getBytes(StandardCharsets.US_ASCII), body, 0, body.length);
    assertThat(statusOf(readResponse(next))).isEqualTo(200);

    send(slowB, new byte[0], body, 100, body.length); // so does one answered
    assertThat(statusOf(readResponse(slowB))).isEqualTo(200);
    FetchEndpointTest.eventually(() -> verticle.bodyMemoryUsed() == 0);
  }

  @Test
  void aChunkedBodyReservesTheLargestBodyAllowed() throws Exception {
    createTopic("t", 1);
    Socket chunked = open();
    send(chunked, ("POST /topics/t/partitions/0 HTTP/1.1\r\nHost: sluice\r\nContent-Type: " + JSON_V2
        + "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"rec\r\n").getBytes(StandardCharsets.US_ASCII), new byte[0], 0, 0);
    FetchEndpointTest.eventually(() -> verticle.bodyMemoryUsed() == MAX_BODY);
    chunked.close();
    FetchEndpointTest.eventually(() -> verticle.bodyMemoryUsed() == 0);
  }

  /** A JSON produce body of exactly {@code size} bytes. */
  private static byte[] produceBody(int size) {
    String shell = "{\"records\":[{\"value\":\"\"}]}";
    String json = "{\"records\":[{\"value\":\"" + "a".repeat(size - shell.length()) + "\"}]}";
    byte[] bytes = json.getBytes(StandardCharsets.US_ASCII);
    assertThat(bytes).hasSize(size);
    return bytes;
  }

  private Socket open() throws IOException {
    Socket s = new Socket();
    sockets.add(s);
    s.connect(new InetSocketAddress("127.0.0.1", verticle.actualPort()), 5_000);
    s.setSoTimeout(10_000);
    return s;
  }

  private static void send(Socket s, byte[] head, byte[] body, int from, int to) throws IOException {
    s.getOutputStream().write(head);
    s.getOutputStream().write(body, from, to - from);
    s.getOutputStream().flush();
  }

  /** One response: its head and its Content-Length body. */
  private static String readResponse(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (!out.toString(StandardCharsets.UTF_8).contains("\r\n\r\n")) {
      int b = in.read();
      if (b == -1) {
        throw new IOException("closed before a response; got: " + out.toString(StandardCharsets.UTF_8));
      }
      out.write(b);
    }
    String head = out.toString(StandardCharsets.UTF_8);
    int length = 0;
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring("content-length:".length()).trim());
      }
    }
    return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  private static int statusOf(String response) {
    return Integer.parseInt(response.substring(9, 12));
  }
}
