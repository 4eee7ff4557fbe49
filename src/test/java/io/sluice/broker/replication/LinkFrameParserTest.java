package io.sluice.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The replica link's framing: whole frames, several per read, frames split at every byte, empty and oversized ones. */
class LinkFrameParserTest {
  private final List<Long> ids = new ArrayList<>();
  private final List<String> bodies = new ArrayList<>();
  private final List<ByteBuf> frames = new ArrayList<>();
  private final LinkFrameParser parser = new LinkFrameParser(1 << 10, (id, body) -> {
    ids.add(id);
    bodies.add(body.toString());
    frames.add(((BufferInternal) body).getByteBuf());
  });

  private static Buffer frame(long id, String body) {
    Buffer b = Buffer.buffer(body);
    return LinkFrameParser.header(id, b.length(), b.length()).appendBuffer(b);
  }

  @Test
  void severalFramesInOneReadAreEachHandedOn() {
    parser.handle(frame(7, "first").appendBuffer(frame(8, "")).appendBuffer(frame(9, "third")));
    assertThat(ids).containsExactly(7L, 8L, 9L);
    assertThat(bodies).containsExactly("first", "", "third");
  }

  @Test
  void framesSplitAtEveryByteAreReassembled() {
    Buffer stream = frame(1, "a body long enough to be split").appendBuffer(frame(2, "x")).appendBuffer(frame(3, ""));
    for (int cut = 1; cut < stream.length(); cut++) {
      ids.clear();
      bodies.clear();
      parser.handle(stream.getBuffer(0, cut));
      parser.handle(stream.getBuffer(cut, stream.length()));
      assertThat(bodies).as("cut at %d", cut).containsExactly("a body long enough to be split", "x", "");
      assertThat(ids).containsExactly(1L, 2L, 3L);
    }
  }

  @Test
  void aStreamReadOneByteAtATimeIsReassembled() {
    Buffer stream = frame(1, "abc").appendBuffer(frame(Long.MAX_VALUE, "defgh"));
    for (int i = 0; i < stream.length(); i++) {
      parser.handle(stream.getBuffer(i, i + 1));
    }
    assertThat(ids).containsExactly(1L, Long.MAX_VALUE);
    assertThat(bodies).containsExactly("abc", "defgh");
  }

  @Test
  void eachBodyIsOneDirectBufferTheHandlerOwnsAndNoReadIsKept() {
    Buffer stream = frame(5, "x".repeat(300)).appendBuffer(frame(6, "y".repeat(10)));
    List<ByteBuf> reads = new ArrayList<>();
    for (int from = 0; from < stream.length(); from += 100) {
      ByteBuf read = Unpooled.directBuffer(100).writeBytes(stream.getBytes(from, Math.min(from + 100,
          stream.length())));
      reads.add(read);
      parser.handle(read);
      read.release(); // as the link's message handler does: a read is the caller's, the parser copies out of it
    }
    assertThat(bodies).containsExactly("x".repeat(300), "y".repeat(10));
    assertThat(reads).allSatisfy(r -> assertThat(r.refCnt()).isZero());
    assertThat(frames).allSatisfy(f -> {
      assertThat(f.isDirect()).isTrue();
      assertThat(f.nioBufferCount()).as("one NIO buffer: the segment write takes it as it is").isEqualTo(1);
      assertThat(f.refCnt()).isEqualTo(1);
    });
    frames.forEach(ByteBuf::release);
  }

  @Test
  void closingReleasesABodyHalfRead() {
    Buffer stream = frame(5, "x".repeat(300));
    parser.handle(stream.getBuffer(0, 100));
    parser.close();
    assertThat(bodies).isEmpty();
    parser.handle(frame(6, "next")); // nothing of the old frame is kept: a new stream starts at a header
    assertThat(bodies).containsExactly("next");
    assertThat(ids).containsExactly(6L);
    frames.forEach(ByteBuf::release);
  }

  @Test
  void aLengthAboveTheLimitIsRefused() {
    Buffer garbage = Buffer.buffer().appendInt(1 << 20).appendLong(1);
    assertThatThrownBy(() -> parser.handle(garbage)).isInstanceOf(IllegalStateException.class);
    Buffer negative = Buffer.buffer().appendInt(-1).appendLong(1);
    assertThatThrownBy(() -> new LinkFrameParser(10, (id, b) -> { }).handle(negative))
        .isInstanceOf(IllegalStateException.class);
  }
}
