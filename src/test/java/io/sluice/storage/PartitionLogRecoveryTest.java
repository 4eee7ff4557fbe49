package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.record.RecordBatch;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionLogRecoveryTest {
  @TempDir
  Path dir;
  LogFixture fx;
  final LogModel model = new LogModel();
  final Random random = new Random(7);

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private LocalPartitionLog open(LogConfig config) {
    fx = new LogFixture(dir, config);
    return fx.open();
  }

  /** Appends {@code n} batches of 10 records with growing timestamps; returns the sizes. */
  private int[] append(PartitionLog log, int n) {
    int[] sizes = new int[n];
    for (int i = 0; i < n; i++) {
      long ts0 = 1000 + model.logEnd() * 10;
      ByteBuffer b = TestBatches.batch(10, 50 + random.nextInt(100), ts0, 10);
      sizes[i] = b.remaining();
      log.append(b, 1);
      long[] ts = new long[10];
      for (int j = 0; j < 10; j++) {
        ts[j] = ts0 + j * 10;
      }
      model.add(b, ts);
    }
    return sizes;
  }

  private void checkAll(PartitionLog log) {
    assertThat(log.logEndOffset()).isEqualTo(model.logEnd());
    List<ByteBuffer> all = LogFixture.readAll(log, 0);
    assertThat(all).containsExactlyElementsOf(model.batches.values());
    PartitionLogReadWriteTest.checkAgainstModel(log, model, random, 200);
  }

  private static void flipBit(Path file, long position) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(position);
      int b = f.read();
      f.seek(position);
      f.write(b ^ 0x10);
    }
  }

  private void dropLastBatchesFromModel(long newEnd) {
    model.truncateTo(newEnd);
  }

  @Test
  void tornTailIsCutBackToTheLastWholeBatch() throws IOException {
    LocalPartitionLog log = open(LogConfig.DEFAULT);
    int[] sizes = append(log, 10);
    Path segment = fx.segment(0);
    fx.crash();
    long size = Files.size(segment);
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.truncate(size - 7);
    }
    log = fx.open();
    dropLastBatchesFromModel(90);
    checkAll(log);
    assertThat(Files.size(segment)).isEqualTo(size - sizes[9]);
    append(log, 2);
    checkAll(fx.reopenClean());
  }

  @Test
  void garbageAfterTheLastBatchIsCut() throws IOException {
    LocalPartitionLog log = open(LogConfig.DEFAULT);
    append(log, 10);
    Path segment = fx.segment(0);
    fx.crash();
    long size = Files.size(segment);
    byte[] garbage = new byte[5000];
    random.nextBytes(garbage);
    Files.write(segment, garbage, StandardOpenOption.APPEND);
    log = fx.open();
    checkAll(log);
    assertThat(Files.size(segment)).isEqualTo(size);
  }

  @Test
  void flippedBitInTheLastBatchCutsThatBatch() throws IOException {
    LocalPartitionLog log = open(LogConfig.DEFAULT);
    int[] sizes = append(log, 10);
    Path segment = fx.segment(0);
    fx.crash();
    flipBit(segment, Files.size(segment) - sizes[9] / 2);
    log = fx.open();
    dropLastBatchesFromModel(90);
    checkAll(log);
  }

  @Test
  void flippedBitInAMiddleBatchOfTheActiveSegmentCutsFromThatBatch() throws IOException {
    LocalPartitionLog log = open(LogFixture.smallSegments(8 * 1024));
    append(log, 30);
    while (model.batches.tailMap(activeBase(log)).size() < 4) {
      append(log, 1);
    }
    Path segment = fx.segment(log.segmentCount() - 1);
    long middle = model.batches.tailMap(activeBase(log)).keySet().stream().skip(2).findFirst().orElseThrow();
    ReadResult r = log.read(middle, 1, Long.MAX_VALUE);
    assertThat(r.file()).isEqualTo(segment);
    assertThat(r.position()).isPositive();
    long corruptBase = RecordBatch.wrap(r.readBytes()).baseOffset();
    fx.crash();
    flipBit(segment, r.position() + RecordBatch.RECORDS_OFFSET + 3);
    log = fx.open();
    dropLastBatchesFromModel(corruptBase);
    checkAll(log);
    assertThat(Files.size(segment)).isEqualTo(r.position());
  }

  private static long activeBase(LocalPartitionLog log) {
    List<Path> files = log.segmentFiles();
    return Segment.parseBaseOffset(files.get(files.size() - 1).getFileName().toString());
  }

  @Test
  void corruptionInAnUnflushedOlderSegmentDeletesTheSegmentsAfterIt() throws IOException {
    LocalPartitionLog log = open(LogFixture.smallSegments(8 * 1024));
    append(log, 30);
    Path second = fx.segment(1);
    int segments = log.segmentCount();
    fx.crash();
    // forget the recovery point and segment metadata, as if the index writes were lost
    IndexStore.deleteRecursively(dir.resolve(".index"));
    flipBit(second, 100);
    log = fx.open();
    long secondBase = Segment.parseBaseOffset(second.getFileName().toString());
    dropLastBatchesFromModel(secondBase);
    checkAll(log);
    assertThat(log.segmentCount()).isEqualTo(2).isLessThan(segments);
    assertThat(Files.size(second)).isZero();
  }

  @Test
  void deletedIndexDirectoryIsRebuiltFromTheSegments() throws Exception {
    LocalPartitionLog log = open(LogFixture.smallSegments(8 * 1024));
    append(log, 60);
    long size = log.sizeInBytes();
    fx.manager.close();
    IndexStore.deleteRecursively(dir.resolve(".index"));
    log = fx.open();
    assertThat(log.recoveryScannedBytes()).isEqualTo(size);
    checkAll(log);
    assertThat(fx.manager.indexStore().partition(LogFixture.TP).floorOffset(model.logEnd())).isNotNull();
  }

  @Test
  void bogusIndexPositionsFallBackToScanningAndAreRebuilt() throws Exception {
    LocalPartitionLog log = open(LogFixture.smallSegments(16 * 1024));
    append(log, 60);
    log.flush(); // the appends' entries in RocksDB (they wait in memory otherwise), so the bogus ones below win
    PartitionIndex index = fx.manager.indexStore().partition(LogFixture.TP);
    List<Path> files = log.segmentFiles();
    try (org.rocksdb.WriteBatch writes = new org.rocksdb.WriteBatch()) {
      for (long offset = 5; offset < model.logEnd(); offset += 37) {
        long base = Segment.parseBaseOffset(files.get(
            random.nextInt(files.size())).getFileName().toString());
        index.putOffset(writes, offset, base, random.nextInt(20_000));
      }
      index.write(writes, false);
    }
    log = fx.reopenClean();
    assertThat(log.recoveryScannedBytes()).isZero();
    checkAll(log);
    // after the fallback, the entries of every segment point at real batches again
    index = fx.manager.indexStore().partition(LogFixture.TP);
    for (long offset = 0; offset < model.logEnd(); offset += 13) {
      PartitionIndex.OffsetEntry e = index.floorOffset(offset);
      if (e != null) {
        Path file = dir.resolve("orders-0").resolve(Segment.fileName(e.segmentBaseOffset()));
        try (FileChannel ch = FileChannel.open(file)) {
          BatchCursor cursor = new BatchCursor(ch, ch.size());
          assertThat(cursor.loadAt(e.position())).as("entry %s", e).isTrue();
          assertThat(cursor.baseOffset).isEqualTo(e.offset());
        }
      }
    }
  }

  @Test
  void cleanRestartReadsNoSegmentBytes() {
    LocalPartitionLog log = open(LogFixture.smallSegments(64 * 1024));
    append(log, 2000);
    assertThat(log.sizeInBytes()).isGreaterThan(200_000);
    log = fx.reopenClean();
    assertThat(log.recoveryScannedBytes()).isZero();
    checkAll(log);
  }

  @Test
  void uncleanRestartScansOnlyFromTheRecoveryPoint() {
    LocalPartitionLog log = open(LogFixture.smallSegments(64 * 1024));
    append(log, 2000);
    long activeSize = log.sizeInBytes() - sumOfClosedSegments(log);
    log = fx.crashAndReopen();
    assertThat(log.recoveryScannedBytes()).isEqualTo(activeSize);
    checkAll(log);

    append(log, 20);
    log.flush();
    append(log, 3);
    long afterFlush = log.sizeInBytes() - sumOfClosedSegments(log);
    log = fx.crashAndReopen();
    assertThat(log.recoveryScannedBytes()).isLessThan(afterFlush).isPositive();
    checkAll(log);
  }

  private static long sumOfClosedSegments(LocalPartitionLog log) {
    List<Path> files = log.segmentFiles();
    return files.subList(0, files.size() - 1).stream().mapToLong(p -> p.toFile().length()).sum();
  }

  @Test
  void corruptIndexDatabaseIsMovedAsideAndRebuilt() throws IOException {
    LocalPartitionLog log = open(LogFixture.smallSegments(8 * 1024));
    append(log, 40);
    fx.manager.close();
    Files.writeString(dir.resolve(".index").resolve("CURRENT"), "garbage-without-newline");
    log = fx.open();
    assertThat(dir.resolve(".index.corrupt")).isDirectory();
    assertThat(log.recoveryScannedBytes()).isEqualTo(log.sizeInBytes());
    checkAll(log);
  }
}
