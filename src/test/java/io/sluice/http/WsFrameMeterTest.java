package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The meter follows client frame headers in raw bytes however they are split, and holds each frame until it is in. */
class WsFrameMeterTest {
  private final BodyMemory memory = new BodyMemory(100_000, 100_000);
  private final WsFrameMeter meter = new WsFrameMeter(memory, 70_000);

  /** A masked client frame header for a payload of {@code length} (RFC 6455 5.2), mask key zero. */
  static byte[] header(boolean fin, int opcode, long length) {
    ByteBuffer b = ByteBuffer.allocate(14);
    b.put((byte) ((fin ? 0x80 : 0) | opcode));
    if (length < 126) {
      b.put((byte) (0x80 | length));
    } else if (length < 65_536) {
      b.put((byte) (0x80 | 126)).putShort((short) length);
    } else {
      b.put((byte) (0x80 | 127)).putLong(length);
    }
    b.putInt(0);
    byte[] out = new byte[b.position()];
    b.flip().get(out);
    return out;
  }

  private boolean read(byte[]... parts) {
    ByteBuf buf = Unpooled.wrappedBuffer(parts);
    boolean fits = meter.onRead(buf);
    assertThat(buf.readerIndex()).as("the meter only looks").isZero();
    meter.afterRead();
    return fits;
  }

  @Test
  void aFrameIsHeldFromItsHeaderUntilItsLastByteWhateverTheSplit() {
    byte[] head = header(true, 1, 60_000);
    assertThat(read(new byte[] {head[0]})).isTrue();
    assertThat(memory.used()).isZero();
    assertThat(read(java.util.Arrays.copyOfRange(head, 1, head.length), new byte[30_000])).isTrue();
    assertThat(memory.used()).isEqualTo(60_000);
    assertThat(read(new byte[29_999])).isTrue();
    assertThat(memory.used()).isEqualTo(60_000);
    byte[] small = header(true, 1, 5);
    assertThat(read(new byte[1], small, new byte[5], header(true, 1, 200))).isTrue();
    assertThat(memory.used()).as("the first frame and the small one are in; 200 bytes to come").isEqualTo(200);
  }

  @Test
  void aFrameThatDoesNotFitBesideTheOthersIsRefused() {
    assertThat(read(header(false, 1, 60_000), new byte[10])).isTrue();
    WsFrameMeter other = new WsFrameMeter(memory, 70_000);
    assertThat(other.onRead(Unpooled.wrappedBuffer(header(true, 1, 40_001))))
        .as("another connection's frame: 60,000 + 40,001 > 100,000").isFalse();
    assertThat(other.onRead(Unpooled.wrappedBuffer(header(true, 1, 40_000)))).isTrue();
    other.close();
    meter.close();
    assertThat(memory.used()).as("a closed connection holds nothing").isZero();
  }

  @Test
  void aFrameOverTheFrameLimitIsLeftToTheDecoderToRefuse() {
    assertThat(read(header(true, 2, 1L << 40))).isTrue();
    assertThat(memory.used()).isZero();
  }

  @Test
  void messageBytesAreHeldUntilReleasedAndRefusedWhenTheyDoNotFit() {
    assertThat(meter.holdMessageBytes(90_000)).isTrue();
    assertThat(meter.holdMessageBytes(20_000)).isFalse();
    assertThat(memory.used()).isEqualTo(90_000);
    meter.releaseMessage();
    assertThat(memory.used()).isZero();
  }
}
