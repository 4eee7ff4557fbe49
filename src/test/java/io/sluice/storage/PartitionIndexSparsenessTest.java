package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDBException;

/** The RocksDB offset index is sparse by {@code index.interval.bytes}, and recovery forgets entries past a cut. */
class PartitionIndexSparsenessTest {
  private static final int BATCHES = 100;
  private static final int RECORDS_PER_BATCH = 10;

  @TempDir
  Path dir;
  LogFixture fx;

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private static LogConfig withIndexInterval(int bytes) {
    return new LogConfig(1 << 30, Long.MAX_VALUE / 2, bytes, 1_048_588, -1, -1, Long.MAX_VALUE, Long.MAX_VALUE, 0);
  }

  /** Appends equal-sized batches of 10 records (timestamps 1000 + 10 per offset); returns one batch's size. */
  private static int appendBatches(PartitionLog log, int n) {
    int size = 0;
    for (int i = 0; i < n; i++) {
      long ts0 = 1000 + log.logEndOffset() * 10;
      ByteBuffer b = TestBatches.batch(RECORDS_PER_BATCH, 100, ts0, 10);
      size = b.remaining();
      log.append(b, 1);
    }
    return size;
  }

  /** The distinct offset index entries that batch lookups can land on (RocksDB's and those kept in memory). */
  private TreeSet<Long> indexEntries(long logEnd) throws RocksDBException {
    TreeSet<Long> entries = new TreeSet<>();
    for (long offset = 0; offset < logEnd + 100; offset += RECORDS_PER_BATCH) {
      PartitionIndex.OffsetEntry e = fx.log.locator.floorEntry(offset);
      if (e != null) {
        entries.add(e.offset());
      }
    }
    return entries;
  }

  @Test
  void offsetIndexHasAnEntryPerIndexIntervalBytesNotPerBatch() throws RocksDBException {
    fx = new LogFixture(dir, withIndexInterval(1));
    PartitionLog log = fx.open();
    int batchSize = appendBatches(log, BATCHES);
    fx.close();

    fx = new LogFixture(dir.resolve("sparse"), withIndexInterval(4 * batchSize));
    PartitionLog sparse = fx.open();
    appendBatches(sparse, BATCHES);
    TreeSet<Long> entries = indexEntries(sparse.logEndOffset());
    // One entry once 4 batches' bytes were written since the previous one: at batches 4, 8, ..., 96.
    assertThat(entries).hasSize(BATCHES / 4 - 1);
    assertThat(entries.first()).isEqualTo(4L * RECORDS_PER_BATCH);
    assertThat(LogFixture.readAll(sparse, 0)).hasSize(BATCHES);
  }

  @Test
  void everyBatchButTheSegmentsFirstIsIndexedWithAOneByteInterval() throws RocksDBException {
    fx = new LogFixture(dir, withIndexInterval(1));
    PartitionLog log = fx.open();
    appendBatches(log, BATCHES);
    assertThat(indexEntries(log.logEndOffset())).hasSize(BATCHES - 1);
  }

  @Test
  void recoveryDropsOffsetAndTimeIndexEntriesPastTheCut() throws IOException, RocksDBException {
    fx = new LogFixture(dir, withIndexInterval(1));
    PartitionLog log = fx.open();
    appendBatches(log, 10);
    assertThat(indexEntries(100).last()).isEqualTo(90L);
    Path segment = fx.segment(0);
    fx.crash();
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.truncate(Files.size(segment) - 7);
    }

    log = fx.open();
    assertThat(log.logEndOffset()).isEqualTo(90);
    assertThat(indexEntries(100).last()).as("the entry of the cut batch is gone").isEqualTo(80L);
    // Batch 90's records had timestamps 1900..1990; none remains at or after 1950.
    assertThat(log.offsetForTimestamp(1950)).isEmpty();
    assertThat(log.offsetForTimestamp(1850)).hasValue(85);
  }
}
