package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.client.ConsumerRecord;
import io.sluice.client.TopicPartition;
import io.sluice.errors.CorruptRecordException;
import io.sluice.record.CompressionType;
import io.sluice.record.PartitionSections;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
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

    List<ConsumerInstanceApi.Section> sections = ConsumerInstanceApi.decodeSections(ByteBuffer.wrap(body.getBytes()));
    List<ConsumerRecord> records = all(sections);

    // The empty section of u-0 is left out; each section names its partition and its first record's offset.
    assertThat(sections).extracting(ConsumerInstanceApi.Section::partition)
        .containsExactly(new TopicPartition("t", 0), new TopicPartition("t", 1));
    assertThat(sections).extracting(ConsumerInstanceApi.Section::first).containsExactly(3L, 0L);

    assertThat(records).filteredOn(r -> r.partition() == 0).extracting(ConsumerRecord::offset)
        .containsExactly(3L, 4L, 5L, 6L, 7L);
    assertThat(records).filteredOn(r -> r.partition() == 1).extracting(ConsumerRecord::offset).containsExactly(0L, 1L);
    ConsumerRecord third = records.get(2);
    assertThat(third.topic()).isEqualTo("t");
    assertThat(new String(third.key(), StandardCharsets.UTF_8)).isEqualTo("k5");
    assertThat(new String(third.value(), StandardCharsets.UTF_8)).isEqualTo("v5");
    assertThat(third.timestamp()).isEqualTo(1_000);
    assertThat(ConsumerInstanceApi.decodeSections(ByteBuffer.allocate(0))).isEmpty();
  }

  @Test
  void aCutAnswerFailsThePollInsteadOfLosingRecordsSilently() {
    Buffer body = Buffer.buffer();
    section(body, "t", 0, 0, 5, batch(0, 5, CompressionType.NONE));
    Buffer cut = body.getBuffer(0, body.length() - 10);
    assertThatThrownBy(() -> ConsumerInstanceApi.decodeSections(ByteBuffer.wrap(cut.getBytes())))
        .isInstanceOf(RuntimeException.class);
  }

  /**
   * A poll's records are decoded when the stream takes them, not when the answer arrives (a poll held ahead is then
   * one array, not tens of thousands of live records for every young collection to copy). Seen through a record
   * count larger than the records written: the batch's framing holds, so the answer is taken, and the bad record
   * fails only when the walk reaches it, after the records before it. Decoded whole on arrival (before h-g6), the
   * answer failed in {@code decodeSections}.
   */
  @Test
  void aPollsRecordsAreDecodedAsTheyAreTakenSoABrokenLaterBatchFailsOnlyWhenReached() {
    ByteBuffer second = batch(2, 2, CompressionType.NONE);
    second.putInt(second.position() + RecordBatch.RECORDS_COUNT_OFFSET, 9);
    Buffer body = Buffer.buffer();
    section(body, "t", 0, 0, 4, batch(0, 2, CompressionType.NONE), second);

    List<ConsumerInstanceApi.Section> sections = ConsumerInstanceApi.decodeSections(ByteBuffer.wrap(body.getBytes()));
    assertThat(sections).extracting(ConsumerInstanceApi.Section::first).containsExactly(0L);
    Iterator<ConsumerRecord> it = sections.get(0).records().iterator();

    List<Long> taken = new ArrayList<>();
    assertThatThrownBy(() -> it.forEachRemaining(r -> taken.add(r.offset())))
        .isInstanceOf(CorruptRecordException.class);
    assertThat(taken).containsExactly(0L, 1L, 2L, 3L);
  }

  private static List<ConsumerRecord> all(List<ConsumerInstanceApi.Section> sections) {
    List<ConsumerRecord> out = new ArrayList<>();
    for (ConsumerInstanceApi.Section s : sections) {
      s.records().forEach(out::add);
    }
    return out;
  }
}
