package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * A peer that takes none of the bytes waiting for it is closed after the idle timeout, and what its answer held in
 * the answers' memory comes back; a peer that reads slowly is never cut. A fetch's answer is a request in flight, so
 * the idle checks alone kept such a connection (and its answer's memory) for as long as the peer kept it open.
 */
class StalledPeerTest extends HttpApiTestBase {
  private static final int MAX_FETCH = 4 << 20;
  private static final int POOL = 4 * MAX_FETCH;
  private static final long IDLE_MS = 1_000;
  private static final int VALUE_BYTES = 16 * 1024;

  @Override
  HttpApiConfig config() {
    return super.config().withFetchBytes(MAX_FETCH, MAX_FETCH)
        .withConnections(new ConnectionLimits(1_000, IDLE_MS, 10_000, 0, 0, POOL));
  }

  @Override
  boolean sliceMode() {
    return true;
  }

  /**
   * 200 records of 16 KiB of 0x01: 3.2 MB stored, about 19 MB as JSON (each byte escaped to six), so one fetch's
   * answer fills the whole pool and is far more than the kernel's socket buffers (4 MiB at most here) can take.
   */
  private void fill() {
    createTopic("t", 1);
    byte[] ones = new byte[VALUE_BYTES];
    Arrays.fill(ones, (byte) 1);
    String value = Base64.getEncoder().encodeToString(ones);
    for (int b = 0; b < 10; b++) {
      JsonArray records = new JsonArray();
      for (int i = 0; i < 20; i++) {
        records.add(new JsonObject().put("value", value));
      }
      assertThat(produce("/topics/t/partitions/0", BINARY_V2, records).statusCode()).isEqualTo(200);
    }
  }

  private static Socket fetchWithTinyWindow(int port) throws Exception {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096); // before connect, so the advertised window stays small
    socket.connect(new InetSocketAddress("127.0.0.1", port));
    socket.getOutputStream().write(("GET /topics/t/partitions/0/records?offset=0&max_bytes=" + MAX_FETCH
        + " HTTP/1.1\r\nHost: sluice\r\nConnection: close\r\nAccept: " + JSON_V2 + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    return socket;
  }

  @Test
  void aPeerThatStopsReadingIsClosedAndItsAnswerMemoryComesBack() throws Exception {
    fill();
    AnswerMemory memory = verticle.answerMemory();
    try (Socket stalled = fetchWithTinyWindow(verticle.actualPort())) {
      InputStream in = stalled.getInputStream();
      assertThat(new String(in.readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
      FetchEndpointTest.eventually(() -> memory.used() > 0); // the answer is held while the peer reads nothing
      FetchEndpointTest.eventually(() -> memory.used() == 0); // ... until the stalled connection is closed
      stalled.setSoTimeout(10_000);
      byte[] rest = new byte[64 * 1024];
      long read = 0;
      try {
        for (int n; (n = in.read(rest)) > 0; ) {
          read += n;
        }
      } catch (java.net.SocketException reset) {
        // closed with bytes still unsent: a reset is as good an end as a FIN
      }
      assertThat(read).as("the peer got only what the kernel held, not the whole answer").isLessThan(POOL - 12);
    }
    assertThat(fetch("t", 0, "offset=0&max_bytes=" + MAX_FETCH, JSON_V2).statusCode()).isEqualTo(200);
  }

  /** A WebSocket peer that keeps sending (pings) but reads nothing is not idle, yet it is stalled. */
  @Test
  void aWebSocketThatKeepsSendingButNeverReadsIsClosed() throws Exception {
    fill();
    AnswerMemory memory = verticle.answerMemory();
    try (Socket ws = new Socket()) {
      ws.setReceiveBufferSize(4096);
      ws.connect(new InetSocketAddress("127.0.0.1", verticle.actualPort()));
      OutputStream out = ws.getOutputStream();
      out.write(("GET /ws/consume?topic=t&partition=0&offset=0&format=json HTTP/1.1\r\nHost: sluice\r\n"
          + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      assertThat(new String(ws.getInputStream().readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 101");
      out.write(clientFrame(0x1, "{\"credit\": 1000}"));
      // 19 MB of frames against a 16 MiB bound and a few MB of socket buffers: only a close gives the room back.
      FetchEndpointTest.eventually(() -> ping(out) && memory.used() > 0);
      FetchEndpointTest.eventually(() -> !ping(out) || memory.used() == 0);
      FetchEndpointTest.eventually(() -> memory.used() == 0);
    }
  }

  /** Sends a ping (the peer is anything but idle); false once the broker has closed the socket. */
  private static boolean ping(OutputStream out) {
    try {
      out.write(clientFrame(0x9, "?"));
      return true;
    } catch (java.io.IOException closed) {
      return false;
    }
  }

  /** A final, masked client frame (the mask key is zero, so the payload goes as it is). */
  private static byte[] clientFrame(int opcode, String payload) {
    byte[] data = payload.getBytes(StandardCharsets.UTF_8);
    byte[] frame = new byte[6 + data.length];
    frame[0] = (byte) (0x80 | opcode);
    frame[1] = (byte) (0x80 | data.length);
    System.arraycopy(data, 0, frame, 6, data.length);
    return frame;
  }

  @Test
  void aSlowReaderGetsTheWholeAnswer() throws Exception {
    fill();
    try (Socket slow = fetchWithTinyWindow(verticle.actualPort())) {
      slow.setSoTimeout(20_000);
      InputStream in = slow.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] chunk;
      // Pauses far shorter than the idle timeout: each read lets some of the answer move on.
      while ((chunk = in.readNBytes(256 * 1024)).length > 0) {
        got.write(chunk);
        Thread.sleep(IDLE_MS / 20);
      }
      String answer = got.toString(StandardCharsets.US_ASCII);
      assertThat(answer).startsWith("HTTP/1.1 200").endsWith("\r\n0\r\n\r\n");
      assertThat(got.size()).isGreaterThan(MAX_FETCH);
    }
    FetchEndpointTest.eventually(() -> verticle.answerMemory().used() == 0);
  }
}
