package io.sluice.broker.replication;

import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * Cuts a replica link's byte stream into frames: {@code bodyLength:int32 correlationId:int64 body}. A body is never
 * copied: one that arrives whole in one read is a slice of that read, one split across reads a composite of the reads'
 * slices (unlike Vert.x's RecordParser, which appends every read to a growing buffer and then copies each frame out of
 * it). Reads are Vert.x's own heap copies, never reused, so holding slices of them is safe. Not thread-safe: one
 * connection, one context.
 */
public final class LinkFrameParser implements Handler<Buffer> {
  /** Bytes before a frame's body. */
  public static final int HEADER = 12;

  /** What receives each frame's correlation id and body. */
  @FunctionalInterface
  public interface FrameHandler {
    void frame(long correlationId, Buffer body);
  }

  private final int maxBodyLength;
  private final FrameHandler handler;
  /** The header's bytes while it arrives split across reads; null otherwise. */
  private Buffer header;
  /** Whether a header was read and its body is awaited. */
  private boolean inBody;
  private int bodyLength;
  private long correlationId;
  /** The parts of the body read so far, when it spans reads; null until its first part arrives. */
  private CompositeByteBuf body;

  public LinkFrameParser(int maxBodyLength, FrameHandler handler) {
    this.maxBodyLength = maxBodyLength;
    this.handler = handler;
  }

  @Override
  public void handle(Buffer chunk) {
    int pos = 0;
    int end = chunk.length();
    while (pos < end || (inBody && bodyLength == 0)) {
      pos = inBody ? readBody(chunk, pos, end) : readHeader(chunk, pos, end);
    }
  }

  private int readHeader(Buffer chunk, int pos, int end) {
    if (header == null && end - pos >= HEADER) {
      startBody(chunk.getInt(pos), chunk.getLong(pos + 4));
      return pos + HEADER;
    }
    if (header == null) {
      header = Buffer.buffer(HEADER);
    }
    int take = Math.min(HEADER - header.length(), end - pos);
    header.appendBuffer(chunk, pos, take);
    if (header.length() == HEADER) {
      startBody(header.getInt(0), header.getLong(4));
      header = null;
    }
    return pos + take;
  }

  private void startBody(int length, long id) {
    if (length < 0 || length > maxBodyLength) {
      // Garbage or another protocol: nothing after it can be trusted, the connection's owner closes it.
      throw new IllegalStateException("Replica link frame of " + length + " bytes (at most " + maxBodyLength + ")");
    }
    bodyLength = length;
    correlationId = id;
    inBody = true;
  }

  private int readBody(Buffer chunk, int pos, int end) {
    if (body == null && end - pos >= bodyLength) {
      inBody = false;
      handler.frame(correlationId, chunk.slice(pos, pos + bodyLength));
      return pos + bodyLength;
    }
    if (body == null) {
      body = Unpooled.compositeBuffer(Integer.MAX_VALUE);
    }
    int take = Math.min(bodyLength - body.readableBytes(), end - pos);
    body.addComponent(true, ((BufferInternal) chunk.slice(pos, pos + take)).getByteBuf());
    if (body.readableBytes() == bodyLength) {
      Buffer whole = BufferInternal.buffer(body);
      body = null;
      inBody = false;
      handler.frame(correlationId, whole);
    }
    return pos + take;
  }

  /** The header of a frame whose body is {@code bodyLength} bytes, with room for the body's first bytes. */
  public static Buffer header(long correlationId, int bodyLength, int extra) {
    return Buffer.buffer(HEADER + extra).appendInt(bodyLength).appendLong(correlationId);
  }
}
