package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.sluice.errors.ErrorCode;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * WebSocket data in flight counts against {@code http.max.inflight.body.bytes} as request bodies do: a frame whose
 * bytes are still arriving (held by the frame decoder) and the fragments of a message being joined. With room for
 * two largest frames: a third connection's frame closes it with 1013 (try again later); the room comes back when a
 * frame is in and decoded, when a joined message is handed on, and when a client goes away.
 */
class WsBodyMemoryTest extends HttpApiTestBase {
  private static final int MAX = 64 * 1024;
  private final List<Socket> sockets = new ArrayList<>();

  @Override
  HttpApiConfig config() {
    return super.config().withMaxBodyBytes(MAX).withWebSocketLimits(MAX, MAX)
        .withConnections(new ConnectionLimits(1_000, 60_000, 10_000, 0, 2L * MAX));
  }

  @AfterEach
  void closeSockets() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
  }

  @Test
  void aFrameArrivingBesideTwoOthersThatFillTheRoomClosesItsSocketWithTryAgainLater() throws Exception {
    createTopic("t", 1);
    Socket first = produceSocket();
    Socket second = produceSocket();
    write(first, WsFrameMeterTest.header(true, 1, MAX), new byte[10]);
    write(second, WsFrameMeterTest.header(true, 1, MAX), new byte[10]);
    FetchEndpointTest.eventually(() -> verticle.bodyMemoryUsed() == 2L * MAX);

    Socket third = produceSocket();
    write(third, WsFrameMeterTest.header(true, 1, MAX), new byte[10]);
    Frame close = readFrame(third);
    assertThat(close.opcode).isEqualTo(8);
    assertThat(close.closeCode()).isEqualTo(WebSocketCloseStatus.TRY_AGAIN_LATER.code());
    assertThat(close.text()).contains("http.max.inflight.body.bytes");

    first.close();
    FetchEndpointTest.eventually(() -> verticle.bodyMemoryUsed() == MAX);
    second.close();
    FetchEndpointTest.eventually(() -> verticle.bodyMemoryUsed() == 0);
  }

  @Test
  void fragmentsBeingJoinedAreHeldUntilTheMessageIsHandedOnOrItsClientGoesAway() throws Exception {
    createTopic("t", 1);
    int fragment = MAX - 4 * 1024;
    Socket first = produceSocket();
    Socket second = produceSocket();
    write(first, WsFrameMeterTest.header(false, 1, fragment), new byte[fragment]);
    write(second, WsFrameMeterTest.header(false, 1, fragment), new byte[fragment]);
    // Both frames are in and decoded: what is held now is the fragments the message reader keeps.
    FetchEndpointTest.eventually(() -> verticle.bodyMemoryUsed() == 2L * fragment);

    Socket third = produceSocket();
    write(third, WsFrameMeterTest.header(true, 1, 16 * 1024), new byte[16 * 1024]);
    assertThat(readFrame(third).closeCode()).isEqualTo(WebSocketCloseStatus.TRY_AGAIN_LATER.code());

    first.close();
    FetchEndpointTest.eventually(() -> verticle.bodyMemoryUsed() == fragment);
    write(second, WsFrameMeterTest.header(true, 0, 1), new byte[] {' '});
    assertThat(readFrame(second).text()).as("the joined message is answered (it is no JSON)")
        .contains("\"error_code\":" + ErrorCode.MALFORMED_REQUEST.code());
    FetchEndpointTest.eventually(() -> verticle.bodyMemoryUsed() == 0);
    byte[] records = "{\"records\":[{\"value\":\"v\"}]}".getBytes(StandardCharsets.UTF_8);
    write(second, WsFrameMeterTest.header(true, 1, records.length), records);
    assertThat(readFrame(second).text()).as("the same socket goes on").contains("\"offsets\"");
  }

  private Socket produceSocket() throws IOException {
    Socket s = new Socket();
    sockets.add(s);
    s.connect(new InetSocketAddress("127.0.0.1", verticle.actualPort()), 5_000);
    s.setSoTimeout(10_000);
    s.getOutputStream().write(("GET /ws/produce?topic=t HTTP/1.1\r\nHost: sluice\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    InputStream in = s.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      assertThat(b).as("closed during the handshake: " + head).isNotEqualTo(-1);
      head.write(b);
    }
    assertThat(head.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 101");
    return s;
  }

  /** The mask key is zero, so the payload goes as it is. */
  private static void write(Socket s, byte[] header, byte[] payload) throws IOException {
    s.getOutputStream().write(header);
    s.getOutputStream().write(payload);
    s.getOutputStream().flush();
  }

  private record Frame(int opcode, byte[] payload) {
    int closeCode() {
      return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
    }

    String text() {
      int from = opcode == 8 ? 2 : 0;
      return new String(Arrays.copyOfRange(payload, from, payload.length), StandardCharsets.UTF_8);
    }
  }

  /** One unmasked server frame. */
  private static Frame readFrame(Socket s) throws IOException {
    DataInputStream in = new DataInputStream(s.getInputStream());
    int b0 = in.readUnsignedByte();
    int len = in.readUnsignedByte() & 0x7f;
    long length = len == 126 ? in.readUnsignedShort() : len == 127 ? in.readLong() : len;
    byte[] payload = new byte[(int) length];
    in.readFully(payload);
    return new Frame(b0 & 0x0f, payload);
  }
}
