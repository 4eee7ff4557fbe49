package io.sluice.http;

import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Joins a WebSocket's data frames into messages and hands each message to the session exactly once: as text, or
 * as the reason it was refused. Vert.x's own message handlers drop a message that outgrows their limit without a
 * word and then swallow its remaining fragments, so a client counting replies would take the next message's reply
 * for it; here every message, whatever its fate, produces one call, in order.
 *
 * <p>Refused, each with MALFORMED_REQUEST, REQUEST_TOO_LARGE or BODY_MEMORY_EXHAUSTED: a message over
 * {@code maxMessageBytes} (its fragments are counted and dropped as they come, never buffered past the limit), a
 * binary message, text that is not UTF-8, a message whose fragments no longer fit in the broker's memory for
 * request data in flight ({@link WsFrameMeter}: held while joined, given back when handed on). A single frame over the server's frame limit never gets here: the WebSocket codec closes the socket
 * with close code 1009 and a reason, since it cannot skip an unread frame. Control frames are left to Vert.x.
 * Event-loop confined.
 */
final class WsMessageReader {
  private final int maxMessageBytes;
  private final Consumer<String> onText;
  private final Consumer<SluiceException> onRefused;
  /** Told each message's size on the wire, just before the message is handed on (client quotas count it). */
  private final LongConsumer onSize;
  /** The connection's watch, whose meter holds the message being joined; null when the connection has none. */
  private final ConnectionWatch watch;
  private Buffer message;
  private long messageBytes;
  private boolean binary;
  private boolean outOfMemory;

  private WsMessageReader(ConnectionWatch watch, int maxMessageBytes, Consumer<String> onText,
      Consumer<SluiceException> onRefused, LongConsumer onSize) {
    this.watch = watch;
    this.onSize = onSize;
    this.maxMessageBytes = maxMessageBytes;
    this.onText = onText;
    this.onRefused = onRefused;
  }

  /**
   * Reads {@code ws}'s messages from now on; pausing {@code ws} pauses the calls. Also sets {@code ws}'s exception
   * handler to {@link #closeIfCorrupt}: a session that wants its own must call that from it.
   */
  static void attach(ServerWebSocket ws, ConnectionWatch watch, int maxMessageBytes, Consumer<String> onText,
      Consumer<SluiceException> onRefused) {
    attach(ws, watch, maxMessageBytes, onText, onRefused, size -> { });
  }

  /** As above; {@code onSize} is told each message's bytes (refused ones' too) before it is handed on. */
  static void attach(ServerWebSocket ws, ConnectionWatch watch, int maxMessageBytes, Consumer<String> onText,
      Consumer<SluiceException> onRefused, LongConsumer onSize) {
    ws.frameHandler(new WsMessageReader(watch, maxMessageBytes, onText, onRefused, onSize)::onFrame);
    ws.exceptionHandler(t -> closeIfCorrupt(ws, t));
  }

  /**
   * Closes {@code ws} with the close code and reason of a frame the codec refused (1009 and "Max frame length of N
   * has been exceeded" for a frame over the limit). Vert.x turns the codec's own close frame off and would drop the
   * connection without one, leaving the client a bare 1006.
   */
  static void closeIfCorrupt(ServerWebSocket ws, Throwable t) {
    if (t instanceof CorruptedWebSocketFrameException corrupt && !ws.isClosed()) {
      ws.close((short) corrupt.closeStatus().code(), corrupt.getMessage());
    }
  }

  /** Asked at each frame: the watch makes the meter when the upgrade's answer goes out. */
  private WsFrameMeter meter() {
    return watch == null ? null : watch.frames();
  }

  private void onFrame(WebSocketFrame frame) {
    if (frame.isText() || frame.isBinary()) {
      binary = frame.isBinary();
      message = Buffer.buffer();
      messageBytes = 0;
      outOfMemory = false;
    } else if (!frame.isContinuation() || message == null) {
      return;
    }
    Buffer data = frame.binaryData();
    messageBytes += data.length();
    if (messageBytes <= maxMessageBytes && !binary && hold(data.length())) {
      message.appendBuffer(data);
    } else {
      message = Buffer.buffer(); // over a limit or refused anyway: count the rest, keep nothing
      release();
    }
    if (frame.isFinal()) {
      Buffer whole = message;
      message = null;
      release();
      onSize.accept(messageBytes);
      deliver(whole);
    }
  }

  private boolean hold(long bytes) {
    WsFrameMeter meter = meter();
    if (outOfMemory || (meter != null && !meter.holdMessageBytes(bytes))) {
      outOfMemory = true;
      return false;
    }
    return true;
  }

  private void release() {
    WsFrameMeter meter = meter();
    if (meter != null) {
      meter.releaseMessage();
    }
  }

  private void deliver(Buffer whole) {
    if (binary) {
      onRefused.accept(new SluiceException(ErrorCode.MALFORMED_REQUEST,
          "Binary messages are not accepted; send JSON text"));
    } else if (messageBytes > maxMessageBytes) {
      onRefused.accept(new SluiceException(ErrorCode.REQUEST_TOO_LARGE, "Message of " + messageBytes
          + " bytes exceeds the limit of " + maxMessageBytes + " bytes (http.ws.max.message.bytes)"));
    } else if (outOfMemory) {
      onRefused.accept(new SluiceException(ErrorCode.BODY_MEMORY_EXHAUSTED, "The broker holds its"
          + " http.max.inflight.body.bytes of request data in flight; this message of " + messageBytes
          + " bytes was dropped: send it again"));
    } else {
      String text;
      try {
        text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(whole.getBytes())).toString();
      } catch (CharacterCodingException e) {
        onRefused.accept(new SluiceException(ErrorCode.MALFORMED_REQUEST, "Text message is not valid UTF-8"));
        return;
      }
      onText.accept(text);
    }
  }
}
