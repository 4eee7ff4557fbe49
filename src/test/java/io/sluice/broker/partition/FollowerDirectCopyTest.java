package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * A follower appends a leader's reply from one direct buffer, copied once: the segment's FileChannel writes direct
 * memory without a copy of its own, and a reply split across socket reads is not gathered into a heap array first.
 */
class FollowerDirectCopyTest {

  @Test
  void aReplySplitAcrossReadsIsCopiedOnceIntoOneDirectBufferByteForByte() {
    byte[] bytes = new byte[100_000];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) (i * 31);
    }
    // what LinkFrameParser hands on for a frame that arrived in three reads
    CompositeByteBuf split = Unpooled.compositeBuffer();
    split.addComponent(true, Unpooled.wrappedBuffer(bytes, 0, 30_000));
    split.addComponent(true, Unpooled.wrappedBuffer(bytes, 30_000, 65_000));
    split.addComponent(true, Unpooled.wrappedBuffer(bytes, 95_000, 5_000));
    Buffer reply = BufferInternal.buffer(split);

    ByteBuf direct = PartitionVerticle.directCopy(reply);
    try {
      assertThat(direct.isDirect()).isTrue();
      assertThat(direct.nioBufferCount()).isEqualTo(1);
      ByteBuffer view = direct.nioBuffer();
      assertThat(view.isDirect()).as("what the segment write gets").isTrue();
      byte[] copied = new byte[view.remaining()];
      view.get(copied);
      assertThat(copied).isEqualTo(bytes);
      assertThat(reply.length()).as("the reply is left as it was").isEqualTo(100_000);
    } finally {
      direct.release();
    }
  }

  @Test
  void aReplyInOneReadIsCopiedToo() {
    Buffer reply = Buffer.buffer(new byte[] {1, 2, 3, 4}).slice(1, 3);
    ByteBuf direct = PartitionVerticle.directCopy(reply);
    try {
      assertThat(direct.isDirect()).isTrue();
      assertThat(direct.readableBytes()).isEqualTo(2);
      assertThat(direct.getByte(0)).isEqualTo((byte) 2);
      assertThat(direct.getByte(1)).isEqualTo((byte) 3);
    } finally {
      direct.release();
    }
  }
}
