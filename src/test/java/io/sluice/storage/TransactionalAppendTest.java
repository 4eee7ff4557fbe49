package io.sluice.storage;

import io.sluice.record.AbortedTransaction;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.InvalidProducerEpochException;
import io.sluice.errors.InvalidRecordException;
import io.sluice.errors.SluiceException;
import io.sluice.record.CompressionType;
import io.sluice.record.ControlRecords;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The partition side of transactions: transactional appends, markers, the first unstable offset, the abort index. */
class TransactionalAppendTest {
  private static final long PID = 42;
  private static final long OTHER = 43;

  @TempDir
  Path dir;
  private LogFixture fixture;

  @BeforeEach
  void open() {
    fixture = new LogFixture(dir, LogFixture.smallSegments(1 << 20));
    fixture.open();
  }

  @AfterEach
  void close() {
    fixture.close();
  }

  static ByteBuffer txnBatch(long pid, short epoch, int baseSequence, int records) {
    RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE).producer(pid, epoch, baseSequence)
        .transactional();
    for (int i = 0; i < records; i++) {
      b.append(1_000 + i, null, ("v" + (baseSequence + i)).getBytes(), null);
    }
    return b.build();
  }

  private static ByteBuffer plainBatch(long pid, short epoch, int baseSequence) {
    return new RecordBatchBuilder(CompressionType.NONE).producer(pid, epoch, baseSequence)
        .append(1_000, null, "p".getBytes(), null).build();
  }

  @Test
  void transactionalBatchesAreWrittenAndHoldTheFirstUnstableOffsetUntilTheirMarker() {
    fixture.log.append(plainBatch(7, (short) 0, 0), 0);
    fixture.log.append(txnBatch(PID, (short) 0, 0, 2), 0); // offsets 1-2
    fixture.log.append(txnBatch(OTHER, (short) 0, 0, 1), 0); // 3
    fixture.log.append(txnBatch(PID, (short) 0, 2, 1), 0); // 4
    assertThat(fixture.log.firstUnstableOffset()).isEqualTo(1);
    AppendResult commit = fixture.log.appendTxnMarker(PID, (short) 0, 5, true, 0);
    assertThat(commit.firstOffset()).isEqualTo(5);
    assertThat(fixture.log.firstUnstableOffset()).isEqualTo(3);
    fixture.log.appendTxnMarker(OTHER, (short) 0, 5, false, 0);
    assertThat(fixture.log.firstUnstableOffset()).isEqualTo(Long.MAX_VALUE);
    assertThat(fixture.log.abortedTransactions(0, 100)).containsExactly(new AbortedTransaction(OTHER, 3, 6, 7));
    assertThat(fixture.log.abortedTransactions(7, 100)).isEmpty();
  }

  @Test
  void theMarkerIsAKafkaControlBatchOfTheProducer() {
    fixture.log.append(txnBatch(PID, (short) 3, 0, 1), 0);
    fixture.log.appendTxnMarker(PID, (short) 3, 9, false, 0);
    RecordBatch marker = RecordBatch.wrap(LogFixture.readAll(fixture.log, 1).get(0));
    assertThat(marker.isControlBatch()).isTrue();
    assertThat(marker.isTransactional()).isTrue();
    assertThat(marker.producerId()).isEqualTo(PID);
    assertThat(marker.producerEpoch()).isEqualTo((short) 3);
    assertThat(ControlRecords.isCommit(marker)).isFalse();
    byte[] value = marker.records().get(0).value();
    assertThat(ByteBuffer.wrap(value).getInt(2)).isEqualTo(9);
  }

  @Test
  void aMarkerOfAnOlderEpochIsFencedAndWritesNothing() {
    fixture.log.append(txnBatch(PID, (short) 2, 0, 1), 0);
    assertThatThrownBy(() -> fixture.log.appendTxnMarker(PID, (short) 1, 0, true, 0))
        .isInstanceOf(InvalidProducerEpochException.class);
    assertThat(fixture.log.logEndOffset()).isEqualTo(1);
    assertThat(fixture.log.firstUnstableOffset()).isZero();
  }

  /**
   * The old coordinator of a transactional id (the previous leader of its transaction-state partition, still running)
   * sends a marker after the new one ended the transaction and the producer began its next in the same epoch: it is
   * refused TRANSACTION_COORDINATOR_FENCED and changes nothing, so the open transaction stays open.
   */
  @Test
  void aMarkerFromAnOlderCoordinatorEpochIsFencedAndChangesNothing() {
    fixture.log.append(txnBatch(PID, (short) 0, 0, 1), 0);
    fixture.log.appendTxnMarker(PID, (short) 0, 4, true, 0); // the new coordinator (epoch 4) committed: offset 1
    fixture.log.append(txnBatch(PID, (short) 0, 1, 1), 0); // the producer's next transaction: offset 2

    assertThatThrownBy(() -> fixture.log.appendTxnMarker(PID, (short) 0, 3, true, 0))
        .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.errorCode())
            .isEqualTo(ErrorCode.TRANSACTION_COORDINATOR_FENCED));

    assertThat(fixture.log.logEndOffset()).isEqualTo(3);
    assertThat(fixture.log.firstUnstableOffset()).as("the next transaction is still open").isEqualTo(2);
    assertThat(fixture.log.describeProducers()).singleElement().satisfies(p -> {
      assertThat(p.coordinatorEpoch()).isEqualTo(4);
      assertThat(p.currentTransactionStartOffset()).isEqualTo(2);
    });
    assertThat(fixture.log.appendTxnMarker(PID, (short) 0, 4, false, 0).firstOffset())
        .as("the current coordinator still ends it").isEqualTo(3);
  }

  @Test
  void aMarkerOfANewerEpochFencesTheProducersOlderBatches() {
    fixture.log.append(txnBatch(PID, (short) 0, 0, 1), 0);
    fixture.log.appendTxnMarker(PID, (short) 1, 0, false, 0); // the coordinator aborted a timed-out transaction
    assertThatThrownBy(() -> fixture.log.append(txnBatch(PID, (short) 0, 1, 1), 0))
        .isInstanceOf(InvalidProducerEpochException.class);
    assertThat(fixture.log.append(txnBatch(PID, (short) 1, 0, 1), 0).firstOffset()).isEqualTo(2);
  }

  @Test
  void aMarkerOfANewerEpochFencesTheOlderOneWhereTheProducerHadNotWrittenYet() {
    // the coordinator aborted a timed-out transaction (epoch 0 -> 1) before its batch here was written
    fixture.log.appendTxnMarker(PID, (short) 1, 0, false, 0);
    assertThatThrownBy(() -> fixture.log.append(txnBatch(PID, (short) 0, 0, 1), 0))
        .isInstanceOf(InvalidProducerEpochException.class);
    assertThat(fixture.log.firstUnstableOffset()).as("no transaction left open").isEqualTo(Long.MAX_VALUE);
    assertThat(fixture.log.append(txnBatch(PID, (short) 1, 0, 1), 0).firstOffset()).isEqualTo(1);
  }

  @Test
  void aMarkerWithoutATransactionIsWrittenAndHarmless() {
    AppendResult r = fixture.log.appendTxnMarker(PID, (short) 0, 0, false, 0);
    assertThat(r.firstOffset()).isZero();
    assertThat(fixture.log.abortedTransactions(0, 10)).isEmpty();
    assertThat(fixture.log.append(plainBatch(PID, (short) 0, 0), 0).firstOffset()).isEqualTo(1);
  }

  @Test
  void aPlainBatchOfAProducerInATransactionIsRefused() {
    fixture.log.append(txnBatch(PID, (short) 0, 0, 1), 0);
    assertThatThrownBy(() -> fixture.log.append(plainBatch(PID, (short) 0, 1), 0))
        .isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(ErrorCode.INVALID_TXN_STATE));
  }

  @Test
  void producersControlBatchesAreStillRefused() {
    ByteBuffer control = ControlRecords.marker(PID, (short) 0, 0, true, 1_000);
    assertThatThrownBy(() -> fixture.log.append(control, 0)).isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("control batch");
  }

  @Test
  void followersTrackTheSameTransactions() {
    fixture.log.append(txnBatch(PID, (short) 0, 0, 2), 0);
    fixture.log.appendTxnMarker(PID, (short) 0, 0, false, 0);
    fixture.log.append(txnBatch(OTHER, (short) 0, 0, 1), 0);
    java.util.List<ByteBuffer> copied = LogFixture.readAll(fixture.log, 0);
    fixture.close();
    LogFixture follower = new LogFixture(dir.resolve("f"), LogFixture.smallSegments(1 << 20));
    follower.open();
    try {
      follower.log.appendAsFollower(TestBatches.concat(copied.toArray(ByteBuffer[]::new)));
      assertThat(follower.log.firstUnstableOffset()).isEqualTo(3);
      assertThat(follower.log.abortedTransactions(0, 10)).containsExactly(new AbortedTransaction(PID, 0, 2, 3));
    } finally {
      follower.close();
    }
  }

  @Test
  void ongoingAndAbortedTransactionsSurviveACleanRestartAndACrash() {
    fixture.log.append(txnBatch(PID, (short) 0, 0, 2), 0);
    fixture.log.appendTxnMarker(PID, (short) 0, 0, false, 0);
    fixture.log.append(txnBatch(OTHER, (short) 0, 0, 1), 0);
    fixture.reopenClean();
    assertThat(fixture.log.firstUnstableOffset()).isEqualTo(3);
    assertThat(fixture.log.abortedTransactions(0, 10)).containsExactly(new AbortedTransaction(PID, 0, 2, 3));
    fixture.crashAndReopen();
    assertThat(fixture.log.firstUnstableOffset()).isEqualTo(3);
    assertThat(fixture.log.abortedTransactions(0, 10)).containsExactly(new AbortedTransaction(PID, 0, 2, 3));
  }

  @Test
  void anAbortIsKeptInItsFileBeyondTheSegmentsARestartReads() {
    fixture.close();
    fixture = new LogFixture(dir.resolve("small"), LogFixture.smallSegments(1024));
    fixture.open();
    fixture.log.append(txnBatch(PID, (short) 0, 0, 2), 0);
    fixture.log.appendTxnMarker(PID, (short) 0, 0, false, 0);
    for (int i = 0; i < 60; i++) { // many segments after the abort: a restart reads only the last ones
      fixture.log.append(plainBatch(7, (short) 0, i), 0);
    }
    assertThat(fixture.log.segmentCount()).isGreaterThan(ProducerStateTracker.REBUILD_SEGMENTS + 1);
    fixture.crashAndReopen();
    assertThat(fixture.log.abortedTransactions(0, 100)).containsExactly(new AbortedTransaction(PID, 0, 2, 3));
  }

  @Test
  void abortsBelowTheLogStartLeaveTheIndexOnTheRetentionTimer() {
    fixture.log.append(txnBatch(PID, (short) 0, 0, 2), 0); // 0-1
    fixture.log.appendTxnMarker(PID, (short) 0, 0, false, 0); // 2
    fixture.log.append(txnBatch(OTHER, (short) 0, 0, 1), 0); // 3
    fixture.log.appendTxnMarker(OTHER, (short) 0, 0, false, 0); // 4
    fixture.log.deleteRecordsBefore(3);
    fixture.log.expireProducers(fixture.clock.get());
    assertThat(fixture.log.abortedTransactions(0, 10)).containsExactly(new AbortedTransaction(OTHER, 3, 4, 5));
    fixture.reopenClean();
    assertThat(fixture.log.abortedTransactions(0, 10)).containsExactly(new AbortedTransaction(OTHER, 3, 4, 5));
  }

  @Test
  void truncationForgetsCutAbortsAndReopensTransactionsWhoseMarkerIsCut() {
    fixture.log.append(txnBatch(PID, (short) 0, 0, 2), 0); // 0-1
    fixture.log.appendTxnMarker(PID, (short) 0, 0, false, 0); // 2
    fixture.log.append(txnBatch(OTHER, (short) 0, 0, 1), 0); // 3
    fixture.log.appendTxnMarker(OTHER, (short) 0, 0, true, 0); // 4
    fixture.log.truncateTo(4);
    assertThat(fixture.log.firstUnstableOffset()).isEqualTo(3);
    fixture.log.truncateTo(2);
    assertThat(fixture.log.abortedTransactions(0, 10)).isEmpty();
    assertThat(fixture.log.firstUnstableOffset()).isZero();
    fixture.reopenClean();
    assertThat(fixture.log.abortedTransactions(0, 10)).isEmpty();
    assertThat(fixture.log.firstUnstableOffset()).isZero();
  }

  @Test
  void anEmptyControlBatchAMarkerCompactionRemovedEndsNoTransaction() {
    fixture.log.append(txnBatch(PID, (short) 0, 0, 1), 0);
    RecordBatch removed = RecordBatch.wrap(io.sluice.record.RetainedBatch.retain(
        RecordBatch.wrap(ControlRecords.marker(PID, (short) 0, 0, false, 1_000)), r -> false, true));
    removed.setBaseOffset(1);

    fixture.log.appendAsFollower(removed.buffer());

    assertThat(fixture.log.firstUnstableOffset()).isZero();
    assertThat(fixture.log.abortedTransactions(0, 10)).isEmpty();
    fixture.crashAndReopen();
    assertThat(fixture.log.firstUnstableOffset()).isZero();
    assertThat(fixture.log.abortedTransactions(0, 10)).isEmpty();
  }
}
