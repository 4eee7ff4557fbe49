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
