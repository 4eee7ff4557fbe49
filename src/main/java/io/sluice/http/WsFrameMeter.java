package io.sluice.http;

import io.netty.buffer.ByteBuf;

/**
 * Holds a WebSocket connection's inbound data against {@link BodyMemory}, as HTTP bodies are: Netty's frame decoder
 * keeps a frame's bytes until the whole frame is in, and {@link WsMessageReader} keeps a message's fragments until
 * its last one, so without this 700 connections each holding one 1 MB frame (or fragment) short of its end took a
 * 512 MB broker down. Follows the client's frame headers in the raw bytes (before the decoder), reserves each
 * frame's payload length when its header is read and gives it back once the frame has passed on; the message
 * reader reserves the fragments it joins the same way. Everything is given back when the connection closes.
 * Event-loop confined.
 */
final class WsFrameMeter {
  private final BodyMemory memory;
  private final long maxFrameBytes;
  private final byte[] header = new byte[14];
  private int headerRead;
  private long payloadLeft;
  private long frameReserved;
  private long completedReserved;
  private long messageReserved;
  private boolean closed;

  WsFrameMeter(BodyMemory memory, long maxFrameBytes) {
    this.memory = memory;
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * Follows {@code buf}'s readable bytes without consuming them; false when a frame's payload does not fit in the
   * memory left (the connection is then to be closed: its bytes cannot be skipped).
   */
  boolean onRead(ByteBuf buf) {
    if (closed) {
      return true;
    }
    int i = buf.readerIndex();
    int end = buf.writerIndex();
    while (i < end) {
      if (payloadLeft > 0) {
        int n = (int) Math.min(payloadLeft, end - i);
        i += n;
        payloadLeft -= n;
        if (payloadLeft == 0) {
          completedReserved += frameReserved;
          frameReserved = 0;
        }
        continue;
      }
      header[headerRead++] = buf.getByte(i++);
      int length = headerLength();
      if (length < 0 || headerRead < length) {
        continue;
      }
      long payload = payloadLength();
      headerRead = 0;
      if (payload <= 0) {
        continue;
      }
      // A frame over the frame limit is the decoder's to refuse (close code 1009): let it see the frame.
      if (payload <= maxFrameBytes && !memory.tryReserve(payload)) {
        return false;
      }
      frameReserved = payload <= maxFrameBytes ? payload : 0;
      payloadLeft = payload;
    }
    return true;
  }

  /** Once a read has gone down the pipeline: the frames it completed were decoded and no longer held there. */
  void afterRead() {
    memory.release(completedReserved);
    completedReserved = 0;
  }

  /**
   * Reserves {@code bytes} of a message being joined; false (nothing reserved) when they do not fit. The frame they
   * came in was decoded in the read now going down the pipeline: its reservation passes to the message rather than
   * being counted twice until the read ends.
   */
  boolean holdMessageBytes(long bytes) {
    if (closed) {
      return false;
    }
    long fromFrames = Math.min(bytes, completedReserved);
    if (!memory.tryReserve(bytes - fromFrames)) {
      return false;
    }
    completedReserved -= fromFrames;
    messageReserved += bytes;
    return true;
  }

  /** The message joined so far was handed on or dropped. */
  void releaseMessage() {
    memory.release(messageReserved);
    messageReserved = 0;
  }

  void close() {
    closed = true;
    memory.release(frameReserved + completedReserved + messageReserved);
    frameReserved = 0;
    completedReserved = 0;
    messageReserved = 0;
  }

  /** The header's length once its first two bytes are in, else -1 (RFC 6455 section 5.2). */
  private int headerLength() {
    if (headerRead < 2) {
      return -1;
    }
    int len7 = header[1] & 0x7f;
    int extended = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    return 2 + extended + ((header[1] & 0x80) != 0 ? 4 : 0);
  }

  private long payloadLength() {
    int len7 = header[1] & 0x7f;
    if (len7 < 126) {
      return len7;
    }
    if (len7 == 126) {
      return ((header[2] & 0xffL) << 8) | (header[3] & 0xffL);
    }
    long length = 0;
    for (int b = 2; b < 10; b++) {
      length = (length << 8) | (header[b] & 0xffL);
    }
    return length < 0 ? Long.MAX_VALUE : length;
  }
}
