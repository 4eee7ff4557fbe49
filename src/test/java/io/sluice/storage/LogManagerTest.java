package io.sluice.storage;

import io.sluice.api.TopicPartition;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogManagerTest {
  @TempDir
  Path dir;

  @Test
  void existingLogsAreFoundFromDirectoryNames() {
    try (LogManager manager = LogManager.open(dir)) {
      manager.openLog(new TopicPartition("a-b", 3), LogConfig.DEFAULT);
      manager.openLog(new TopicPartition("orders", 12), LogConfig.DEFAULT);
      manager.openLog(new TopicPartition(".hidden", 0), LogConfig.DEFAULT); // a legal topic name, as in Kafka
    }
    try (LogManager manager = LogManager.open(dir)) {
      assertThat(manager.existingLogs()).containsExactlyInAnyOrder(new TopicPartition("a-b", 3),
          new TopicPartition("orders", 12), new TopicPartition(".hidden", 0));
    }
  }

  @Test
  void existingLogTopicIdsOnlyLookSoALogOpeningMeanwhileKeepsItsTempFile() throws Exception {
    TopicPartition stamped = new TopicPartition("orders", 0);
    TopicPartition opening = new TopicPartition("orders", 1);
    try (LogManager manager = LogManager.open(dir)) {
      manager.openLog(stamped, LogConfig.DEFAULT, () -> 0L, "id-1");
      // another thread's claim of a new log, between its temp file and the rename (the broker's start looks for
      // stray logs while it opens its partitions)
      Path temp = Files.createDirectories(dir.resolve(opening.dirName())).resolve(PartitionMetadataFile.FILE + ".tmp");
      Files.writeString(temp, "version: 0\ntopic_id: id-1\n");

      assertThat(manager.existingLogTopicIds()).containsEntry(stamped, java.util.Optional.of("id-1"))
          .containsEntry(opening, java.util.Optional.empty());
      assertThat(temp).as("the claim's rename still finds it").exists();
    }
  }

  @Test
  void openLogTwiceReturnsTheOpenLog() {
    try (LogManager manager = LogManager.open(dir)) {
      TopicPartition tp = new TopicPartition("t", 0);
      assertThat(manager.openLog(tp, LogConfig.DEFAULT)).isSameAs(manager.openLog(tp, LogConfig.DEFAULT));
    }
  }

  @Test
  void deleteLogRemovesFilesAndIndexKeysButNotOtherPartitions() throws Exception {
    AtomicLong clock = new AtomicLong();
    TopicPartition doomed = new TopicPartition("t", 1);
    TopicPartition kept = new TopicPartition("t", 10);
    LogConfig config = LogFixture.smallSegments(4096);
    try (LogManager manager = LogManager.open(dir)) {
      for (TopicPartition tp : new TopicPartition[] {doomed, kept}) {
        PartitionLog log = manager.openLog(tp, config, clock::get);
        for (int i = 0; i < 20; i++) {
          log.append(TestBatches.batch(5, 200, i, 1), 0);
        }
      }
      manager.deleteLog(doomed);
      assertThat(Files.exists(dir.resolve("t-1"))).isFalse();
      assertThat(manager.existingLogs()).containsExactly(kept);
      assertThat(manager.indexStore().partition(doomed).floorOffset(Long.MAX_VALUE)).isNull();
      assertThat(manager.indexStore().partition(doomed).segmentMetas()).isEmpty();
      assertThat(manager.indexStore().partition(kept).floorOffset(Long.MAX_VALUE)).isNotNull();
      PartitionLog recreated = manager.openLog(doomed, config, clock::get);
      assertThat(recreated.logEndOffset()).isZero();
      assertThat(manager.openLog(kept, config, clock::get).logEndOffset()).isEqualTo(100);
    }
  }

  @Test
  void deletesAndRecreatesALongNamedPartitionWithoutItsOldRecords() throws Exception {
    // 249 characters (the longest valid topic name) + "-11": a suffix on the directory name passes 255 bytes
    assertRecreatedEmpty(new TopicPartition("t".repeat(249), 11));
  }

  @Test
  void deletesAndRecreatesAPartitionWhoseDirectoryNameIsAtTheFileNameLimit() throws Exception {
    TopicPartition tp = new TopicPartition("x".repeat(249), 99_999);
    assertThat(tp.dirName().getBytes(java.nio.charset.StandardCharsets.UTF_8)).hasSize(255);
    assertRecreatedEmpty(tp);
  }

  private void assertRecreatedEmpty(TopicPartition tp) throws Exception {
    AtomicLong clock = new AtomicLong();
    try (LogManager manager = LogManager.open(dir)) {
      manager.openLog(tp, LogConfig.DEFAULT, clock::get, "id-1").append(TestBatches.batch(3, 10, 0, 1), 0);
      manager.deleteLog(tp);
      assertThat(dir.resolve(tp.dirName())).doesNotExist();
      assertThat(manager.existingLogs()).isEmpty();
      assertThat(manager.openLog(tp, LogConfig.DEFAULT, clock::get, "id-2").logEndOffset()).isZero();
    }
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left.map(p -> p.getFileName().toString())).as("nothing left to delete")
          .noneMatch(name -> name.endsWith(".delete"));
    }
  }

  @Test
  void aDirectoryLeftByAnOlderTopicOfTheSameNameIsDiscarded() throws Exception {
    TopicPartition tp = new TopicPartition("orders", 0);
    AtomicLong clock = new AtomicLong();
    try (LogManager manager = LogManager.open(dir)) {
      manager.openLog(tp, LogConfig.DEFAULT, clock::get, "old-id").append(TestBatches.batch(5, 10, 0, 1), 0);
    } // this broker never saw the delete (it was down, or the delete failed half-way)
    try (LogManager manager = LogManager.open(dir)) {
      PartitionLog log = manager.openLog(tp, LogConfig.DEFAULT, clock::get, "new-id");
      assertThat(log.logEndOffset()).isZero();
      assertThat(manager.indexStore().partition(tp).segmentMetas()).isEmpty();
      assertThat(PartitionMetadataFile.read(dir.resolve(tp.dirName()))).contains("new-id");
    }
    try (LogManager manager = LogManager.open(dir)) {
      assertThat(manager.openLog(tp, LogConfig.DEFAULT, clock::get, "new-id").logEndOffset()).isZero();
    }
  }

  @Test
  void theSameTopicIdKeepsItsRecordsAndAnUnstampedDirectoryIsAdopted() throws Exception {
    TopicPartition tp = new TopicPartition("orders", 0);
    AtomicLong clock = new AtomicLong();
    try (LogManager manager = LogManager.open(dir)) {
      manager.openLog(tp, LogConfig.DEFAULT, clock::get).append(TestBatches.batch(5, 10, 0, 1), 0);
    }
    try (LogManager manager = LogManager.open(dir)) {
      assertThat(manager.openLog(tp, LogConfig.DEFAULT, clock::get, "id").logEndOffset()).isEqualTo(5);
    }
    try (LogManager manager = LogManager.open(dir)) {
      assertThat(manager.openLog(tp, LogConfig.DEFAULT, clock::get, "id").logEndOffset()).isEqualTo(5);
    }
  }

  @Test
  void indexKeysADeleteLeftBehindDoNotReachANewLog() throws Exception {
    TopicPartition tp = new TopicPartition("orders", 0);
    AtomicLong clock = new AtomicLong();
    try (LogManager manager = LogManager.open(dir)) {
      PartitionLog log = manager.openLog(tp, LogFixture.smallSegments(4096), clock::get, "old-id");
      for (int i = 0; i < 20; i++) {
        log.append(TestBatches.batch(5, 200, i, 1), 0);
      }
    }
    IndexStore.deleteRecursively(dir.resolve(tp.dirName())); // a delete that stopped before the index
    try (LogManager manager = LogManager.open(dir)) {
      assertThat(manager.indexStore().partition(tp).segmentMetas()).isNotEmpty();
      PartitionLog log = manager.openLog(tp, LogConfig.DEFAULT, clock::get, "new-id");
      assertThat(log.logEndOffset()).isZero();
      assertThat(manager.indexStore().partition(tp).floorOffset(Long.MAX_VALUE)).isNull();
    }
  }

  @Test
  void flushMessagesPolicyAdvancesTheRecoveryPoint() {
    LogConfig config = new LogConfig(1 << 20, Long.MAX_VALUE / 2, 4096, 1 << 20, -1, -1, 10, Long.MAX_VALUE, 0);
    try (LogFixture fx = new LogFixture(dir, config)) {
      LocalPartitionLog log = fx.open();
      for (int i = 0; i < 10; i++) {
        log.append(TestBatches.batch(5, 100, i, 1), 0); // a flush every second append
      }
      long size = log.sizeInBytes();
      log = fx.crashAndReopen();
      assertThat(log.recoveryScannedBytes()).isZero();
      assertThat(log.sizeInBytes()).isEqualTo(size);
    }
  }

  @Test
  void flushMsPolicyFlushesOnlyAfterTheInterval() {
    LogConfig config = new LogConfig(1 << 20, Long.MAX_VALUE / 2, 4096, 1 << 20, -1, -1, Long.MAX_VALUE, 1000, 0);
    try (LogFixture fx = new LogFixture(dir, config)) {
      LocalPartitionLog log = fx.open();
      log.append(TestBatches.batch(5, 100, 0, 1), 0);
      log.maybeFlush(fx.clock.get() + 999);
      log = fx.crashAndReopen();
      assertThat(log.recoveryScannedBytes()).as("not flushed yet: scanned").isPositive();
      log.append(TestBatches.batch(5, 100, 0, 1), 0);
      log.maybeFlush(fx.clock.get() + 1000);
      log = fx.crashAndReopen();
      assertThat(log.recoveryScannedBytes()).isZero();
    }
  }
}
