package io.sluice.broker.partition;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.internal.PlatformDependent;
import java.nio.ByteBuffer;

/**
 * A replicated leader's append copied once into direct memory of netty's pool, on the storage pool, before the log
 * stamps and writes it: the segment's FileChannel writes direct memory as it is (a producer's heap batches it copies
 * into a direct buffer of its own first), and the followers' answers are that same memory, where they were a second
 * copy of the written bytes, made on the partition's event loop.
 */
final class AppendCopy {
  private AppendCopy() {
  }

  /** {@code batches} (position to limit, left as they are) in a direct buffer of the pool; the caller releases it. */
  static ByteBuf of(ByteBuffer batches) {
    int length = batches.remaining();
    return PooledByteBufAllocator.DEFAULT.directBuffer(length, length).writeBytes(batches.duplicate());
  }

  /**
   * {@code copy} with a reference more (the caller's to release) when the log wrote exactly it ({@code written}, the append's view of what it
   * wrote, is over the same memory), else null: the log wrote other bytes (recompressed to the topic's codec, or a
   * producer's retry with batches already written taken out), which the caller copies as before.
   */
  static ByteBuf written(ByteBuf copy, ByteBuffer written) {
    if (copy == null || written == null || !written.isDirect() || !copy.hasMemoryAddress()
        || written.remaining() != copy.readableBytes()
        || PlatformDependent.directBufferAddress(written) + written.position()
            != copy.memoryAddress() + copy.readerIndex()) {
      return null;
    }
    return copy.retain();
  }
}
