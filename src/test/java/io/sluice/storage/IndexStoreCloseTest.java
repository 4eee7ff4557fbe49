package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.StorageException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDBException;

/**
 * The index store closed under a partition log that is still writing, reading or closing (a broker shutdown that ran
 * out of time): RocksDB would crash the JVM on the freed handles (SIGSEGV, the surefire fork dies); the store must
 * answer a storage error instead, and the log must come back whole at the next open.
 */
class IndexStoreCloseTest {
  /** An index entry per batch: every append and every read goes to RocksDB. */
  private static final LogConfig CONFIG = new LogConfig(64 * 1024, Long.MAX_VALUE / 2, 1, 1_048_588, -1, -1,
      Long.MAX_VALUE, Long.MAX_VALUE, 0);

  @TempDir
  Path dir;

  @Test
  void everyUseAfterCloseIsAStorageErrorAndTheLogRecoversWhole() throws Exception {
    AtomicLong clock = new AtomicLong(1_000);
    LogManager manager = LogManager.open(dir);
    PartitionLog log = manager.openLog(LogFixture.TP, CONFIG, clock::get);
    for (int i = 0; i < 20; i++) {
      log.append(TestBatches.batch(5, 100, i, 1), 0);
    }
    IndexStore index = manager.indexStore();
    index.close();

    assertThatThrownBy(() -> index.partition(LogFixture.TP).floorOffset(50)).isInstanceOf(RocksDBException.class)
        .hasMessageContaining("is closed");
    assertThatThrownBy(index::cacheCapacity).isInstanceOf(RocksDBException.class);
    assertThatThrownBy(() -> log.append(TestBatches.batch(5, 100, 20, 1), 0)).isInstanceOf(StorageException.class)
        .hasMessageContaining("is closed");
    assertThat(log.isFailed()).as("a log whose index is gone refuses writes").isTrue();
    assertThat(log.read(50, 1 << 20, log.logEndOffset()).fetchOffset()).as("reads fall back to a scan").isEqualTo(50);
    log.close(); // the clean shutdown fails (no marker): logged, not thrown
    manager.close();

    try (LogManager reopened = LogManager.open(dir)) {
      // the refused batch reached the segment before its index entry failed: kept or not, as after a crash
      assertThat(reopened.openLog(LogFixture.TP, CONFIG, clock::get).logEndOffset()).isIn(100L, 105L);
    }
  }

  @Test
  void closingTheStoreWhileAnOwnerWritesAndReadersReadNeverCrashes() throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(3);
    try {
      for (int round = 0; round < 5; round++) {
        Path data = dir.resolve("round-" + round);
        LogManager manager = LogManager.open(data);
        PartitionLog log = manager.openLog(LogFixture.TP, CONFIG);
        log.append(TestBatches.batch(5, 100, 0, 1), 0);
        CountDownLatch running = new CountDownLatch(2);
        Future<Long> writer = threads.submit(() -> appendUntilRefused(log, running));
        Future<Long> reader = threads.submit(() -> readUntilRefused(manager.indexStore(), running));
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        manager.indexStore().close(); // what Broker.close did once its grace ran out
        long appended = writer.get(10, TimeUnit.SECONDS);
        reader.get(10, TimeUnit.SECONDS);
        log.close();
        manager.close();
        try (LogManager reopened = LogManager.open(data)) {
          assertThat(reopened.openLog(LogFixture.TP, CONFIG).logEndOffset())
              .as("round %d: every acknowledged append is there after recovery", round)
              .isGreaterThanOrEqualTo(appended);
        }
      }
    } finally {
      threads.shutdownNow();
    }
  }

  /** Appends until the log refuses; the log end after the last acknowledged append. */
  private static long appendUntilRefused(PartitionLog log, CountDownLatch running) {
    long end = log.logEndOffset();
    running.countDown();
    for (int i = 0; ; i++) {
      try {
        end = log.append(TestBatches.batch(5, 100, i, 1), 0).logEndOffset();
      } catch (StorageException e) {
        assertThat(e).hasMessageContaining("is closed");
        return end;
      }
    }
  }

  private static long readUntilRefused(IndexStore index, CountDownLatch running) {
    PartitionIndex partition = index.partition(LogFixture.TP);
    running.countDown();
    for (long lookups = 0; ; lookups++) {
      try {
        partition.floorOffset(lookups);
        partition.offsetBelowWhichTimestampsAreSmaller(lookups);
      } catch (RocksDBException e) {
        assertThat(e).hasMessageContaining("is closed");
        return lookups;
      }
    }
  }
}
