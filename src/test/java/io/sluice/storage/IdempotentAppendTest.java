package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.InvalidProducerEpochException;
import io.sluice.errors.InvalidRecordException;
import io.sluice.errors.OutOfOrderSequenceException;
import io.sluice.errors.UnknownProducerIdException;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker side of idempotence: duplicate and out-of-order batches of one producer, before and after restarts. */
class IdempotentAppendTest {
  private static final long PID = 42;

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

  private static ByteBuffer batch(long pid, short epoch, int baseSequence, int records) {
    RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE).producer(pid, epoch, baseSequence);
    for (int i = 0; i < records; i++) {
      b.append(1_000 + i, null, ("v" + (baseSequence + i)).getBytes(), null);
    }
    return b.build();
  }

  @Test
  void retriedBatchIsAnsweredWithItsOriginalOffsetAndNotWrittenAgain() {
    fixture.log.append(batch(7, (short) 0, 0, 3), 0); // another producer's batch first, so offsets differ from seq
    AppendResult first = fixture.log.append(batch(PID, (short) 0, 0, 5), 0);
    AppendResult retry = fixture.log.append(batch(PID, (short) 0, 0, 5), 0);
    assertThat(retry.batchBaseOffsets()).containsExactly(3L);
    assertThat(retry.firstOffset()).isEqualTo(first.firstOffset());
    assertThat(retry.lastOffset()).isEqualTo(7L);
    assertThat(fixture.log.logEndOffset()).isEqualTo(8);
  }

  @Test
  void retryOfAnyOfTheLastFiveBatchesIsRecognised() {
    for (int i = 0; i < 6; i++) {
      fixture.log.append(batch(PID, (short) 0, i * 2, 2), 0);
    }
    assertThat(fixture.log.append(batch(PID, (short) 0, 2, 2), 0).batchBaseOffsets()).containsExactly(2L);
    assertThatThrownBy(() -> fixture.log.append(batch(PID, (short) 0, 0, 2), 0))
        .isInstanceOf(OutOfOrderSequenceException.class); // older than the five remembered
    assertThat(fixture.log.logEndOffset()).isEqualTo(12);
  }

  @Test
  void sequenceGapIsRefusedAndWritesNothing() {
    fixture.log.append(batch(PID, (short) 0, 0, 2), 0);
    assertThatThrownBy(() -> fixture.log.append(batch(PID, (short) 0, 5, 2), 0))
        .isInstanceOf(OutOfOrderSequenceException.class).hasMessageContaining("expected");
    assertThat(fixture.log.logEndOffset()).isEqualTo(2);
    assertThat(fixture.log.append(batch(PID, (short) 0, 2, 2), 0).firstOffset()).isEqualTo(2);
  }

  @Test
  void olderEpochIsFencedAndNewerEpochRestartsAtSequenceZero() {
    fixture.log.append(batch(PID, (short) 1, 0, 2), 0);
    assertThatThrownBy(() -> fixture.log.append(batch(PID, (short) 0, 2, 1), 0))
        .isInstanceOf(InvalidProducerEpochException.class);
    assertThatThrownBy(() -> fixture.log.append(batch(PID, (short) 2, 5, 1), 0))
        .isInstanceOf(OutOfOrderSequenceException.class);
    assertThat(fixture.log.append(batch(PID, (short) 2, 0, 1), 0).firstOffset()).isEqualTo(2);
  }

  @Test
  void requestMixingADuplicateWithNewBatchesIsRefused() {
    fixture.log.append(batch(PID, (short) 0, 0, 2), 0);
    ByteBuffer mixed = TestBatches.concat(batch(PID, (short) 0, 0, 2), batch(PID, (short) 0, 2, 2));
    assertThatThrownBy(() -> fixture.log.append(mixed, 0)).isInstanceOf(InvalidRecordException.class);
    assertThat(fixture.log.logEndOffset()).isEqualTo(2);
  }

  @Test
  void severalInSequenceBatchesOfOneRequestAreAccepted() {
    ByteBuffer two = TestBatches.concat(batch(PID, (short) 0, 0, 2), batch(PID, (short) 0, 2, 3));
    assertThat(fixture.log.append(two, 0).batchBaseOffsets()).containsExactly(0L, 2L);
  }

  @Test
  void retryAfterCleanRestartIsStillRecognised() {
    fixture.log.append(batch(PID, (short) 0, 0, 4), 0);
    fixture.reopenClean();
    assertThat(fixture.log.append(batch(PID, (short) 0, 0, 4), 0).batchBaseOffsets()).containsExactly(0L);
    assertThatThrownBy(() -> fixture.log.append(batch(PID, (short) 0, 9, 1), 0))
        .isInstanceOf(OutOfOrderSequenceException.class);
    assertThat(fixture.log.logEndOffset()).isEqualTo(4);
  }

  @Test
  void retryOfAnyOfTheLastFiveBatchesIsRecognisedAfterARestartThoughTheySpanMoreSegmentsThanTheRebuildScans() {
    fixture.close();
    fixture = new LogFixture(dir.resolve("small"), LogFixture.smallSegments(1024));
    fixture.open();
    for (int i = 0; i < 6; i++) {
      fixture.log.append(bigBatch(i), 0); // one batch per segment: the last five span five segments
    }
    assertThat(fixture.log.segmentCount()).isGreaterThan(ProducerStateTracker.REBUILD_SEGMENTS + 3);
    fixture.reopenClean();
    assertThat(fixture.log.append(bigBatch(1), 0).batchBaseOffsets()).containsExactly(1L);
    assertThatThrownBy(() -> fixture.log.append(bigBatch(0), 0)).isInstanceOf(OutOfOrderSequenceException.class);
    assertThat(fixture.log.append(bigBatch(6), 0).batchBaseOffsets()).containsExactly(6L);
  }

  /** A one-record batch of producer {@link #PID} with sequence {@code seq}, larger than half a 1 KiB segment. */
  private static ByteBuffer bigBatch(int seq) {
    return new RecordBatchBuilder(CompressionType.NONE).producer(PID, (short) 0, seq)
        .append(1_000, null, new byte[600], null).build();
  }

  @Test
  void retryAfterCrashAndRecoveryIsStillRecognised() {
    fixture.log.append(batch(PID, (short) 0, 0, 4), 0);
    fixture.log.append(batch(PID, (short) 0, 4, 4), 0);
    fixture.crashAndReopen();
    assertThat(fixture.log.append(batch(PID, (short) 0, 4, 4), 0).batchBaseOffsets()).containsExactly(4L);
    assertThat(fixture.log.logEndOffset()).isEqualTo(8);
  }

  @Test
  void truncationForgetsTheCutBatches() {
    fixture.log.append(batch(PID, (short) 0, 0, 2), 0);
    fixture.log.append(batch(PID, (short) 0, 2, 2), 0);
    fixture.log.append(batch(PID, (short) 0, 4, 2), 0);
    fixture.log.truncateTo(4);
    // seq 4..5 is no longer written: resending it is a new append, not a duplicate
    assertThat(fixture.log.append(batch(PID, (short) 0, 4, 2), 0).firstOffset()).isEqualTo(4);
    assertThat(fixture.log.logEndOffset()).isEqualTo(6);
  }

  @Test
  void unknownProducerMustStartAtSequenceZero() {
    // the second batch overtaking the first must not be taken as the producer's start; the refusal says the
    // partition has no sequence for the producer (UNKNOWN_PRODUCER_ID), not that this one is out of it
    assertThatThrownBy(() -> fixture.log.append(batch(PID, (short) 0, 2, 2), 0))
        .isInstanceOf(UnknownProducerIdException.class).hasMessageContaining("sequence 0");
    assertThat(fixture.log.logEndOffset()).isZero();
    fixture.log.append(batch(PID, (short) 0, 0, 2), 0);
    assertThat(fixture.log.append(batch(PID, (short) 0, 2, 2), 0).firstOffset()).isEqualTo(2);
  }

  @Test
  void aForgottenProducerIsToldSoAndGoesOnInANewerEpochFromZero() {
    long day = LogConfig.DEFAULT_PRODUCER_ID_EXPIRATION_MS;
    fixture.log.append(batch(PID, (short) 3, 0, 2), 0);
    fixture.clock.addAndGet(day);
    assertThat(fixture.log.expireProducers(fixture.clock.get())).isEqualTo(1);
    assertThatThrownBy(() -> fixture.log.append(batch(PID, (short) 3, 2, 2), 0))
        .isInstanceOf(UnknownProducerIdException.class).hasMessageContaining("producer.id.expiration.ms");
    assertThat(fixture.log.append(batch(PID, (short) 4, 0, 2), 0).firstOffset()).isEqualTo(2);
    // a known producer's gap is still out of sequence
    assertThatThrownBy(() -> fixture.log.append(batch(PID, (short) 4, 5, 1), 0))
        .isInstanceOf(OutOfOrderSequenceException.class);
  }

  @Test
  void batchesWithoutProducerIdAreNeverDeduplicated() {
    fixture.log.append(batch(-1, (short) -1, -1, 2), 0);
    fixture.log.append(batch(-1, (short) -1, -1, 2), 0);
    assertThat(fixture.log.logEndOffset()).isEqualTo(4);
  }

  @Test
  void aProducerIdleForProducerIdExpirationMsIsForgottenOthersAreKept() {
    long day = LogConfig.DEFAULT_PRODUCER_ID_EXPIRATION_MS;
    LocalPartitionLog log = fixture.log;
    AppendResult idle = log.append(batch(PID, (short) 0, 0, 3), 0);
    fixture.clock.addAndGet(day - 1_000);
    log.append(batch(7, (short) 0, 0, 2), 0);
    assertThat(log.expireProducers(fixture.clock.get())).as("nobody idle for a day yet").isZero();

    fixture.clock.addAndGet(1_000);
    assertThat(log.expireProducers(fixture.clock.get())).isEqualTo(1);

    assertThat(log.producerCount()).isEqualTo(1);
    // Forgotten: its retry is no longer recognised (written anew) and it must start a sequence again.
    assertThat(log.append(batch(PID, (short) 0, 0, 3), 0).firstOffset()).isNotEqualTo(idle.firstOffset());
    // Remembered: producer 7's retry is still answered with its original offset.
    assertThat(log.append(batch(7, (short) 0, 0, 2), 0).firstOffset()).isEqualTo(3L);
  }

  @Test
  void producersRebuiltAtOpenCountAsSeenAtTheRebuild() {
    fixture.log.append(batch(PID, (short) 0, 0, 3), 0);
    fixture.clock.addAndGet(LogConfig.DEFAULT_PRODUCER_ID_EXPIRATION_MS - 1);
    LocalPartitionLog reopened = fixture.reopenClean();
    fixture.clock.addAndGet(LogConfig.DEFAULT_PRODUCER_ID_EXPIRATION_MS - 1);
    assertThat(reopened.expireProducers(fixture.clock.get())).isZero();
    fixture.clock.addAndGet(1);
    assertThat(reopened.expireProducers(fixture.clock.get())).isEqualTo(1);
  }
}
