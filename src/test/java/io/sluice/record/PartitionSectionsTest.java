package io.sluice.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The group poll answer's sections: what is written is read back, and a cut answer is refused by name. */
class PartitionSectionsTest {

  @Test
  void pollSectionsAreReadBackInOrderWithTheirOffsetsAndBatches() {
    byte[] batches = {1, 2, 3, 4, 5};
    ByteBuffer body = ByteBuffer.allocate(200)
        .put(PartitionSections.pollHeader("orders", 3, 17, 42, batches.length)).put(batches)
        .put(PartitionSections.pollHeader("ü-topic", 0, 0, 0, 0));
    List<PartitionSections.PollSection> sections = PartitionSections.parsePoll(body.flip());

    assertThat(sections).hasSize(2);
    PartitionSections.PollSection first = sections.get(0);
    assertThat(first.topic()).isEqualTo("orders");
    assertThat(first.partition()).isEqualTo(3);
    assertThat(first.fromOffset()).isEqualTo(17);
    assertThat(first.nextOffset()).isEqualTo(42);
    byte[] read = new byte[first.batches().remaining()];
    first.batches().get(read);
    assertThat(read).containsExactly(batches);
    assertThat(sections.get(1).topic()).isEqualTo("ü-topic");
    assertThat(sections.get(1).batches().hasRemaining()).isFalse();
    assertThat(PartitionSections.parsePoll(ByteBuffer.allocate(0))).isEmpty();
  }

  @Test
  void aCutPollAnswerIsRefusedNamingTheSection() {
    byte[] header = PartitionSections.pollHeader("orders", 0, 1, 2, 10);
    ByteBuffer cutBatches = ByteBuffer.allocate(header.length + 4).put(header).put(new byte[4]).flip();
    assertThatThrownBy(() -> PartitionSections.parsePoll(cutBatches))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Section 0 (orders-0) claims 10 bytes");
    ByteBuffer cutHeader = ByteBuffer.wrap(header, 0, header.length - 6);
    assertThatThrownBy(() -> PartitionSections.parsePoll(cutHeader))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cut short");
  }

  @Test
  void aTopicThatIsNotUtf8IsRefusedRatherThanReadAsReplacementCharacters() {
    ByteBuffer body = ByteBuffer.allocate(20).putShort((short) 2).put(new byte[] {(byte) 0xff, (byte) 0xfe})
        .putInt(0).putInt(0).flip();
    assertThatThrownBy(() -> PartitionSections.parseProduce(body))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("Section 0 has a topic that is not valid UTF-8");
  }
}
