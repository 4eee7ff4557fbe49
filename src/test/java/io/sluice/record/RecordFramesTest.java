package io.sluice.record;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The framed records of a group poll round-trip, also where consecutive frames share or change their topic. */
class RecordFramesTest {

  private static Record record(long offset) {
    return new Record(offset, 1_000 + offset, ("k" + offset).getBytes(), ("v" + offset).getBytes(), List.of());
  }

  @Test
  void topicsRoundTripWhenFramesShareOrChangeThem() {
    // Same length, different names (the decoder reuses the previous frame's topic only when the bytes match), a
    // name that is a prefix of another, and a return to an earlier name.
    String[] topics = {"orders", "orders", "orderz", "order", "orders", "päckchen", "päckchen", "orders"};
    ByteBuffer out = ByteBuffer.allocate(16);
    for (int i = 0; i < topics.length; i++) {
      out = RecordFrames.append(out, topics[i], i % 3, record(i));
    }
    out.flip();
    List<RecordFrames.Framed> decoded = RecordFrames.decode(out);
    assertThat(decoded).hasSize(topics.length);
    for (int i = 0; i < topics.length; i++) {
      assertThat(decoded.get(i).topic()).isEqualTo(topics[i]);
      assertThat(decoded.get(i).partition()).isEqualTo(i % 3);
      assertThat(decoded.get(i).record().offset()).isEqualTo(i);
      assertThat(new String(decoded.get(i).record().value())).isEqualTo("v" + i);
    }
  }
}
