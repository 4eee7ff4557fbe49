package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A produced body reaches the broker as a view of the request's bytes, not a copy. */
class BatchFramesTest {

  private static String text(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return new String(out, StandardCharsets.US_ASCII);
  }

  @Test
  void aHeapBodyIsViewedInPlaceFromItsFirstByte() {
    Buffer body = Buffer.buffer().appendString("batches");
    ByteBuffer view = BatchFrames.bodyBytes(body);
    assertThat(view.position()).isZero();
    assertThat(text(view)).isEqualTo("batches");
    view.put(0, (byte) 'B');
    assertThat(body.toString(StandardCharsets.US_ASCII)).as("the same bytes, not a copy").isEqualTo("Batches");
  }

  @Test
  void aBodyThatStartsInsideItsBufferIsViewedFromItsStart() {
    Buffer body = BufferInternal.buffer(Unpooled.wrappedBuffer("xxbatches".getBytes(StandardCharsets.US_ASCII))
        .readerIndex(2));
    assertThat(text(BatchFrames.bodyBytes(body))).isEqualTo("batches");
  }

  @Test
  void aDirectBodyIsCopied() {
    Buffer body = BufferInternal.buffer(Unpooled.directBuffer(16).writeBytes(
        "batches".getBytes(StandardCharsets.US_ASCII)));
    assertThat(text(BatchFrames.bodyBytes(body))).isEqualTo("batches");
  }
}
