package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.client.ConsumerRecord;
import io.sluice.errors.CorruptRecordException;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A partition reader's fetched batches, walked record by record from the offset the fetch asked for. */
class FetchedRecordsTest {

  private static ByteBuffer batch(long baseOffset, int count, CompressionType compression) {
    RecordBatchBuilder b = new RecordBatchBuilder(compression).baseOffset(baseOffset);
    for (int i = 0; i < count; i++) {
      b.append(1_000 + i, ("k" + (baseOffset + i)).getBytes(StandardCharsets.UTF_8),
          ("v" + (baseOffset + i)).getBytes(StandardCharsets.UTF_8), List.of());
    }
    return b.build();
  }

  private static ByteBuffer concat(ByteBuffer... batches) {
    int size = 0;
    for (ByteBuffer b : batches) {
      size += b.remaining();
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    for (ByteBuffer b : batches) {
      out.put(b.duplicate());
    }
    return out.flip();
  }

  private static ByteBuffer asControl(ByteBuffer batch) {
    ByteBuffer b = batch.duplicate();
    b.putShort(b.position() + RecordBatch.ATTRIBUTES_OFFSET,
        (short) (b.getShort(b.position() + RecordBatch.ATTRIBUTES_OFFSET) | RecordBatch.CONTROL_FLAG_MASK));
    return b;
  }

  private static List<ConsumerRecord> all(Iterable<ConsumerRecord> records) {
    List<ConsumerRecord> out = new ArrayList<>();
    records.forEach(out::add);
    return out;
  }

  @Test
  void theRecordsFromTheAskedOffsetComeInOrderAndControlBatchesAreSkipped() {
    ByteBuffer bytes = concat(batch(0, 5, CompressionType.NONE), asControl(batch(5, 1, CompressionType.NONE)),
        batch(6, 3, CompressionType.LZ4), batch(9, 2, CompressionType.NONE));

    List<ConsumerRecord> records = all(new FetchedRecords("t", 4, bytes, 3));

    assertThat(records).extracting(ConsumerRecord::offset).containsExactly(3L, 4L, 6L, 7L, 8L, 9L, 10L);
    ConsumerRecord r = records.get(2);
    assertThat(r.topic()).isEqualTo("t");
    assertThat(r.partition()).isEqualTo(4);
    assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("k6");
    assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo("v6");
    assertThat(r.timestamp()).isEqualTo(1_000);
    assertThat(all(new FetchedRecords("t", 4, bytes, 3))).hasSize(7); // iterable again, from the start
    assertThat(all(new FetchedRecords("t", 4, ByteBuffer.allocate(0), 0))).isEmpty();
    assertThat(all(new FetchedRecords("t", 4, bytes, 11))).isEmpty();
  }

  @Test
  void aCutAnswerFailsBeforeAnyRecordIsHandedOut() {
    ByteBuffer bytes = concat(batch(0, 5, CompressionType.NONE), batch(5, 5, CompressionType.NONE));
    ByteBuffer cut = bytes.duplicate().limit(bytes.limit() - 10);

    assertThatThrownBy(() -> new FetchedRecords("t", 0, cut, 0)).isInstanceOf(CorruptRecordException.class);
  }

  @Test
  void recordsAreDecodedAsTheyAreTakenSoABrokenLaterBatchFailsOnlyWhenReached() {
    ByteBuffer second = batch(3, 2, CompressionType.NONE);
    // A record count larger than the records written: the batch's framing holds, its records do not.
    second.putInt(second.position() + RecordBatch.RECORDS_COUNT_OFFSET, 9);
    Iterator<ConsumerRecord> it = new FetchedRecords("t", 0, concat(batch(0, 3, CompressionType.NONE), second), 0)
        .iterator();

    assertThat(it.next().offset()).isEqualTo(0);
    assertThat(it.next().offset()).isEqualTo(1);
    assertThat(it.next().offset()).isEqualTo(2);
    assertThatThrownBy(() -> {
      while (it.hasNext()) {
        it.next();
      }
    }).isInstanceOf(CorruptRecordException.class);
  }

  @Test
  void whoWaitsForTheWalkHearsOnceAndOnlyAfterTheLastRecordWasRead() {
    ByteBuffer bytes = concat(batch(0, 2, CompressionType.NONE), asControl(batch(2, 1, CompressionType.NONE)));
    int[] read = {0};
    FetchedRecords records = new FetchedRecords("t", 0, bytes, 0, () -> read[0]++);
    Iterator<ConsumerRecord> it = records.iterator();
    assertThat(it.next().offset()).isEqualTo(0);
    assertThat(it.next().offset()).isEqualTo(1);
    assertThat(read[0]).isZero(); // a control batch is left: the array may still be read
    assertThat(it.hasNext()).isFalse();
    assertThat(it.hasNext()).isFalse();
    assertThat(read[0]).isEqualTo(1);
  }

  @Test
  void recordsWhoseMemoryIsReusedAfterTheWalkAreWalkedOnce() {
    FetchedRecords records = new FetchedRecords("t", 0, batch(0, 2, CompressionType.NONE), 0, () -> { });
    records.iterator();
    assertThatThrownBy(records::iterator).isInstanceOf(IllegalStateException.class);
    FetchedRecords unpooled = new FetchedRecords("t", 0, batch(0, 2, CompressionType.NONE), 0);
    unpooled.iterator();
    assertThat(unpooled.iterator().next().offset()).isZero();
  }
}
