package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.management.UnixOperatingSystemMXBean;
import io.sluice.errors.ErrorCode;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Connection floods against a server with small limits, from raw sockets (at most a few dozen per test, each test
 * bounded in time): idle and request-head timeouts, counting at accept, the per-address limit, the file-descriptor
 * reserve; and that long polls, SSE streams and WebSockets outlive the idle timeout.
 */
class ConnectionLimitsTest extends HttpApiTestBase {
  private static final String HEALTH = "GET /health HTTP/1.1\r\nHost: sluice\r\n\r\n";
  private final List<Socket> sockets = new ArrayList<>();

  @AfterEach
  void closeSockets() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
  }

  /** Replaces the server the base class started with one under {@code limits} and {@code maxConnections}. */
  private void restart(int maxConnections, ConnectionLimits limits) {
    await(vertx.undeploy(verticle.deploymentID()));
    verticle = new HttpServerVerticle(broker, config().withMaxConnections(maxConnections).withConnections(limits),
        this::ready);
    await(vertx.deployVerticle(verticle, new DeploymentOptions()));
    client.close();
    client = io.sluice.broker.testing.TestClients.web(verticle.actualPort());
  }

  @Test
  void silentKeepAliveConnectionsAreClosedAfterTheIdleTimeoutAndNewClientsGetServed() throws Exception {
    restart(10, new ConnectionLimits(1_000, 1_000, 10_000, 0));
    List<Socket> silent = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Socket s = open();
      assertThat(statusOf(exchange(s, HEALTH))).isEqualTo(200);
      silent.add(s);
    }
    assertThat(statusOf(exchange(open(), HEALTH))).as("the slots are held").isEqualTo(503);
    for (Socket s : silent) {
      assertClosedByServer(s, 5_000);
    }
    FetchEndpointTest.eventually(() -> verticle.openConnections() == 0);
    assertThat(get("/health").statusCode()).isEqualTo(200);
  }

  @Test
  void connectionsWithoutACompleteHeadAreCountedAtAcceptAndClosedAtTheHeadDeadline() throws Exception {
    restart(100, new ConnectionLimits(1_000, 60_000, 1_000, 0));
    List<Socket> partial = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      Socket s = open();
      if (i % 2 == 0) {
        send(s, "GET /health HTTP/1.1\r\nHost: slu");
      }
      partial.add(s);
    }
    FetchEndpointTest.eventually(() -> verticle.openConnections() == 6);
    long start = System.nanoTime();
    for (Socket s : partial) {
      assertClosedByServer(s, 5_000);
    }
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThan(500);
    FetchEndpointTest.eventually(() -> verticle.openConnections() == 0);
  }

  @Test
  void aSlowlorisSendingAHeaderByteAtATimeIsClosedAtTheHeadDeadline() throws Exception {
    restart(100, new ConnectionLimits(1_000, 60_000, 1_000, 0));
    Socket s = open();
    s.setSoTimeout(50);
    byte[] head = "GET /health HTTP/1.1\r\nX-Padding: ".getBytes(StandardCharsets.US_ASCII);
    long start = System.nanoTime();
    boolean closed = false;
    for (int i = 0; i < 300 && !closed; i++) {
      try {
        s.getOutputStream().write(i < head.length ? head[i] : 'a');
        closed = s.getInputStream().read() == -1;
      } catch (SocketTimeoutException stillOpen) {
        // one byte per read timeout: the pace of a slowloris
      } catch (IOException reset) {
        closed = true;
      }
    }
    assertThat(closed).as("closed while still sending its head").isTrue();
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(800L, 6_000L);
  }

  @Test
  void theConnectionPastThePerAddressLimitIsClosedAtAcceptWhileOtherAddressesAreServed() throws Exception {
    restart(100, new ConnectionLimits(3, 60_000, 10_000, 0));
    List<Socket> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      held.add(open());
    }
    FetchEndpointTest.eventually(() -> verticle.openConnections() == 3);
    Socket fourth = open();
    assertClosedByServer(fourth, 5_000);
    assertThat(statusOf(exchange(held.get(0), HEALTH))).isEqualTo(200);
    Socket otherAddress = new Socket();
    sockets.add(otherAddress);
    otherAddress.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
    otherAddress.connect(new InetSocketAddress("127.0.0.1", verticle.actualPort()), 5_000);
    otherAddress.setSoTimeout(5_000);
    assertThat(statusOf(exchange(otherAddress, HEALTH))).as("/health from another address").isEqualTo(200);
    held.get(1).close();
    FetchEndpointTest.eventually(() -> verticle.openConnections() == 3);
    assertThat(statusOf(exchange(open(), HEALTH))).as("a freed slot is usable").isEqualTo(200);
  }

  @Test
  void nearTheDescriptorLimitNewConnectionsAreClosedAtAcceptAndExistingOnesKeepWorking() throws Exception {
    UnixOperatingSystemMXBean os = (UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    // First let the previous server's connections close, so the count below is not inflated by descriptors that
    // are freed right after it is taken (that left more than 100 connections of headroom once).
    restart(1_000, new ConnectionLimits(1_000, 60_000, 10_000, 0));
    // Leave about 40 descriptors above the reserve: 20 loopback connections, each one socket per side.
    long reserve = os.getMaxFileDescriptorCount() - os.getOpenFileDescriptorCount() - 40;
    restart(1_000, new ConnectionLimits(1_000, 60_000, 10_000, (int) Math.min(Integer.MAX_VALUE, reserve)));
    Socket kept = open();
    assertThat(statusOf(exchange(kept, HEALTH))).isEqualTo(200);
    boolean refused = false;
    for (int i = 0; i < 100 && !refused; i++) {
      Socket s = open();
      s.setSoTimeout(2_000);
      try {
        send(s, HEALTH);
        refused = s.getInputStream().read() == -1;
      } catch (IOException reset) {
        refused = true;
      }
    }
    assertThat(refused).as("a connection closed at accept within 100").isTrue();
    assertThat(statusOf(exchange(kept, HEALTH))).as("an existing connection keeps working").isEqualTo(200);
  }

  @Test
  void aLongPollLongerThanTheIdleTimeoutCompletes() throws Exception {
    restart(100, new ConnectionLimits(1_000, 500, 10_000, 0));
    createTopic("quiet", 1);
    Socket s = open();
    long start = System.nanoTime();
    String response = exchange(s, "GET /topics/quiet/partitions/0/records?offset=0&timeout=2000 HTTP/1.1\r\n"
        + "Host: sluice\r\nAccept: " + JSON_V2 + "\r\n\r\n");
    assertThat(statusOf(response)).as(response).isEqualTo(200);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(1_900);
  }

  @Test
  void anSseStreamQuieterThanTheIdleTimeoutStaysOpen() throws Exception {
    restart(100, new ConnectionLimits(1_000, 500, 10_000, 0));
    createTopic("sse", 1);
    Socket s = open();
    send(s, "GET /topics/sse/partitions/0/events HTTP/1.1\r\nHost: sluice\r\n\r\n");
    String head = readUntil(s.getInputStream(), "retry: 2000");
    assertThat(head).startsWith("HTTP/1.1 200");
    s.setSoTimeout(2_000);
    try {
      int b = s.getInputStream().read();
      assertThat(b).as("nothing but silence for 2 s, 4 idle timeouts").isNotEqualTo(-1);
    } catch (SocketTimeoutException expected) {
      // still open and quiet
    }
    s.setSoTimeout(10_000);
    produce("/topics/sse/partitions/0", JSON_V2, new JsonArray().add(new JsonObject().put("value", "late")));
    assertThat(readUntil(s.getInputStream(), "late")).contains("data:");
  }

  @Test
  void aWebSocketWaitingForRecordsIsPingedNotCutAndOneThatNeverAnswersIsClosed() throws Exception {
    restart(100, new ConnectionLimits(1_000, 1_000, 10_000, 0));
    createTopic("ws", 1);
    WebSocketClient wsClient = vertx.createWebSocketClient();
    try {
      LinkedBlockingQueue<String> frames = new LinkedBlockingQueue<>();
      WebSocket ws = await(wsClient.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
          .setPort(verticle.actualPort()).setURI("/ws/consume?topic=ws&partition=0&offset=0")));
      ws.textMessageHandler(frames::add);
      await(ws.writeTextMessage("{\"credit\": 10}"));
      assertThat(frames.poll(3_000, TimeUnit.MILLISECONDS)).as("no records yet").isNull();
      assertThat(ws.isClosed()).as("open after 3 s, 3 idle timeouts").isFalse();
      produce("/topics/ws/partitions/0", JSON_V2, new JsonArray().add(new JsonObject().put("value", "late")));
      assertThat(frames.poll(10, TimeUnit.SECONDS)).contains("late");
    } finally {
      await(wsClient.close());
    }
    Socket mute = open();
    String upgraded = exchangeHead(mute, "GET /ws/consume?topic=ws&partition=0 HTTP/1.1\r\nHost: sluice\r\n"
        + "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    assertThat(statusOf(upgraded)).isEqualTo(101);
    assertClosedByServer(mute, 8_000);
  }

  @Test
  void aConnectionUpgradedToH2cIsNotClosedAtTheHeadDeadline() throws Exception {
    restart(100, new ConnectionLimits(1_000, 10_000, 800, 0));
    java.net.http.HttpClient h2 = java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_2).build();
    java.net.http.HttpRequest health = java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + verticle.actualPort() + "/health")).build();
    java.net.http.HttpResponse<String> first = h2.send(health, java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(first.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
    // Let twice the head deadline pass on the upgraded connection; the client reuses it for the next request.
    long answered = System.nanoTime();
    FetchEndpointTest.eventually(() -> System.nanoTime() - answered > TimeUnit.MILLISECONDS.toNanos(1_600));
    assertThat(h2.send(health, java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
  }

  @Test
  void aBadChunkSizeIsAJsonBadRequest() throws Exception {
    createTopic("chunks", 1);
    Socket s = open();
    String response = exchange(s, "POST /topics/chunks/partitions/0 HTTP/1.1\r\nHost: sluice\r\nContent-Type: "
        + JSON_V2 + "\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n{\"records\":[]}\r\n0\r\n\r\n");
    assertThat(statusOf(response)).as(response).isEqualTo(400);
    JsonObject body = new JsonObject(response.substring(response.indexOf("\r\n\r\n") + 4));
    assertThat(body.getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    assertThat(body.getString("message")).contains("chunk");
  }

  @Test
  void aWebSocketRouteWithoutTheUpgradeIsAJsonBadRequest() {
    createTopic("plain", 1);
    HttpResponse<Buffer> consume = get("/ws/consume?topic=plain&partition=0");
    assertError(consume, 400, ErrorCode.MALFORMED_REQUEST);
    assertThat(consume.bodyAsJsonObject().getString("message")).contains("Upgrade");
    assertError(get("/ws/produce?topic=plain"), 400, ErrorCode.MALFORMED_REQUEST);
  }

  private Socket open() throws IOException {
    Socket s = new Socket();
    sockets.add(s);
    s.connect(new InetSocketAddress("127.0.0.1", verticle.actualPort()), 5_000);
    s.setSoTimeout(5_000);
    return s;
  }

  private static void send(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
  }

  /** Sends a request and reads one response: its head and a Content-Length body. */
  private static String exchange(Socket s, String request) throws IOException {
    String head = exchangeHead(s, request);
    int length = 0;
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring("content-length:".length()).trim());
      }
    }
    byte[] body = s.getInputStream().readNBytes(length);
    return head + new String(body, StandardCharsets.UTF_8);
  }

  private static String exchangeHead(Socket s, String request) throws IOException {
    send(s, request);
    return readUntil(s.getInputStream(), "\r\n\r\n");
  }

  private static String readUntil(InputStream in, String marker) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (!out.toString(StandardCharsets.UTF_8).contains(marker)) {
      int b = in.read();
      if (b == -1) {
        throw new IOException("closed before '" + marker + "'; got: " + out.toString(StandardCharsets.UTF_8));
      }
      out.write(b);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static int statusOf(String response) {
    return Integer.parseInt(response.substring(9, 12));
  }

  /** Reads (discarding anything the server still sends) until the server closes, within {@code timeoutMs}. */
  private static void assertClosedByServer(Socket s, long timeoutMs) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    s.setSoTimeout(100);
    while (System.nanoTime() < deadline) {
      try {
        if (s.getInputStream().read() == -1) {
          return;
        }
      } catch (SocketTimeoutException notYet) {
        // poll again until the deadline
      } catch (IOException reset) {
        return;
      }
    }
    throw new AssertionError("the server did not close the connection within " + timeoutMs + " ms");
  }
}
