package io.sluice.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.Batches;
import io.sluice.api.FetchResult;
import io.sluice.api.TopicPartition;
import io.sluice.errors.CorruptRecordException;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch poll's fetches read into memory: the position a poll moves to is the end of the batches it actually read,
 * whatever the fetch said (the log may change between the fetch and the read), and a cut read fails the poll.
 */
class PartitionPollerInMemoryTest {
  private static final TopicPartition TP = new TopicPartition("t", 0);

  /** Two batches from {@code baseOffset}: two records, then one. */
  private static byte[] batches(long baseOffset) {
    ByteBuffer first = new RecordBatchBuilder(CompressionType.NONE).baseOffset(baseOffset)
        .append(1, null, new byte[] {1}, List.of()).append(2, null, new byte[] {2}, List.of()).build();
    ByteBuffer second = new RecordBatchBuilder(CompressionType.NONE).baseOffset(baseOffset + 2)
        .append(3, null, new byte[] {3}, List.of()).build();
    byte[] out = new byte[first.remaining() + second.remaining()];
    int firstSize = first.remaining();
    first.get(out, 0, firstSize);
    second.get(out, firstSize, second.remaining());
    return out;
  }

  private static PartitionPoller.Raw raw(FetchResult f) {
    Map<TopicPartition, FetchResult> fetched = new LinkedHashMap<>();
    fetched.put(TP, f);
    return new PartitionPoller.Raw(fetched, List.of());
  }

  @Test
  void aFileRegionIsReadAndThePositionIsTheEndOfTheBatchesRead(@TempDir Path dir) throws Exception {
    byte[] bytes = batches(10);
    Path file = dir.resolve("segment");
    Files.write(file, bytes);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      // The fetch claims more than the region holds, as a read after a truncation and a rewrite could.
      FetchResult fetched = new FetchResult(TP, 20, 0, 99, Batches.ofFile(file, channel, 0, bytes.length));
      FetchResult read = PartitionPoller.inMemory(raw(fetched)).fetched().get(TP);
      assertThat(read.batches().inMemory()).isTrue();
      ByteBuffer readBytes = read.batches().readBytes();
      byte[] copy = new byte[readBytes.remaining()];
      readBytes.get(copy);
      assertThat(copy).containsExactly(bytes);
      assertThat(read.nextOffset()).isEqualTo(13);
      assertThat(read.highWatermark()).isEqualTo(20);
    }
  }

  /** Batches from offset 0, one record of 1,000 to 1,999 bytes each, together at least {@code size} bytes. */
  private static byte[] manyBatches(int size) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int offset = 0; out.size() < size; offset++) {
      ByteBuffer batch = new RecordBatchBuilder(CompressionType.NONE).baseOffset(offset)
          .append(offset, null, new byte[1_000 + offset % 1_000], List.of()).build();
      byte[] b = new byte[batch.remaining()];
      batch.get(b);
      out.writeBytes(b);
    }
    return out.toByteArray();
  }

  /**
   * A group poll's share of a partition (4 MiB over six: about 700 KB) read as one array was a G1 humongous
   * allocation per partition per poll on a 1 GiB heap (1 MiB regions). Read in chunks under half a region, batches
   * spanning two chunks, the bytes and the next offset are the same.
   */
  @Test
  void aLargeRegionIsReadInChunksUnderHalfARegion(@TempDir Path dir) throws Exception {
    byte[] bytes = manyBatches(700_000);
    Path file = dir.resolve("segment");
    Files.write(file, bytes);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      FetchResult fetched = new FetchResult(TP, 1_000, 0, 1_000, Batches.ofFile(file, channel, 0, bytes.length));
      FetchResult read = PartitionPoller.inMemory(raw(fetched)).fetched().get(TP);
      assertThat(read.batches()).isInstanceOf(Batches.Chunks.class);
      List<byte[]> chunks = ((Batches.Chunks) read.batches()).chunks();
      assertThat(chunks).hasSizeGreaterThan(2);
      assertThat(chunks).allSatisfy(c -> assertThat(c.length).isLessThanOrEqualTo(Batches.Chunks.CHUNK_BYTES));
      assertThat(Batches.Chunks.CHUNK_BYTES + 16).isLessThan(512 * 1024);
      assertThat(read.batches().readBytes().array()).containsExactly(bytes);
      long last = -1;
      for (var b : io.sluice.record.RecordBatches.split(ByteBuffer.wrap(bytes))) {
        last = b.nextOffset();
      }
      assertThat(read.nextOffset()).isEqualTo(last);
    }
  }

  @Test
  void aLargeRegionCutInsideABatchFails(@TempDir Path dir) throws Exception {
    byte[] bytes = manyBatches(600_000);
    Path file = dir.resolve("segment");
    Files.write(file, bytes);
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      for (int cut : new int[] {bytes.length - 3, bytes.length - 1_500}) {
        FetchResult fetched = new FetchResult(TP, 1_000, 0, 1_000, Batches.ofFile(file, channel, 0, cut));
        assertThatThrownBy(() -> PartitionPoller.inMemory(raw(fetched))).isInstanceOf(CorruptRecordException.class);
      }
    }
  }

  @Test
  void anEmptyFetchStaysAsItIsAndACutOneFails() {
    FetchResult empty = new FetchResult(TP, 5, 0, 5, Batches.EMPTY);
    assertThat(PartitionPoller.inMemory(raw(empty)).fetched().get(TP)).isSameAs(empty);
    byte[] bytes = batches(0);
    byte[] cut = Arrays.copyOf(bytes, bytes.length - 3);
    assertThatThrownBy(() -> PartitionPoller.inMemory(raw(new FetchResult(TP, 5, 0, 3, Batches.wrap(cut)))))
        .isInstanceOf(CorruptRecordException.class);
  }
}
