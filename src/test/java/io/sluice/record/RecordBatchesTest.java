package io.sluice.record;

import static io.sluice.record.TestData.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.CorruptRecordException;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordBatchesTest {

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

  private static ByteBuffer batch(long baseOffset, int records, CompressionType type) {
    RecordBatchBuilder builder = new RecordBatchBuilder(type).baseOffset(baseOffset);
    for (int i = 0; i < records; i++) {
      builder.append(1000L + i, utf8("k" + i), utf8("v" + i), null);
    }
    return builder.build();
  }

  @Test
  void splitsConcatenatedBatchesOfMixedCodecs() {
    ByteBuffer buffer = concat(batch(0, 3, CompressionType.NONE), batch(3, 2, CompressionType.GZIP),
        batch(5, 1, CompressionType.NONE));

    List<RecordBatch> batches = RecordBatches.split(buffer);

    assertThat(batches).extracting(RecordBatch::baseOffset).containsExactly(0L, 3L, 5L);
    assertThat(batches).extracting(RecordBatch::recordCount).containsExactly(3, 2, 1);
    batches.forEach(RecordBatch::ensureValid);
    assertThat(batches.get(1).records()).extracting(Record::offset).containsExactly(3L, 4L);
    assertThat(buffer.position()).isZero();
  }

  @Test
  void findsATransactionalBatchAmongOthersAndStopsQuietlyAtABrokenFrame() {
    ByteBuffer txn = new RecordBatchBuilder(CompressionType.NONE).producer(9, (short) 0, 0).transactional()
        .append(1000L, null, utf8("t"), null).build();
    ByteBuffer idempotent = new RecordBatchBuilder(CompressionType.NONE).producer(9, (short) 0, 0)
        .append(1000L, null, utf8("i"), null).build();

    assertThat(RecordBatches.anyTransactional(concat(batch(0, 2, CompressionType.NONE), idempotent))).isFalse();
    ByteBuffer mixed = concat(batch(0, 2, CompressionType.NONE), txn);
    assertThat(RecordBatches.anyTransactional(mixed)).isTrue();
    assertThat(mixed.position()).isZero();
    ByteBuffer first = batch(0, 1, CompressionType.NONE);
    ByteBuffer cut = concat(first, txn).limit(first.remaining() + 10);
    assertThat(RecordBatches.anyTransactional(cut)).as("a header cut short is the log's to refuse").isFalse();
    ByteBuffer zeroLength = concat(batch(0, 1, CompressionType.NONE), txn);
    zeroLength.putInt(RecordBatch.LENGTH_OFFSET, 0);
    assertThat(RecordBatches.anyTransactional(zeroLength)).isFalse();
  }

  @Test
  void splitsFromPositionToLimitOnly() {
    ByteBuffer one = batch(7, 1, CompressionType.NONE);
    ByteBuffer buffer = concat(ByteBuffer.wrap(new byte[5]), one, ByteBuffer.wrap(new byte[9]));
    buffer.position(5).limit(5 + one.remaining());

    List<RecordBatch> batches = RecordBatches.split(buffer);

    assertThat(batches).hasSize(1);
    assertThat(batches.get(0).baseOffset()).isEqualTo(7);
    batches.get(0).ensureValid();
  }

  @Test
  void splitsEmptyBufferIntoNoBatches() {
    assertThat(RecordBatches.split(ByteBuffer.allocate(0))).isEmpty();
  }

  @Test
  void rejectsTruncatedTrailingBatch() {
    ByteBuffer buffer = concat(batch(0, 2, CompressionType.NONE), batch(2, 2, CompressionType.NONE));
    buffer.limit(buffer.limit() - 1);

    assertThatThrownBy(() -> RecordBatches.split(buffer))
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining("Truncated record batch");
  }

  @Test
  void rejectsTrailingBytesShorterThanAHeader() {
    ByteBuffer buffer = concat(batch(0, 2, CompressionType.NONE), ByteBuffer.wrap(new byte[20]));

    assertThatThrownBy(() -> RecordBatches.split(buffer))
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining("a header needs 61");
  }

  @Test
  void rejectsLengthSmallerThanHeader() {
    ByteBuffer buffer = batch(0, 2, CompressionType.NONE);
    buffer.putInt(RecordBatch.LENGTH_OFFSET, 48);

    assertThatThrownBy(() -> RecordBatches.split(buffer))
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining("smaller than its header");
  }
}
