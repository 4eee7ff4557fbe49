package io.sluice.record;

import static io.sluice.record.TestData.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordBatchBuilderTest {

  /**
   * One record, key "k", value "v", timestamp 1000, everything else default. Written out by hand from Kafka's
   * documented v2 layout; the CRC was computed separately with a bit-by-bit CRC-32C (Castagnoli, reflected
   * polynomial 0x82F63B78) over bytes [21, 70), not with java.util.zip.CRC32C.
   */
  private static final String TINY_BATCH_HEX = String.join("",
      "0000000000000000", //  0 baseOffset 0
      "0000003a",         //  8 batchLength 58 = 70 - 12
      "ffffffff",         // 12 partitionLeaderEpoch -1
      "02",               // 16 magic 2
      "716a6189",         // 17 crc
      "0000",             // 21 attributes: no compression, CREATE_TIME
      "00000000",         // 23 lastOffsetDelta 0
      "00000000000003e8", // 27 baseTimestamp 1000
      "00000000000003e8", // 35 maxTimestamp 1000
      "ffffffffffffffff", // 43 producerId -1
      "ffff",             // 51 producerEpoch -1
      "ffffffff",         // 53 baseSequence -1
      "00000001",         // 57 recordCount 1
      "10",               // 61 record length varint 8 (zigzag 16)
      "00",               //    attributes
      "00",               //    timestampDelta 0
      "00",               //    offsetDelta 0
      "02", "6b",         //    keyLength 1, "k"
      "02", "76",         //    valueLength 1, "v"
      "00");              //    headerCount 0

  @Test
  void buildsTinyBatchMatchingHandWrittenBytes() {
    ByteBuffer batch = new RecordBatchBuilder(CompressionType.NONE).append(1000L, utf8("k"), utf8("v"), null).build();

    assertThat(batch.position()).isZero();
    assertThat(HexFormat.of().formatHex(TestData.bytesOf(batch))).isEqualTo(TINY_BATCH_HEX);
  }

  /** A transactional producer's batch: Kafka's attributes bit 4, the CRC over it, nothing else changed. */
  @Test
  void aTransactionalBatchCarriesKafkasFlag() {
    RecordBatch plain = RecordBatch.wrap(new RecordBatchBuilder(CompressionType.NONE).producer(7, (short) 1, 0)
        .append(1000L, utf8("k"), utf8("v"), null).build());
    RecordBatch tx = RecordBatch.wrap(new RecordBatchBuilder(CompressionType.NONE).producer(7, (short) 1, 0)
        .transactional().append(1000L, utf8("k"), utf8("v"), null).build());

    assertThat(plain.isTransactional()).isFalse();
    assertThat(tx.isTransactional()).isTrue();
    assertThat(tx.isControlBatch()).isFalse();
    assertThat(tx.attributes()).isEqualTo((short) (plain.attributes() | RecordBatch.TRANSACTIONAL_FLAG_MASK));
    assertThat(tx.checksum()).as("the CRC covers the attributes").isEqualTo(tx.computeChecksum());
  }

  @Test
  void aReusedArrayWhateverItHeldBuildsTheSameBytesAsANewOne() {
    byte[] dirty = new byte[256];
    java.util.Arrays.fill(dirty, (byte) 0x5a); // a previous batch's leftovers
    RecordBatchBuilder reused = new RecordBatchBuilder(CompressionType.NONE, dirty);
    ByteBuffer batch = reused.append(1000L, utf8("k"), utf8("v"), null).build();

    assertThat(HexFormat.of().formatHex(TestData.bytesOf(batch))).isEqualTo(TINY_BATCH_HEX);
    assertThat(reused.buffer()).as("written in place").isSameAs(dirty);
  }

  @Test
  void aReusedArrayTooSmallIsGrownOutOf() {
    byte[] small = new byte[RecordBatch.HEADER_SIZE + 4];
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, small);
    ByteBuffer batch = builder.append(1000L, utf8("k"), utf8("v"), null).build();

    assertThat(HexFormat.of().formatHex(TestData.bytesOf(batch))).isEqualTo(TINY_BATCH_HEX);
    assertThat(builder.buffer()).isNotSameAs(small);
  }

  @Test
  void aRestampedEpochAndSequenceGiveTheBytesABatchBuiltWithThemHas() {
    ByteBuffer built = new RecordBatchBuilder(CompressionType.NONE).producer(7L, (short) 1, 10)
        .append(1000L, utf8("k"), utf8("v"), null).append(1001L, utf8("k2"), null, null).build();
    // The batch sits after other bytes, as in a request body: the restamp is relative to where it starts.
    ByteBuffer body = ByteBuffer.allocate(5 + built.remaining());
    body.position(5);
    body.put(built.duplicate()).position(5);
    RecordBatch.wrap(body.duplicate()).setProducerEpochAndBaseSequence((short) 2, 0);

    ByteBuffer expected = new RecordBatchBuilder(CompressionType.NONE).producer(7L, (short) 2, 0)
        .append(1000L, utf8("k"), utf8("v"), null).append(1001L, utf8("k2"), null, null).build();
    assertThat(TestData.bytesOf(body.slice(5, built.remaining()))).isEqualTo(TestData.bytesOf(expected));
    RecordBatch restamped = RecordBatch.wrap(body.duplicate());
    restamped.ensureValid();
    assertThat(restamped.producerEpoch()).isEqualTo((short) 2);
    assertThat(restamped.baseSequence()).isZero();
  }

  @Test
  void decodesHandWrittenTinyBatch() {
    RecordBatch batch = RecordBatch.wrap(ByteBuffer.wrap(HexFormat.of().parseHex(TINY_BATCH_HEX)));

    batch.ensureValid();
    batch.validateRecords();
    assertThat(batch.records()).containsExactly(new Record(0, 1000L, utf8("k"), utf8("v"), List.of()));
  }

  @Test
  void writesHeaderFieldsFromSetters() {
    ByteBuffer buffer = new RecordBatchBuilder(CompressionType.NONE)
        .baseOffset(500)
        .partitionLeaderEpoch(3)
        .producer(77L, (short) 2, 10)
        .append(2000L, null, utf8("a"), null)
        .append(1500L, null, utf8("b"), null)
        .append(2600L, null, utf8("c"), null)
        .build();
    RecordBatch batch = RecordBatch.wrap(buffer);

    batch.ensureValid();
    assertThat(batch.sizeInBytes()).isEqualTo(buffer.remaining());
    assertThat(batch.baseOffset()).isEqualTo(500);
    assertThat(batch.lastOffset()).isEqualTo(502);
    assertThat(batch.partitionLeaderEpoch()).isEqualTo(3);
    assertThat(batch.producerId()).isEqualTo(77L);
    assertThat(batch.producerEpoch()).isEqualTo((short) 2);
    assertThat(batch.baseSequence()).isEqualTo(10);
    assertThat(batch.recordCount()).isEqualTo(3);
    assertThat(batch.baseTimestamp()).isEqualTo(2000L);
    assertThat(batch.maxTimestamp()).isEqualTo(2600L);
    assertThat(batch.compressionType()).isEqualTo(CompressionType.NONE);
    assertThat(batch.timestampType()).isEqualTo(TimestampType.CREATE_TIME);
    assertThat(batch.records()).extracting(Record::offset).containsExactly(500L, 501L, 502L);
    assertThat(batch.records()).extracting(Record::timestamp).containsExactly(2000L, 1500L, 2600L);
  }

  @Test
  void logAppendTimeBatchGivesEveryRecordTheMaxTimestamp() {
    ByteBuffer buffer = new RecordBatchBuilder(CompressionType.NONE)
        .timestampType(TimestampType.LOG_APPEND_TIME)
        .append(10L, null, utf8("a"), null)
        .append(30L, null, utf8("b"), null)
        .build();
    RecordBatch batch = RecordBatch.wrap(buffer);

    assertThat(batch.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
    assertThat(batch.records()).extracting(Record::timestamp).containsExactly(30L, 30L);
  }

  @Test
  void restampingAsLogAppendTimeKeepsBatchValid() {
    RecordBatch batch = RecordBatch.wrap(TestData.build(CompressionType.NONE, 0, List.of(
        new Record(0, 10L, null, utf8("a"), null), new Record(1, 20L, null, utf8("b"), null))));

    batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, 99L);

    batch.ensureValid();
    batch.validateRecords();
    assertThat(batch.records()).extracting(Record::timestamp).containsExactly(99L, 99L);
  }

  @Test
  void estimatesUncompressedSizeAsHeaderPlusRecords() {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.GZIP);
    assertThat(builder.estimatedSizeInBytes()).isEqualTo(RecordBatch.HEADER_SIZE);

    builder.append(1000L, utf8("k"), utf8("v"), null);

    assertThat(builder.estimatedSizeInBytes()).isEqualTo(RecordBatch.HEADER_SIZE + 9);
    assertThat(builder.recordCount()).isEqualTo(1);
  }

  @Test
  void refusesToBuildEmptyBatch() {
    assertThatThrownBy(() -> new RecordBatchBuilder(CompressionType.NONE).build())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void refusesAppendAfterBuildAndBuildsTheSameBytesTwice() {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE).append(1L, null, null, null);
    ByteBuffer first = builder.build();

    assertThat(builder.build()).isEqualTo(first);
    assertThatThrownBy(() -> builder.append(2L, null, null, null)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void growsPastInitialCapacityForThousandsOfRecords() {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, 16);
    for (int i = 0; i < 5000; i++) {
      builder.append(1000L + i, utf8("key-" + i), utf8("value-" + i), List.of(Header.of("n", "" + i)));
    }
    RecordBatch batch = RecordBatch.wrap(builder.build());

    batch.ensureValid();
    batch.validateRecords();
    List<Record> records = batch.records();
    assertThat(records).hasSize(5000);
    assertThat(records.get(4321)).isEqualTo(
        new Record(4321, 5321L, utf8("key-4321"), utf8("value-4321"), List.of(Header.of("n", "4321"))));
  }
}
