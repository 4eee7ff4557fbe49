package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.client.ConsumerRecord;
import io.sluice.record.CompressionType;
import io.sluice.record.PartitionSections;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The group consumer's reading of a batch poll's answer: the stored batches of each partition, from its position. */
class ConsumerInstanceApiDecodeTest {

  private static ByteBuffer batch(long baseOffset, int count, CompressionType compression) {
    RecordBatchBuilder b = new RecordBatchBuilder(compression).baseOffset(baseOffset);
    for (int i = 0; i < count; i++) {
      b.append(1_000 + i, ("k" + (baseOffset + i)).getBytes(StandardCharsets.UTF_8),
          ("v" + (baseOffset + i)).getBytes(StandardCharsets.UTF_8), List.of());
    }
    return b.build();
  }

  private static void section(Buffer out, String topic, int partition, long from, long next, ByteBuffer... batches) {
    int size = 0;
    for (ByteBuffer b : batches) {
      size += b.remaining();
    }
    out.appendBytes(PartitionSections.pollHeader(topic, partition, from, next, size));
    for (ByteBuffer b : batches) {
      byte[] bytes = new byte[b.remaining()];
      b.duplicate().get(bytes);
      out.appendBytes(bytes);
    }
  }

  @Test
  void recordsBeforeEachSectionsFromOffsetAreDroppedAndTheRestKeptInOrder() {
    Buffer body = Buffer.buffer();
    section(body, "t", 0, 3, 8, batch(0, 5, CompressionType.NONE), batch(5, 3, CompressionType.LZ4));
    section(body, "t", 1, 0, 2, batch(0, 2, CompressionType.NONE));
    section(body, "u", 0, 7, 7);

    List<ConsumerRecord> records = ConsumerInstanceApi.decodeBatches(ByteBuffer.wrap(body.getBytes()));

    assertThat(records).filteredOn(r -> r.partition() == 0).extracting(ConsumerRecord::offset)
        .containsExactly(3L, 4L, 5L, 6L, 7L);
    assertThat(records).filteredOn(r -> r.partition() == 1).extracting(ConsumerRecord::offset).containsExactly(0L, 1L);
    ConsumerRecord third = records.get(2);
    assertThat(third.topic()).isEqualTo("t");
    assertThat(new String(third.key(), StandardCharsets.UTF_8)).isEqualTo("k5");
    assertThat(new String(third.value(), StandardCharsets.UTF_8)).isEqualTo("v5");
    assertThat(third.timestamp()).isEqualTo(1_000);
    assertThat(ConsumerInstanceApi.decodeBatches(ByteBuffer.allocate(0))).isEmpty();
  }

  @Test
  void aCutAnswerFailsThePollInsteadOfLosingRecordsSilently() {
    Buffer body = Buffer.buffer();
    section(body, "t", 0, 0, 5, batch(0, 5, CompressionType.NONE));
    Buffer cut = body.getBuffer(0, body.length() - 10);
    assertThatThrownBy(() -> ConsumerInstanceApi.decodeBatches(ByteBuffer.wrap(cut.getBytes()))).isInstanceOf(RuntimeException.class);
  }
}
