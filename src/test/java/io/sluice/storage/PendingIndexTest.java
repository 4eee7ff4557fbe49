package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDBException;

/**
 * An append's index entries wait in memory ({@link PendingIndex}) and reach RocksDB together; reads find them
 * either way, and what a crash loses of them recovery writes again.
 */
class PendingIndexTest {
  private static final int RECORDS_PER_BATCH = 10;

  @TempDir
  Path dir;
  LogFixture fx;
  final List<ByteBuffer> appended = new ArrayList<>();

  @AfterEach
  void tearDown() {
    fx.close();
  }

  /** One entry per batch but the segment's first (an interval of 1 byte); segments far larger than the test. */
  private LocalPartitionLog open() {
    fx = new LogFixture(dir, new LogConfig(1 << 30, Long.MAX_VALUE / 2, 1, 1_048_588, -1, -1, Long.MAX_VALUE,
        Long.MAX_VALUE, 0));
    return fx.open();
  }

  private void append(PartitionLog log, int batches, int valueSize) {
    for (int i = 0; i < batches; i++) {
      ByteBuffer b = TestBatches.batch(RECORDS_PER_BATCH, valueSize, 1000 + log.logEndOffset(), 1);
      appended.add(b.duplicate());
      log.append(b, 1);
    }
  }

  private PartitionIndex.OffsetEntry stored(long offset) throws RocksDBException {
    return fx.manager.indexStore().partition(LogFixture.TP).floorOffset(offset);
  }

  /** Reads each batch on its own, from every offset of it, and compares it with what was appended. */
  private void checkEveryOffset(PartitionLog log) {
    for (int i = 0; i < appended.size(); i++) {
      for (int k = 0; k < RECORDS_PER_BATCH; k += 3) {
        ReadResult r = log.read((long) i * RECORDS_PER_BATCH + k, 1, Long.MAX_VALUE);
        assertThat(r.readBytes()).as("batch %d read at +%d", i, k).isEqualTo(appended.get(i).duplicate());
      }
    }
  }

  @Test
  void appendsWriteTheirEntriesToRocksDbOnlyOnceEnoughWait() throws RocksDBException {
    LocalPartitionLog log = open();
    append(log, 10, 100);
    assertThat(stored(log.logEndOffset())).as("no RocksDB write per append").isNull();
    assertThat(log.pendingIndex.uncommitted()).isEqualTo(9);
    assertThat(log.locator.floorEntry(95)).isEqualTo(new PartitionIndex.OffsetEntry(90, 0, positionOf(9)));
    checkEveryOffset(log);

    append(log, PendingIndex.COMMIT_ENTRIES - 9, 100);
    assertThat(log.pendingIndex.uncommitted()).isZero();
    long last = (long) (appended.size() - 1) * RECORDS_PER_BATCH;
    assertThat(stored(last + 5)).isEqualTo(new PartitionIndex.OffsetEntry(last, 0, positionOf(appended.size() - 1)));
    assertThat(log.locator.floorEntry(last + 5)).as("the newest stays in memory for tail reads")
        .isEqualTo(stored(last + 5));
    checkEveryOffset(log);
  }

  @Test
  void entriesACrashLosesAreWrittenAgainByRecovery() throws RocksDBException {
    LocalPartitionLog log = open();
    append(log, 30, 100);
    assertThat(stored(300)).isNull();
    log = fx.crashAndReopen();
    assertThat(log.recoveryScannedBytes()).isPositive();
    for (int i = 1; i < 30; i++) {
      assertThat(stored(i * RECORDS_PER_BATCH + 1L))
          .isEqualTo(new PartitionIndex.OffsetEntry(i * RECORDS_PER_BATCH, 0, positionOf(i)));
    }
    checkEveryOffset(log);
  }

  @Test
  void flushAndCloseWriteTheWaitingEntries() throws RocksDBException {
    LocalPartitionLog log = open();
    append(log, 5, 100);
    log.flush();
    assertThat(stored(45)).isEqualTo(new PartitionIndex.OffsetEntry(40, 0, positionOf(4)));
    append(log, 5, 100);
    log = fx.reopenClean();
    assertThat(log.recoveryScannedBytes()).as("a clean restart trusts the index").isZero();
    assertThat(stored(95)).isEqualTo(new PartitionIndex.OffsetEntry(90, 0, positionOf(9)));
    checkEveryOffset(log);
  }

  @Test
  void aTruncationForgetsTheWaitingEntriesOfWhatItCut() {
    LocalPartitionLog log = open();
    append(log, 20, 100);
    log.truncateTo(100);
    appended.subList(10, appended.size()).clear();
    append(log, 20, 37); // other sizes: an entry left from before the cut would point into the middle of a batch
    checkEveryOffset(log);
    assertThat(log.locator.floorEntry(155)).isEqualTo(new PartitionIndex.OffsetEntry(150, 0, positionOf(15)));
  }

  @Test
  void aRollWritesTheWaitingEntriesAndStartsTheNewSegmentEmpty() throws RocksDBException {
    LocalPartitionLog log = open();
    append(log, 10, 100);
    log.roll();
    assertThat(stored(95)).isEqualTo(new PartitionIndex.OffsetEntry(90, 0, positionOf(9)));
    assertThat(log.locator.floorEntry(105)).as("a new segment's first batch has no entry")
        .isEqualTo(stored(105));
    append(log, 3, 100);
    assertThat(log.locator.floorEntry(125)).isEqualTo(new PartitionIndex.OffsetEntry(120, 100, sizeOf(10, 11)));
    checkEveryOffset(log);
  }

  private int positionOf(int batch) {
    return sizeOf(0, batch - 1);
  }

  private int sizeOf(int from, int to) {
    int size = 0;
    for (int i = from; i <= to; i++) {
      size += appended.get(i).remaining();
    }
    return size;
  }
}
