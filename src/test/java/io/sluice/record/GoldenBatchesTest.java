package io.sluice.record;

import static io.sluice.record.TestData.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Golden files for the batch format: {@code src/test/resources/golden/batch-<codec>.bin}, one batch each, all
 * holding {@link #EXPECTED}. They pin the wire format: a change that alters any byte of the uncompressed or gzip
 * batch fails here.
 *
 * <p>To regenerate after a deliberate format change (then review the diff and commit the files):
 * <pre>mvn -q -B test -Dtest=GoldenBatchesTest -Dgolden.regenerate=true</pre>
 *
 * <p>Byte stability: the NONE batch is fully determined by the format. GZIP comes from java.util.zip with a fixed
 * header and default level, which is deterministic for a given zlib; a JDK whose zlib compresses differently
 * would need the file regenerated. SNAPPY, LZ4 and ZSTD output depends on the native library version and build,
 * so for them the test checks decoding, and that a fresh build has the same header and the same records once
 * decompressed, rather than identical compressed bytes.
 */
class GoldenBatchesTest {
  private static final Path GOLDEN_DIR = Path.of("src", "test", "resources", "golden");
  private static final long BASE_OFFSET = 42;
  private static final long T0 = 1_700_000_000_000L;

  /** Keys, a null key, an empty key, a null value, headers (one null-valued, one non-ASCII), time going back. */
  static final List<Record> EXPECTED = List.of(
      new Record(42, T0, utf8("key-0"), utf8("value-0"), List.of()),
      new Record(43, T0 + 10, null, utf8("value without key"), List.of()),
      new Record(44, T0 + 7, utf8("key-2"), null, List.of()),
      new Record(45, T0 - 2, utf8("key-3"), utf8("value-3"),
          List.of(Header.of("trace-id", "abc-123"), new Header("null-header", null))),
      new Record(46, T0 + 1_000_000, new byte[0], allByteValues(), List.of(new Header("ключ", new byte[0]))));

  private static byte[] allByteValues() {
    byte[] bytes = new byte[256];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) i;
    }
    return bytes;
  }

  /** The batch each golden file holds: EXPECTED with non-default header fields. */
  static ByteBuffer buildGolden(CompressionType type) {
    RecordBatchBuilder builder = TestData.builderWith(type, BASE_OFFSET, EXPECTED)
        .partitionLeaderEpoch(7)
        .producer(1234L, (short) 5, 17);
    return builder.build();
  }

  private static String fileName(CompressionType type) {
    return "batch-" + type.configName + ".bin";
  }

  private static ByteBuffer readGolden(CompressionType type) throws IOException {
    try (InputStream in = GoldenBatchesTest.class.getResourceAsStream("/golden/" + fileName(type))) {
      assertThat(in).as("golden file %s on the test classpath", fileName(type)).isNotNull();
      return ByteBuffer.wrap(in.readAllBytes());
    }
  }

  @Test
  @EnabledIfSystemProperty(named = "golden.regenerate", matches = "true")
  void regenerateGoldenFiles() throws IOException {
    Files.createDirectories(GOLDEN_DIR);
    for (CompressionType type : CompressionType.values()) {
      Files.write(GOLDEN_DIR.resolve(fileName(type)), TestData.bytesOf(buildGolden(type)));
    }
  }

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void decodesGoldenBatch(CompressionType type) throws IOException {
    RecordBatch batch = RecordBatch.wrap(readGolden(type));

    batch.ensureValid();
    batch.validateRecords();
    assertThat(batch.compressionType()).isEqualTo(type);
    assertThat(batch.baseOffset()).isEqualTo(BASE_OFFSET);
    assertThat(batch.lastOffsetDelta()).isEqualTo(4);
    assertThat(batch.partitionLeaderEpoch()).isEqualTo(7);
    assertThat(batch.producerId()).isEqualTo(1234L);
    assertThat(batch.producerEpoch()).isEqualTo((short) 5);
    assertThat(batch.baseSequence()).isEqualTo(17);
    assertThat(batch.baseTimestamp()).isEqualTo(T0);
    assertThat(batch.maxTimestamp()).isEqualTo(T0 + 1_000_000);
    assertThat(batch.records()).containsExactlyElementsOf(EXPECTED);
  }

  @ParameterizedTest
  @EnumSource(value = CompressionType.class, names = {"NONE", "GZIP"})
  void buildsByteIdenticalGoldenBatch(CompressionType type) throws IOException {
    assertThat(TestData.bytesOf(buildGolden(type))).isEqualTo(TestData.bytesOf(readGolden(type)));
  }

  @ParameterizedTest
  @EnumSource(value = CompressionType.class, names = {"SNAPPY", "LZ4", "ZSTD"})
  void buildsGoldenEquivalentBatchWithNativeCodec(CompressionType type) throws IOException {
    ByteBuffer golden = readGolden(type);
    ByteBuffer fresh = buildGolden(type);

    assertThat(headerWithoutLengthAndCrc(fresh)).isEqualTo(headerWithoutLengthAndCrc(golden));
    assertThat(decompressedRecords(fresh)).isEqualTo(decompressedRecords(golden));
    assertThat(decompressedRecords(golden)).isEqualTo(decompressedRecords(buildGolden(CompressionType.NONE)));
  }

  /** The 61-byte header with the two fields that depend on the compressed bytes (length and CRC) zeroed. */
  private static byte[] headerWithoutLengthAndCrc(ByteBuffer batch) {
    ByteBuffer header = ByteBuffer.wrap(TestData.bytesOf(batch.slice(0, RecordBatch.HEADER_SIZE)));
    header.putInt(RecordBatch.LENGTH_OFFSET, 0);
    header.putInt(RecordBatch.CRC_OFFSET, 0);
    return header.array();
  }

  private static byte[] decompressedRecords(ByteBuffer batch) {
    RecordBatch view = RecordBatch.wrap(batch);
    ByteBuffer section = batch.slice(RecordBatch.RECORDS_OFFSET, batch.remaining() - RecordBatch.RECORDS_OFFSET);
    return TestData.bytesOf(Compression.decompress(view.compressionType(), section, 1 << 20));
  }
}
