package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.OffsetOutOfRangeException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionLogRetentionTest {
  @TempDir
  Path dir;
  LogFixture fx;
  final LogModel model = new LogModel();

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private LocalPartitionLog open(long retentionMs, long retentionBytes, long fileDeleteDelayMs) {
    fx = new LogFixture(dir, new LogConfig(4096, Long.MAX_VALUE / 2, 1024, 1 << 20, retentionMs, retentionBytes,
        Long.MAX_VALUE, Long.MAX_VALUE, fileDeleteDelayMs));
    return fx.open();
  }

  /** Appends batches of 10 records, 1 ms apart starting at {@code ts0}; about 3 batches per segment. */
  private void append(PartitionLog log, int batches, long ts0) {
    for (int i = 0; i < batches; i++) {
      long[] ts = new long[10];
      for (int j = 0; j < 10; j++) {
        ts[j] = ts0 + i;
      }
      ByteBuffer b = TestBatches.batch(ts, 100);
      log.append(b, 0);
      model.add(b, ts);
    }
  }

  @Test
  void timeRetentionDeletesSegmentsWhoseNewestRecordIsTooOld() {
    LocalPartitionLog log = open(10_000, -1, 0);
    append(log, 9, 100_000);   // three segments, newest timestamp 100_008
    append(log, 9, 200_000);
    int before = log.segmentCount();
    assertThat(log.enforceRetention(105_000)).isZero();
    int deleted = log.enforceRetention(150_000);
    assertThat(deleted).isEqualTo(3);
    assertThat(log.segmentCount()).isEqualTo(before - 3);
    assertThat(log.logStartOffset()).isEqualTo(90);
    assertThatThrownBy(() -> log.read(89, 1000, Long.MAX_VALUE)).isInstanceOf(OffsetOutOfRangeException.class)
        .hasMessageContaining("orders-0").hasMessageContaining("89").hasMessageContaining("[90, 180)");
    assertThat(log.read(90, 1000, Long.MAX_VALUE).length()).isPositive();
    assertThat(log.offsetForTimestamp(0)).hasValue(90);
  }

  @Test
  void whenEverySegmentExpiresAnEmptySegmentKeepsTheLogEnd() {
    LocalPartitionLog log = open(10_000, -1, 0);
    append(log, 7, 100_000);
    log.enforceRetention(1_000_000);
    assertThat(log.segmentCount()).isEqualTo(1);
    assertThat(log.logStartOffset()).isEqualTo(70);
    assertThat(log.logEndOffset()).isEqualTo(70);
    assertThat(log.sizeInBytes()).isZero();
    assertThat(log.read(70, 1000, Long.MAX_VALUE).isEmpty()).isTrue();
    LocalPartitionLog reopened = fx.reopenClean();
    assertThat(reopened.logStartOffset()).isEqualTo(70);
    assertThat(reopened.logEndOffset()).isEqualTo(70);
    assertThat(reopened.append(TestBatches.batch(1, 1, 0, 0), 0).firstOffset()).isEqualTo(70);
  }

  @Test
  void sizeRetentionDeletesOldestSegmentsWhileTheRestStaysAboveTheLimit() {
    LocalPartitionLog log = open(-1, 8000, 0);
    append(log, 15, 100_000);
    long size = log.sizeInBytes();
    int deleted = log.enforceRetention(0);
    assertThat(deleted).isPositive();
    assertThat(log.sizeInBytes()).isGreaterThanOrEqualTo(8000).isLessThan(size);
    assertThat(log.logStartOffset()).isPositive();
    assertThatThrownBy(() -> log.read(0, 1000, Long.MAX_VALUE)).isInstanceOf(OffsetOutOfRangeException.class);
  }

  @Test
  void deletedSegmentChannelStaysOpenForTheDeleteDelay() throws Exception {
    LocalPartitionLog log = open(10_000, -1, 5_000);
    append(log, 9, 100_000);
    ReadResult inFlight = log.read(0, 100_000, Long.MAX_VALUE);
    fx.clock.set(500_000);
    log.enforceRetention(500_000);
    assertThat(Files.exists(inFlight.file())).isFalse();
    assertThat(inFlight.readBytes().remaining()).isEqualTo(inFlight.length());
    log.maybeFlush(504_999);
    assertThat(inFlight.channel().isOpen()).isTrue();
    log.maybeFlush(505_000);
    assertThat(inFlight.channel().isOpen()).isFalse();
    assertThat(log.pendingCloseCount()).isZero();
  }

  @Test
  void deleteRecordsBeforeMovesTheStartAndSurvivesReopen() {
    LocalPartitionLog log = open(-1, -1, 0);
    append(log, 9, 100_000);
    log.deleteRecordsBefore(45);
    assertThat(log.logStartOffset()).isEqualTo(45);
    assertThat(log.segmentCount()).as("segments wholly below 45 are gone").isLessThan(3);
    assertThatThrownBy(() -> log.read(44, 1000, Long.MAX_VALUE)).isInstanceOf(OffsetOutOfRangeException.class);
    assertThat(log.read(45, 1, Long.MAX_VALUE).nextOffset()).isEqualTo(50);
    assertThat(fx.reopenClean().logStartOffset()).isEqualTo(45);
    assertThat(fx.crashAndReopen().logStartOffset()).isEqualTo(45);
    fx.log.deleteRecordsBefore(10);
    assertThat(fx.log.logStartOffset()).as("never moves back").isEqualTo(45);
    assertThatThrownBy(() -> fx.log.deleteRecordsBefore(1000)).isInstanceOf(OffsetOutOfRangeException.class);
  }

  @Test
  void truncateToCutsAtABatchBoundaryAndRemovesLaterSegments() {
    LocalPartitionLog log = open(-1, -1, 0);
    append(log, 12, 100_000);
    List<Path> before = log.segmentFiles();
    assertThat(log.truncateTo(35)).as("the batch holding 35 goes too").isEqualTo(30);
    model.truncateTo(35);
    assertThat(log.logEndOffset()).isEqualTo(30);
    assertThat(Files.exists(before.get(before.size() - 1))).isFalse();
    assertThat(LogFixture.readAll(log, 0)).containsExactlyElementsOf(model.batches.values());
    assertThat(log.offsetForTimestamp(100_003)).isEmpty();
    append(log, 2, 300_000);
    assertThat(log.offsetForTimestamp(100_003)).hasValue(30);
    assertThat(LogFixture.readAll(fx.crashAndReopen(), 0)).containsExactlyElementsOf(model.batches.values());
    assertThat(fx.log.truncateTo(0)).isZero();
    assertThat(fx.log.logEndOffset()).isZero();
    assertThat(fx.log.segmentCount()).isEqualTo(1);
  }

  @Test
  void retentionDeletesNoSegmentHoldingAnOffsetAtOrAboveTheBound() {
    LocalPartitionLog log = open(10_000, -1, 0);
    append(log, 9, 100_000); // segments [0, 30), [30, 60), [60, 90), all expired below
    assertThat(log.enforceRetention(1_000_000, 59)).as("[30, 60) holds 59").isEqualTo(1);
    assertThat(log.logStartOffset()).isEqualTo(30);
    assertThat(log.enforceRetention(1_000_000, 60)).isEqualTo(1);
    assertThat(log.logStartOffset()).isEqualTo(60);
    assertThat(log.enforceRetention(1_000_000, 90)).as("the whole log is below the bound").isEqualTo(1);
    assertThat(log.logStartOffset()).isEqualTo(90);
    assertThat(log.logEndOffset()).isEqualTo(90);
  }
}
