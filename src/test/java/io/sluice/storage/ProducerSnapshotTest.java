package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.record.AbortedTransaction;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Producer-state snapshots: idempotent producers and ongoing transactions older than the segments a scan reads back
 * survive restarts, crashes and truncations; a corrupt, stray or surplus snapshot never costs a record.
 */
class ProducerSnapshotTest {
  private static final long PID = 42;
  private static final long TXN = 77;
  /** More segments than a restart without snapshots reads back, even while a window is short. */
  private static final int MANY = ProducerStateTracker.REBUILD_SEGMENTS + ProducerStateTracker.REBUILD_EXTRA_SEGMENTS
      + 2;

  @TempDir
  Path dir;
  private LogFixture fixture;

  @BeforeEach
  void open() {
    fixture = new LogFixture(dir, LogFixture.smallSegments(1024));
    fixture.open();
  }

  @AfterEach
  void close() {
    fixture.close();
  }

  private static ByteBuffer idempotent(long pid, int seq, int records) {
    RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE).producer(pid, (short) 0, seq);
    for (int i = 0; i < records; i++) {
      b.append(1_000, null, ("v" + (seq + i)).getBytes(), null);
    }
    return b.build();
  }

  /** A batch of no producer, larger than half a 1 KiB segment: each one rolls the log. */
  private static ByteBuffer filler() {
    return new RecordBatchBuilder(CompressionType.NONE).append(1_000, null, new byte[600], null).build();
  }

  private void fillSegments(int count) {
    for (int i = 0; i < count; i++) {
      fixture.log.append(filler(), 0);
    }
  }

  /** A transaction of {@link #TXN} from the log end, then {@link #MANY} segments of other records; returns its end. */
  private long openTransactionAcrossManySegments() {
    fixture.log.append(TransactionalAppendTest.txnBatch(TXN, (short) 0, 0, 2), 0); // 0-1
    fillSegments(MANY);
    fixture.log.append(TransactionalAppendTest.txnBatch(TXN, (short) 0, 2, 1), 0);
    assertThat(fixture.log.segmentCount()).isGreaterThan(MANY - 2); // more than a scan without snapshots reads
    return fixture.log.logEndOffset();
  }

  private Path snapshotFile(long offset) {
    return fixture.log.dir().resolve(ProducerSnapshots.fileName(offset));
  }

  @Test
  void anIdempotentProducersRetryIsADuplicateAfterARestartPastManySegments() {
    fixture.log.append(idempotent(PID, 0, 2), 0); // 0-1
    fixture.log.append(idempotent(PID, 2, 2), 0); // 2-3
    fillSegments(MANY);
    long end = fixture.log.logEndOffset();
    fixture.reopenClean();
    assertThat(fixture.log.append(idempotent(PID, 2, 2), 0).batchBaseOffsets()).containsExactly(2L);
    assertThat(fixture.log.append(idempotent(PID, 0, 2), 0).batchBaseOffsets()).containsExactly(0L);
    assertThat(fixture.log.logEndOffset()).isEqualTo(end);
    assertThat(fixture.log.append(idempotent(PID, 4, 1), 0).firstOffset()).isEqualTo(end);
  }

  @Test
  void aTransactionAcrossManySegmentsKeepsTheLastStableOffsetAcrossARestartAndCommits() {
    openTransactionAcrossManySegments();
    fixture.reopenClean();
    assertThat(fixture.log.firstUnstableOffset()).isZero();
    fixture.log.appendTxnMarker(TXN, (short) 0, 0, true, 0);
    assertThat(fixture.log.firstUnstableOffset()).isEqualTo(Long.MAX_VALUE);
    assertThat(fixture.log.abortedTransactions(0, Long.MAX_VALUE)).isEmpty();
  }

  @Test
  void aTransactionAcrossManySegmentsIsAbortedWholeAfterARestart() {
    openTransactionAcrossManySegments();
    fixture.reopenClean();
    long marker = fixture.log.appendTxnMarker(TXN, (short) 0, 0, false, 0).firstOffset();
    assertThat(fixture.log.abortedTransactions(0, Long.MAX_VALUE))
        .containsExactly(new AbortedTransaction(TXN, 0, marker, marker + 1));
    fixture.reopenClean();
    assertThat(fixture.log.abortedTransactions(0, Long.MAX_VALUE))
        .containsExactly(new AbortedTransaction(TXN, 0, marker, marker + 1));
    assertThat(fixture.log.firstUnstableOffset()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void aCrashReplaysTheBatchesAfterTheNewestRollsSnapshot() {
    fixture.log.append(idempotent(PID, 0, 2), 0);
    openTransactionAcrossManySegments();
    fixture.log.append(idempotent(PID, 2, 2), 0); // after the last roll: only in the replayed batches
    long end = fixture.log.logEndOffset();
    fixture.crashAndReopen();
    assertThat(fixture.log.logEndOffset()).isEqualTo(end);
    assertThat(fixture.log.firstUnstableOffset()).isEqualTo(2);
    assertThat(fixture.log.append(idempotent(PID, 2, 2), 0).firstOffset()).isEqualTo(end - 2);
    assertThat(fixture.log.append(idempotent(PID, 0, 2), 0).firstOffset()).isZero();
    assertThat(fixture.log.logEndOffset()).isEqualTo(end);
  }

  @Test
  void aFollowersSnapshotsKeepItsTransactionsAndProducersForWhenItLeads() {
    fixture.log.append(idempotent(PID, 0, 2), 0);
    openTransactionAcrossManySegments();
    List<ByteBuffer> copied = LogFixture.readAll(fixture.log, 0);
    LogFixture follower = new LogFixture(dir.resolve("follower"), LogFixture.smallSegments(1024));
    try {
      follower.open();
      copied.forEach(b -> follower.log.appendAsFollower(b)); // one fetch a batch: the follower rolls as the leader
      follower.reopenClean();
      assertThat(follower.log.firstUnstableOffset()).isEqualTo(2);
      assertThat(follower.log.append(idempotent(PID, 0, 2), 0).batchBaseOffsets()).containsExactly(0L);
    } finally {
      follower.close();
    }
  }

  @Test
  void truncationBelowSnapshotsDeletesThemAndReopensTheTransactionWhoseMarkerItCuts() {
    openTransactionAcrossManySegments();
    long marker = fixture.log.appendTxnMarker(TXN, (short) 0, 0, true, 0).firstOffset();
    fillSegments(2); // snapshots above the marker
    assertThat(fixture.log.snapshots.offsets()).anyMatch(o -> o > marker);
    fixture.log.truncateTo(marker);
    assertThat(fixture.log.snapshots.offsets()).isNotEmpty().allMatch(o -> o <= marker);
    assertThat(fixture.log.firstUnstableOffset()).isZero();
    fixture.reopenClean();
    assertThat(fixture.log.firstUnstableOffset()).isZero();
    long abort = fixture.log.appendTxnMarker(TXN, (short) 0, 0, false, 0).firstOffset();
    assertThat(abort).isEqualTo(marker);
    assertThat(fixture.log.abortedTransactions(0, Long.MAX_VALUE))
        .containsExactly(new AbortedTransaction(TXN, 0, marker, marker + 1));
  }

  @Test
  void aCorruptSnapshotIsDeletedAndAnOlderOneUsed() throws IOException {
    openTransactionAcrossManySegments();
    fixture.manager.close(); // writes the snapshot at the log end
    List<Long> offsets = new ProducerSnapshots(LogFixture.TP, fixture.log.dir()).offsets();
    Path newest = snapshotFile(offsets.get(offsets.size() - 1));
    byte[] bytes = Files.readAllBytes(newest);
    bytes[bytes.length - 3] ^= 0x10;
    Files.write(newest, bytes);
    fixture.open();
    assertThat(newest).doesNotExist();
    assertThat(fixture.log.firstUnstableOffset()).isZero();
  }

  @Test
  void withEverySnapshotCorruptTheLogOpensWholeFromAScan() throws IOException {
    fixture.log.append(idempotent(PID, 0, 2), 0);
    fillSegments(MANY);
    fixture.log.append(idempotent(PID, 2, 2), 0);
    long end = fixture.log.logEndOffset();
    fixture.manager.close();
    List<Long> offsets = new ProducerSnapshots(LogFixture.TP, fixture.log.dir()).offsets();
    for (long o : offsets) {
      Files.write(snapshotFile(o), new byte[] {0, 1, 2});
    }
    fixture.open();
    assertThat(offsets).allMatch(o -> !Files.exists(snapshotFile(o)));
    assertThat(fixture.log.logEndOffset()).isEqualTo(end);
    assertThat(LogFixture.readAll(fixture.log, 0)).hasSize(MANY + 2);
    // the scan still finds the producer's newest batch
    assertThat(fixture.log.append(idempotent(PID, 2, 2), 0).firstOffset()).isEqualTo(end - 2);
  }

  @Test
  void aSnapshotAboveTheRecoveredLogEndIsDeletedNotBelieved() throws IOException {
    fixture.log.append(idempotent(PID, 0, 2), 0);
    long end = fixture.log.logEndOffset();
    fixture.crash();
    // as if the log had lost, in a crash, batches a snapshot described
    ProducerSnapshots snapshots = new ProducerSnapshots(LogFixture.TP, fixture.log.dir());
    snapshots.write(new ProducerSnapshots.Snapshot(end + 10, List.of(), Map.of(TXN, end + 5)));
    fixture.open();
    assertThat(snapshotFile(end + 10)).doesNotExist();
    assertThat(fixture.log.firstUnstableOffset()).isEqualTo(Long.MAX_VALUE);
    assertThat(fixture.log.append(idempotent(PID, 0, 2), 0).batchBaseOffsets()).containsExactly(0L);
  }

  @Test
  void onlyTheNewestFewSnapshotsAreKept() {
    fillSegments(MANY);
    List<Long> offsets = fixture.log.snapshots.offsets();
    assertThat(offsets).hasSize(ProducerSnapshots.KEPT);
    assertThat(offsets.get(offsets.size() - 1)).isEqualTo(fixture.log.state.active().baseOffset);
  }

  @Test
  void snapshotsGoWithTheSegmentsRetentionDeletes() {
    fillSegments(MANY);
    long start = fixture.log.state.active().baseOffset;
    fixture.log.deleteRecordsBefore(start);
    assertThat(fixture.log.snapshots.offsets()).containsExactly(start);
  }

  @Test
  void truncatingFullyDeletesEverySnapshot() {
    fillSegments(MANY);
    fixture.log.truncateFullyAndStartAt(100);
    assertThat(fixture.log.snapshots.offsets()).isEmpty();
  }

  @Test
  void theFormatRoundTripsAndAnyFlippedByteIsRefused() throws IOException {
    ProducerSnapshots.Snapshot s = new ProducerSnapshots.Snapshot(500, List.of(
        new ProducerSnapshots.Producer(PID, (short) 3, false, List.of(
            new ProducerStateTracker.BatchEntry(0, 1, 10, 11), new ProducerStateTracker.BatchEntry(2, 4, 20, 22)), 5),
        new ProducerSnapshots.Producer(9, (short) 0, true, List.of(new ProducerStateTracker.BatchEntry(1L << 40,
            (1L << 40) + 7, 30, 30)), -1)), Map.of(TXN, 400L));
    byte[] bytes = ProducerSnapshots.encode(s);
    assertThat(ByteBuffer.wrap(bytes).getShort()).isEqualTo((short) 2);
    assertThat(ByteBuffer.wrap(bytes).getLong(6)).isEqualTo(500);
    assertThat(ProducerSnapshots.decode(dir, 500, bytes)).isEqualTo(s);
    assertThatThrownBy(() -> ProducerSnapshots.decode(dir, 501, bytes)).isInstanceOf(IOException.class);
    for (int i = 0; i < bytes.length; i++) {
      byte[] flipped = bytes.clone();
      flipped[i] ^= 0x01;
      assertThatThrownBy(() -> ProducerSnapshots.decode(dir, 500, flipped)).isInstanceOf(IOException.class);
    }
  }

  /** A version 1 file (before coordinator epochs) is still read: its producers' coordinator epochs are -1. */
  @Test
  void aVersion1SnapshotIsReadWithoutCoordinatorEpochs() throws IOException {
    ByteBuffer v1 = ByteBuffer.allocate(2 + 4 + 8 + 4 + (8 + 2 + 1 + 1 + 32) + 4);
    v1.putShort((short) 1).putInt(0).putLong(500).putInt(1);
    v1.putLong(PID).putShort((short) 3).put((byte) 0).put((byte) 1).putLong(0).putLong(1).putLong(10).putLong(11);
    v1.putInt(0);
    byte[] bytes = v1.array();
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(bytes, 6, bytes.length - 6);
    ByteBuffer.wrap(bytes).putInt(2, (int) crc.getValue());

    assertThat(ProducerSnapshots.decode(dir, 500, bytes).producers()).containsExactly(new ProducerSnapshots.Producer(
        PID, (short) 3, false, List.of(new ProducerStateTracker.BatchEntry(0, 1, 10, 11)), -1));
  }

  /** Kafka's DescribeProducers coordinator epoch: of the producer's last marker, kept by snapshots and the log. */
  @Test
  void theCoordinatorEpochOfAProducersLastMarkerSurvivesRestarts() throws IOException {
    fixture.log.append(TransactionalAppendTest.txnBatch(TXN, (short) 0, 0, 2), 0);
    assertThat(coordinatorEpoch()).isEqualTo(-1);
    fixture.log.appendTxnMarker(TXN, (short) 0, 7, true, 0);
    assertThat(coordinatorEpoch()).isEqualTo(7);

    fixture.reopenClean(); // read from the snapshot written at the close
    assertThat(coordinatorEpoch()).isEqualTo(7);
    try (var files = Files.list(fixture.log.dir())) {
      for (Path f : files.filter(f -> f.toString().endsWith(ProducerSnapshots.SUFFIX)).toList()) {
        Files.delete(f);
      }
    }
    fixture.crashAndReopen(); // no snapshot: rebuilt from the batches in the log
    assertThat(coordinatorEpoch()).isEqualTo(7);
  }

  private int coordinatorEpoch() {
    return fixture.log.describeProducers().stream().filter(p -> p.producerId() == TXN).findFirst().orElseThrow()
        .coordinatorEpoch();
  }
}
