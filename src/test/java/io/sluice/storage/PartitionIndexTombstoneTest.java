package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.TopicPartition;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.PerfContext;
import org.rocksdb.PerfLevel;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * A partition's index lookups and the open of a new log step over no key of the topics deleted before it: the
 * keys their range deletions cover stay in RocksDB's memtable until a flush, and an unbounded backward seek walked
 * them one by one. Counted with RocksDB's perf context (per thread, so the calls run on the test's thread).
 */
class PartitionIndexTombstoneTest {
  private static final int DELETED = 200;
  private static final int ENTRIES = 20;

  @TempDir
  Path dir;
  LogManager manager;
  IndexStore store;
  RocksDB db;

  @BeforeEach
  void setUp() throws RocksDBException {
    manager = LogManager.open(dir);
    store = manager.indexStore();
    db = store.use(d -> d);
  }

  @AfterEach
  void tearDown() {
    db.setPerfLevel(PerfLevel.DISABLE);
    manager.close();
  }

  /** Partitions {@code t-000-0 ...} with offset and time entries, then deleted as a topic deletion does. */
  private void deletedTopicsBefore() throws RocksDBException {
    for (int t = 0; t < DELETED; t++) {
      PartitionIndex index = store.partition(new TopicPartition(String.format("t-%03d", t), 0));
      try (WriteBatch writes = new WriteBatch()) {
        for (int i = 0; i < ENTRIES; i++) {
          index.putOffset(writes, i * 10L, 0, i * 1000);
          index.putTime(writes, 1000L + i, i * 10L);
        }
        index.write(writes, false);
      }
      try (WriteBatch writes = new WriteBatch()) {
        index.deleteAll(writes);
        index.write(writes, false);
      }
    }
  }

  /** Memtable steps (next + prev) of {@code call}, after one warm call (the first iterator of a column family
   * fragments its range deletions, once). */
  private <T> long memtableSteps(Supplier<T> call) {
    call.get();
    db.setPerfLevel(PerfLevel.ENABLE_COUNT);
    PerfContext perf = db.getPerfContext();
    perf.reset();
    call.get();
    long steps = perf.getNextOnMemtableCount() + perf.getPrevOnMemtableCount();
    db.setPerfLevel(PerfLevel.DISABLE);
    return steps;
  }

  private interface Call<T> {
    T call() throws RocksDBException;
  }

  private static <T> Supplier<T> unchecked(Call<T> call) {
    return () -> {
      try {
        return call.call();
      } catch (RocksDBException e) {
        throw new AssertionError(e);
      }
    };
  }

  @Test
  void lookupsOfAPartitionAfterDeletedOnesStepOverNoneOfTheirKeys() throws RocksDBException {
    deletedTopicsBefore();
    PartitionIndex fresh = store.partition(new TopicPartition("u", 0));

    assertThat(memtableSteps(unchecked(() -> fresh.floorOffset(Long.MAX_VALUE)))).isLessThan(DELETED);
    assertThat(memtableSteps(unchecked(() -> fresh.offsetBelowWhichTimestampsAreSmaller(5000)))).isLessThan(DELETED);
    assertThat(memtableSteps(unchecked(() -> {
      try (WriteBatch writes = new WriteBatch()) {
        fresh.deleteTimesFrom(writes, 0);
        return writes.count();
      }
    }))).isLessThan(DELETED);
  }

  @Test
  void openingANewLogAfterDeletedTopicsStepsOverNoneOfTheirKeys() {
    deletedLogs();
    db.setPerfLevel(PerfLevel.ENABLE_COUNT);
    PerfContext perf = db.getPerfContext();
    perf.reset();
    manager.openLog(new TopicPartition("u", 0), LogConfig.DEFAULT, "id-u");
    long steps = perf.getNextOnMemtableCount() + perf.getPrevOnMemtableCount();
    db.setPerfLevel(PerfLevel.DISABLE);

    // Before the bounds, 2,408 here: the deleted logs' entries walked backwards, and the range deletions fragmented
    // again after the open's claim had written three more of nothing.
    assertThat(steps).isLessThan(DELETED);
  }

  /** Logs created with an id, filled with an index entry per batch and deleted, as topics are. */
  private void deletedLogs() {
    LogConfig everyBatch = new LogConfig(64 * 1024, Long.MAX_VALUE / 2, 1, 1_048_588, -1, -1, Long.MAX_VALUE,
        Long.MAX_VALUE, 0);
    for (int t = 0; t < DELETED; t++) {
      TopicPartition tp = new TopicPartition(String.format("t-%03d", t), 0);
      PartitionLog log = manager.openLog(tp, everyBatch, "id-" + t);
      for (int i = 0; i < 5; i++) {
        log.append(TestBatches.batch(5, 10, 1000 + i * 5, 1), 0);
      }
      manager.deleteLog(tp);
    }
    manager.openLog(new TopicPartition("a", 0), LogConfig.DEFAULT, "id-a"); // the column families' first iterators
  }

  @Test
  void boundedLookupsFindOnlyThePartitionsOwnEntries() throws RocksDBException {
    PartitionIndex before = store.partition(new TopicPartition("m", 0));
    PartitionIndex own = store.partition(new TopicPartition("n", 0));
    PartitionIndex after = store.partition(new TopicPartition("o", 0));
    try (WriteBatch writes = new WriteBatch()) {
      before.putOffset(writes, 5, 0, 50);
      before.putTime(writes, 900, 5);
      own.putOffset(writes, 100, 0, 0);
      own.putOffset(writes, 200, 0, 1000);
      own.putTime(writes, 1000, 100);
      own.putTime(writes, 2000, 200);
      after.putOffset(writes, 300, 0, 0);
      after.putTime(writes, 3000, 300);
      own.write(writes, false);
    }

    assertThat(own.floorOffset(99)).isNull();
    assertThat(own.floorOffset(150)).isEqualTo(new PartitionIndex.OffsetEntry(100, 0, 0));
    assertThat(own.floorOffset(Long.MAX_VALUE)).isEqualTo(new PartitionIndex.OffsetEntry(200, 0, 1000));
    assertThat(own.offsetBelowWhichTimestampsAreSmaller(950)).isEqualTo(-1);
    assertThat(own.offsetBelowWhichTimestampsAreSmaller(1500)).isEqualTo(100);
    assertThat(own.offsetBelowWhichTimestampsAreSmaller(99_999)).isEqualTo(200);
    assertThat(own.isEmpty()).isFalse();
    assertThat(store.partition(new TopicPartition("nn", 0)).isEmpty()).isTrue();

    try (WriteBatch writes = new WriteBatch()) {
      own.deleteTimesFrom(writes, 150);
      own.deleteOffsetsFrom(writes, 150);
      own.write(writes, false);
    }
    assertThat(own.offsetBelowWhichTimestampsAreSmaller(99_999)).isEqualTo(100);
    assertThat(own.floorOffset(Long.MAX_VALUE)).isEqualTo(new PartitionIndex.OffsetEntry(100, 0, 0));
    assertThat(before.floorOffset(Long.MAX_VALUE)).isEqualTo(new PartitionIndex.OffsetEntry(5, 0, 50));
    assertThat(after.floorOffset(Long.MAX_VALUE)).isEqualTo(new PartitionIndex.OffsetEntry(300, 0, 0));
    assertThat(after.offsetBelowWhichTimestampsAreSmaller(99_999)).isEqualTo(300);
  }
}
