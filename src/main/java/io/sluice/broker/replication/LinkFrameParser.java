package io.sluice.broker.replication;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.buffer.impl.BufferImpl;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * Cuts a replica link's byte stream into frames: {@code bodyLength:int32 correlationId:int64 body}. Each body is
 * copied once, as it arrives, into a direct buffer of its exact length from netty's pool, which the {@link
 * FrameHandler} owns and must release. Fed with netty's own reads ({@link #handle(ByteBuf)}, from a socket's message
 * handler) that is the only copy a follower makes of a fetch's records before its segment write, which takes direct
 * memory as it is: Vert.x's default socket handler copies every read into a fresh, zeroed heap array first, and the
 * follower then copied the frame into direct memory for the write (async-profiler, thirteenth session: 67-106 plus 42
 * samples of 3,837, and 234 KB per 1,000 records of replication's remaining 395 KB of allocation). Reads are never
 * retained: the caller releases each read after the call. Not thread-safe: one connection, one context.
 */
public final class LinkFrameParser implements Handler<Buffer> {
  /** Bytes before a frame's body. */
  public static final int HEADER = 12;

  /** What receives each frame's correlation id and body; the body is the handler's to release. */
  @FunctionalInterface
  public interface FrameHandler {
    void frame(long correlationId, Buffer body);
  }

  private final int maxBodyLength;
  private final FrameHandler handler;
  private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
  /** The header's bytes while it arrives split across reads (empty otherwise). */
  private final ByteBuf header = Unpooled.buffer(HEADER, HEADER);
  /** Whether a header was read and its body is awaited. */
  private boolean inBody;
  private int bodyLength;
  private long correlationId;
  /** The body read so far; null until its first bytes arrive. */
  private ByteBuf body;

  public LinkFrameParser(int maxBodyLength, FrameHandler handler) {
    this.maxBodyLength = maxBodyLength;
    this.handler = handler;
  }

  /** A read as a Vert.x buffer (tests, or a socket's default handler); not retained. */
  @Override
  public void handle(Buffer chunk) {
    handle(((BufferInternal) chunk).getByteBuf());
  }

  /** One read of the stream; not retained, not released (the caller's). */
  public void handle(ByteBuf chunk) {
    int pos = chunk.readerIndex();
    int end = chunk.writerIndex();
    while (pos < end || (inBody && bodyLength == 0)) {
      pos = inBody ? readBody(chunk, pos, end) : readHeader(chunk, pos, end);
    }
  }

  /** Releases a body still being read (the connection is gone) and starts over at a frame's start. */
  public void close() {
    if (body != null) {
      body.release();
      body = null;
    }
    header.clear();
    inBody = false;
  }

  private int readHeader(ByteBuf chunk, int pos, int end) {
    if (!header.isReadable() && end - pos >= HEADER) {
      startBody(chunk.getInt(pos), chunk.getLong(pos + 4));
      return pos + HEADER;
    }
    int take = Math.min(header.writableBytes(), end - pos);
    header.writeBytes(chunk, pos, take);
    if (!header.isWritable()) {
      startBody(header.getInt(0), header.getLong(4));
      header.clear();
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

  private int readBody(ByteBuf chunk, int pos, int end) {
    if (body == null) {
      body = alloc.directBuffer(bodyLength, bodyLength);
    }
    int take = Math.min(bodyLength - body.writerIndex(), end - pos);
    body.writeBytes(chunk, pos, take);
    if (body.writerIndex() == bodyLength) {
      Buffer whole = BufferInternal.buffer(body);
      body = null;
      inBody = false;
      handler.frame(correlationId, whole);
    }
    return pos + take;
  }

  /**
   * Gives a frame's body back to the pool. Through the buffer itself: Vert.x's {@code getByteBuf()} hands out a view
   * of a pooled buffer whose release does nothing, so a body released that way stays allocated (a follower ran out of
   * direct memory within one benchmark rep).
   */
  public static void release(Buffer body) {
    ((BufferImpl) body).byteBuf().release();
  }

  /** The header of a frame whose body is {@code bodyLength} bytes, with room for the body's first bytes. */
  public static Buffer header(long correlationId, int bodyLength, int extra) {
    return Buffer.buffer(HEADER + extra).appendInt(bodyLength).appendLong(correlationId);
  }
}
