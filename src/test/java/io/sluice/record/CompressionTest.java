package io.sluice.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.CorruptRecordException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CompressionTest {

  private static ByteBuffer compressed(CompressionType type, byte[] data) {
    GrowableBytes out = new GrowableBytes(64);
    Compression.compress(type, data, 0, data.length, out);
    return out.toByteBuffer();
  }

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void roundTripsBytesThroughEachCodec(CompressionType type) {
    byte[] data = new byte[200_000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i % 251 ^ i / 1000);
    }
    ByteBuffer packed = compressed(type, data);

    assertThat(TestData.bytesOf(Compression.decompress(type, packed, data.length))).isEqualTo(data);
  }

  @Test
  void writesKafkaCompatibleStreamMagic() {
    byte[] data = TestData.utf8("hello hello hello");
    assertThat(prefix(compressed(CompressionType.GZIP, data), 2)).containsExactly(0x1f, 0x8b);
    // xerial snappy-java stream header: 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00
    assertThat(prefix(compressed(CompressionType.SNAPPY, data), 8))
        .containsExactly(0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0);
    // LZ4 frame magic 0x184D2204, little-endian
    assertThat(prefix(compressed(CompressionType.LZ4, data), 4)).containsExactly(0x04, 0x22, 0x4d, 0x18);
    // zstd frame magic 0xFD2FB528, little-endian
    assertThat(prefix(compressed(CompressionType.ZSTD, data), 4)).containsExactly(0x28, 0xb5, 0x2f, 0xfd);
  }

  private static int[] prefix(ByteBuffer buffer, int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = buffer.get(i) & 0xff;
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(value = CompressionType.class, names = {"GZIP", "SNAPPY", "LZ4", "ZSTD"})
  void capsDecompressedSize(CompressionType type) {
    byte[] zeros = new byte[100_000];
    ByteBuffer packed = compressed(type, zeros);

    assertThatThrownBy(() -> Compression.decompress(type, packed, 99_999))
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining("exceed the limit of 99999 bytes");
    assertThat(Compression.decompress(type, packed, 100_000).remaining()).isEqualTo(100_000);
  }

  @Test
  void batchRecordsHonourAnExplicitDecompressionCap() {
    RecordBatch batch = RecordBatch.wrap(new RecordBatchBuilder(CompressionType.ZSTD)
        .append(1L, null, new byte[50_000], null).build());

    assertThatThrownBy(() -> batch.validateRecords(10_000)).isInstanceOf(CorruptRecordException.class);
    assertThatThrownBy(() -> batch.records(10_000)).isInstanceOf(CorruptRecordException.class);
    assertThat(batch.records(60_000)).hasSize(1);
  }

  @Test
  void defaultCapIsAtLeast64MiBAndGrowsWithCompressedSize() {
    assertThat(Compression.defaultMaxDecompressedBytes(10)).isEqualTo(64 << 20);
    assertThat(Compression.defaultMaxDecompressedBytes(2 << 20)).isEqualTo(128 << 20);
    assertThat(Compression.defaultMaxDecompressedBytes(Integer.MAX_VALUE)).isEqualTo(GrowableBytes.MAX_ARRAY_SIZE);
  }

  /** A gzip bomb: ~65 KiB of gzip that would inflate to 80 MiB of zeros, far past the default cap. */
  @Test
  void rejectsDecompressionBombWithDefaultCap() throws Exception {
    GrowableBytes bomb = new GrowableBytes(1 << 17);
    bomb.skip(RecordBatch.HEADER_SIZE);
    byte[] zeros = new byte[1 << 20];
    try (GZIPOutputStream gzip = new GZIPOutputStream(bomb)) {
      for (int i = 0; i < 80; i++) {
        gzip.write(zeros);
      }
    }
    ByteBuffer template = new RecordBatchBuilder(CompressionType.GZIP).append(1L, null, null, null).build();
    ByteBuffer buffer = bomb.toByteBuffer();
    buffer.put(0, template.duplicate().limit(RecordBatch.HEADER_SIZE), 0, RecordBatch.HEADER_SIZE);
    buffer.putInt(RecordBatch.LENGTH_OFFSET, buffer.limit() - RecordBatch.LOG_OVERHEAD);
    RecordBatch batch = RecordBatch.wrap(buffer);
    buffer.putInt(RecordBatch.CRC_OFFSET, (int) batch.computeChecksum());

    batch.ensureValid();
    assertThat(batch.sizeInBytes()).isLessThan(200_000);
    assertThatThrownBy(batch::validateRecords).isInstanceOf(CorruptRecordException.class)
        .hasMessageContaining("exceed the limit of " + (64 << 20));
    assertThatThrownBy(batch::records).isInstanceOf(CorruptRecordException.class);
  }

  @Test
  void decompressesFromDirectBufferWithoutMovingItsPosition() {
    byte[] data = new byte[10_000];
    Arrays.fill(data, (byte) 'z');
    ByteBuffer heap = compressed(CompressionType.LZ4, data);
    ByteBuffer direct = ByteBuffer.allocateDirect(heap.remaining()).put(heap.duplicate()).flip();

    assertThat(TestData.bytesOf(Compression.decompress(CompressionType.LZ4, direct, 10_000))).isEqualTo(data);
    assertThat(direct.position()).isZero();
    assertThat(direct.remaining()).isEqualTo(heap.remaining());
  }
}
