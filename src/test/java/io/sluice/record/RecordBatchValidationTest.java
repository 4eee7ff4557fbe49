package io.sluice.record;

import static io.sluice.record.TestData.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.CorruptRecordException;
import io.sluice.errors.InvalidRecordException;
import io.sluice.errors.UnsupportedCompressionException;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Damaged batches, each damaged in one way on purpose. Damage inside the CRC's range is followed by a CRC fix-up
 * where the point is to show that the deep check ({@code validateRecords}) catches it on its own.
 */
class RecordBatchValidationTest {
  private static final long T0 = 1_000_000L;

  private static ByteBuffer threeRecords(CompressionType type) {
    return new RecordBatchBuilder(type)
        .append(T0, utf8("k0"), utf8("v0"), null)
        .append(T0 + 5, null, utf8("v1"), List.of(Header.of("h", "x")))
        .append(T0 + 2, utf8("k2"), null, null)
        .build();
  }

  private static RecordBatch withFixedCrc(ByteBuffer buffer) {
    RecordBatch batch = RecordBatch.wrap(buffer);
    buffer.putInt(RecordBatch.CRC_OFFSET, (int) batch.computeChecksum());
    return batch;
  }

  /** A copy of {@code template}'s header followed by {@code section}, with length, count and CRC made to fit. */
  private static RecordBatch withRecordsSection(ByteBuffer template, byte[] section, int count) {
    ByteBuffer buffer = ByteBuffer.allocate(RecordBatch.HEADER_SIZE + section.length);
    buffer.put(template.duplicate().limit(RecordBatch.HEADER_SIZE)).put(section).flip();
    buffer.putInt(RecordBatch.LENGTH_OFFSET, buffer.limit() - RecordBatch.LOG_OVERHEAD);
    buffer.putInt(RecordBatch.RECORDS_COUNT_OFFSET, count);
    buffer.putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, count - 1);
    return withFixedCrc(buffer);
  }

  /** One hand-encoded record whose declared length is {@code lengthAdjust} off the truth. */
  private static byte[] record(int offsetDelta, long timestampDelta, int lengthAdjust, byte[] tail) {
    ByteBuffer body = ByteBuffer.allocate(64 + tail.length);
    body.put((byte) 0);
    ByteUtils.writeVarlong(timestampDelta, body);
    ByteUtils.writeVarint(offsetDelta, body);
    body.put(tail).flip();
    ByteBuffer out = ByteBuffer.allocate(5 + body.remaining());
    ByteUtils.writeVarint(body.remaining() + lengthAdjust, out);
    out.put(body).flip();
    return TestData.bytesOf(out);
  }

  /** key "k", value "v", no headers. */
  private static final byte[] PLAIN_TAIL = {2, 'k', 2, 'v', 0};

  private static byte[] concat(byte[]... parts) {
    ByteBuffer out = ByteBuffer.allocate(java.util.Arrays.stream(parts).mapToInt(p -> p.length).sum());
    for (byte[] p : parts) {
      out.put(p);
    }
    return out.array();
  }

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void acceptsWellFormedBatch(CompressionType type) {
    RecordBatch batch = RecordBatch.wrap(threeRecords(type));
    assertThatCode(() -> {
      batch.ensureValid();
      batch.validateRecords();
    }).doesNotThrowAnyException();
  }

  @ParameterizedTest
  @EnumSource(value = CompressionType.class, names = {"NONE", "GZIP"})
  void rejectsBatchWithFlippedBitAnywhereUnderTheCrc(CompressionType type) {
    ByteBuffer buffer = threeRecords(type);
    for (int position = RecordBatch.ATTRIBUTES_OFFSET; position < buffer.limit(); position++) {
      for (int bit = 0; bit < 8; bit += 3) {
        ByteBuffer copy = ByteBuffer.wrap(TestData.bytesOf(buffer));
        copy.put(position, (byte) (copy.get(position) ^ (1 << bit)));
        RecordBatch batch = RecordBatch.wrap(copy);
        assertThatThrownBy(batch::ensureValid).as("bit %d of byte %d", bit, position)
            .isInstanceOf(CorruptRecordException.class).hasMessageContaining("CRC mismatch");
      }
    }
  }

  @Test
  void acceptsChangedBaseOffsetAndEpochBecauseTheyLieOutsideTheCrc() {
    RecordBatch batch = RecordBatch.wrap(threeRecords(CompressionType.NONE));
    batch.setBaseOffset(1_000);
    batch.setPartitionLeaderEpoch(9);

    batch.ensureValid();
    assertThat(batch.records()).extracting(Record::offset).containsExactly(1000L, 1001L, 1002L);
  }

  @Test
  void rejectsWrongMagic() {
    ByteBuffer buffer = threeRecords(CompressionType.NONE);
    buffer.put(RecordBatch.MAGIC_OFFSET, (byte) 1);

    assertThatThrownBy(() -> RecordBatch.wrap(buffer).ensureValid())
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining("magic 1");
  }

  @Test
  void rejectsLengthBeyondTheBuffer() {
    ByteBuffer buffer = threeRecords(CompressionType.NONE);
    buffer.putInt(RecordBatch.LENGTH_OFFSET, buffer.limit());
    RecordBatch batch = RecordBatch.wrap(buffer);

    assertThatThrownBy(batch::ensureValid).isInstanceOf(CorruptRecordException.class).hasMessageContaining("exceeds");
    assertThatThrownBy(batch::validateRecords).isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("does not fit its buffer");
  }

  @Test
  void rejectsLengthSmallerThanHeader() {
    ByteBuffer buffer = threeRecords(CompressionType.NONE);
    buffer.putInt(RecordBatch.LENGTH_OFFSET, RecordBatch.HEADER_SIZE - RecordBatch.LOG_OVERHEAD - 1);

    assertThatThrownBy(() -> RecordBatch.wrap(buffer).ensureValid())
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining("smaller than the header");
  }

  @Test
  void rejectsLengthThatCutsTheLastRecordShort() {
    ByteBuffer buffer = threeRecords(CompressionType.NONE);
    buffer.putInt(RecordBatch.LENGTH_OFFSET, buffer.getInt(RecordBatch.LENGTH_OFFSET) - 2);
    buffer.limit(buffer.limit() - 2);
    RecordBatch batch = withFixedCrc(buffer);

    batch.ensureValid();
    assertThatThrownBy(batch::validateRecords).isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("Record 2");
    assertThatThrownBy(batch::records).isInstanceOf(CorruptRecordException.class);
  }

  @ParameterizedTest
  @EnumSource(value = CompressionType.class, names = {"NONE", "ZSTD"})
  void rejectsRecordCountAboveTheRecordsHeld(CompressionType type) {
    ByteBuffer buffer = threeRecords(type);
    buffer.putInt(RecordBatch.RECORDS_COUNT_OFFSET, 4);
    buffer.putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, 3);
    RecordBatch batch = withFixedCrc(buffer);

    assertThatThrownBy(batch::validateRecords).isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("declares 4 records but holds only 3");
    assertThatThrownBy(batch::records).isInstanceOf(CorruptRecordException.class);
  }

  @ParameterizedTest
  @EnumSource(value = CompressionType.class, names = {"NONE", "SNAPPY"})
  void rejectsRecordCountBelowTheRecordsHeld(CompressionType type) {
    ByteBuffer buffer = threeRecords(type);
    buffer.putInt(RecordBatch.RECORDS_COUNT_OFFSET, 2);
    buffer.putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, 1);
    RecordBatch batch = withFixedCrc(buffer);

    assertThatThrownBy(batch::validateRecords).isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("after its 2 declared records");
  }

  @Test
  void rejectsLastOffsetDeltaThatDisagreesWithCount() {
    ByteBuffer buffer = threeRecords(CompressionType.NONE);
    buffer.putInt(RecordBatch.LAST_OFFSET_DELTA_OFFSET, 5);
    RecordBatch batch = withFixedCrc(buffer);

    assertThatThrownBy(batch::validateRecords).isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("last offset delta 5 but 3 records");
  }

  @Test
  void rejectsEmptyBatch() {
    RecordBatch batch = withRecordsSection(threeRecords(CompressionType.NONE), new byte[0], 0);

    assertThatThrownBy(batch::validateRecords).isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("no records");
  }

  @Test
  void rejectsOffsetDeltasOutOfOrder() {
    byte[] section = concat(record(0, 0, 0, PLAIN_TAIL), record(2, 0, 0, PLAIN_TAIL), record(1, 0, 0, PLAIN_TAIL));
    RecordBatch batch = withRecordsSection(threeRecords(CompressionType.NONE), section, 3);

    batch.ensureValid();
    assertThatThrownBy(batch::validateRecords).isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("Record 1 has offset delta 2");
  }

  @Test
  void rejectsTrailingGarbageAfterTheRecords() {
    byte[] section = concat(record(0, 0, 0, PLAIN_TAIL), new byte[] {1, 2, 3});
    RecordBatch batch = withRecordsSection(threeRecords(CompressionType.NONE), section, 1);

    assertThatThrownBy(batch::validateRecords).isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("3 bytes after its 1 declared records");
    assertThatThrownBy(batch::records).isInstanceOf(CorruptRecordException.class);
  }

  @Test
  void rejectsRecordWithBytesLeftOverInsideItsLength() {
    byte[] tail = concat(PLAIN_TAIL, new byte[] {7, 7});
    RecordBatch batch = withRecordsSection(threeRecords(CompressionType.NONE), record(0, 0, 0, tail), 1);

    assertThatThrownBy(batch::validateRecords).isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("Record 0 has 2 bytes left over after its headers");
  }

  @Test
  void rejectsRecordWhoseLengthOverrunsTheSection() {
    RecordBatch batch = withRecordsSection(threeRecords(CompressionType.NONE), record(0, 0, 1, PLAIN_TAIL), 1);

    assertThatThrownBy(batch::validateRecords).isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("Record 0 length 9 does not fit the 8 bytes left");
  }

  @Test
  void rejectsRecordWhoseLengthIsTooShortForItsFields() {
    byte[] section = concat(record(0, 0, -1, PLAIN_TAIL), new byte[] {0});
    RecordBatch batch = withRecordsSection(threeRecords(CompressionType.NONE), section, 1);

    assertThatThrownBy(batch::validateRecords).isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("Record 0");
  }

  @Test
  void rejectsValueLengthBeyondTheRecord() {
    byte[] tail = {2, 'k', 40, 'v', 0};
    RecordBatch batch = withRecordsSection(threeRecords(CompressionType.NONE), record(0, 0, 0, tail), 1);

    assertThatThrownBy(batch::validateRecords).isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("value length 20 does not fit");
  }

  @Test
  void rejectsNegativeHeaderCount() {
    byte[] tail = {2, 'k', 2, 'v', 1};
    RecordBatch batch = withRecordsSection(threeRecords(CompressionType.NONE), record(0, 0, 0, tail), 1);

    assertThatThrownBy(batch::validateRecords).isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("header count -1");
  }

  @Test
  void rejectsHeaderWithNullKey() {
    byte[] tail = {2, 'k', 2, 'v', 2, 1, 2, 'x'};
    RecordBatch batch = withRecordsSection(threeRecords(CompressionType.NONE), record(0, 0, 0, tail), 1);

    assertThatThrownBy(batch::validateRecords).isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("header 0 has a null key");
  }

  @Test
  void rejectsMaxTimestampThatIsNotTheLargestRecordTimestamp() {
    ByteBuffer buffer = threeRecords(CompressionType.NONE);
    buffer.putLong(RecordBatch.MAX_TIMESTAMP_OFFSET, T0 + 2);
    RecordBatch batch = withFixedCrc(buffer);

    assertThatThrownBy(batch::validateRecords).isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("max timestamp " + (T0 + 2)).hasMessageContaining("is " + (T0 + 5));
  }

  @Test
  void ignoresRecordTimestampsOfLogAppendTimeBatch() {
    RecordBatch batch = RecordBatch.wrap(threeRecords(CompressionType.NONE));
    batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, 5L);

    assertThatCode(batch::validateRecords).doesNotThrowAnyException();
  }

  @Test
  void rejectsCompressedSectionThatDoesNotDecompress() {
    ByteBuffer buffer = threeRecords(CompressionType.GZIP);
    int middle = RecordBatch.RECORDS_OFFSET + (buffer.limit() - RecordBatch.RECORDS_OFFSET) / 2;
    buffer.put(middle, (byte) ~buffer.get(middle));
    RecordBatch batch = withFixedCrc(buffer);

    batch.ensureValid();
    assertThatThrownBy(batch::validateRecords).isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("gzip");
  }

  @ParameterizedTest
  @EnumSource(value = CompressionType.class, names = {"GZIP", "SNAPPY", "LZ4", "ZSTD"})
  void rejectsGarbageInPlaceOfCompressedRecords(CompressionType type) {
    byte[] garbage = utf8("this is not compressed data at all, whatever the codec");
    ByteBuffer template = threeRecords(type);
    RecordBatch batch = withRecordsSection(template, garbage, 3);

    assertThatThrownBy(batch::validateRecords).isInstanceOf(CorruptRecordException.class);
  }

  @Test
  void rejectsUnknownCompressionCodec() {
    ByteBuffer buffer = threeRecords(CompressionType.NONE);
    buffer.putShort(RecordBatch.ATTRIBUTES_OFFSET, (short) 5);
    RecordBatch batch = withFixedCrc(buffer);

    assertThatThrownBy(batch::records).isInstanceOf(UnsupportedCompressionException.class);
  }
}
