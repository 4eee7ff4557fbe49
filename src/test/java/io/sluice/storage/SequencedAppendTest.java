package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.InvalidRecordException;
import io.sluice.record.CompressionType;
import io.sluice.record.Header;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sequenced producers (the stream tasks' writers): 64-bit sequences with gaps in a record header, and a leader that
 * writes only records above the producer's last sequence, so a write that arrives late (a dead task's in flight, a
 * successor's replay) is not written twice, before and after restarts, on followers and after truncation.
 */
class SequencedAppendTest {
  private static final long PID = (1L << 62) | 99;

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

  /** A sequenced batch of {@code pid} with one record per sequence, valued "s<seq>". */
  static ByteBuffer batch(long pid, long... seqs) {
    RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE).producer(pid, (short) 0, 0).sequenced();
    for (long seq : seqs) {
      b.append(1_000, null, ("s" + seq).getBytes(StandardCharsets.UTF_8),
          List.of(Header.of(RecordBatch.SEQUENCE_HEADER, Long.toString(seq))));
    }
    return b.build();
  }

  private List<String> values() {
    List<String> out = new ArrayList<>();
    for (ByteBuffer bytes : LogFixture.readAll(fixture.log, 0)) {
      for (Record r : RecordBatch.wrap(bytes).records()) {
        out.add(new String(r.value(), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  @Test
  void staleInFlightWriteArrivingAfterTheSuccessorsWritesIsNotWrittenAgain() {
    // the dead task's last write (outputs of input offsets 2 and 3) is still in flight; the successor, restarted
    // from an older checkpoint, writes the same outputs and more; then the old write lands
    ByteBuffer stale = batch(PID, 2L << 16, 3L << 16, 3L << 16 | 1);
    fixture.log.append(batch(PID, 1L << 16), 0);
    fixture.log.append(batch(PID, 2L << 16, 3L << 16, 3L << 16 | 1, 5L << 16), 0);
    AppendResult late = fixture.log.append(stale, 0);
    assertThat(late.batchBaseOffsets()).containsExactly(-1L);
    assertThat(late.recordCount()).isZero();
    assertThat(values()).containsExactly("s65536", "s131072", "s196608", "s196609", "s327680");
    assertThat(fixture.log.logEndOffset()).isEqualTo(5);
  }

  @Test
  void aBatchPartlyWrittenAlreadyKeepsOnlyItsNewRecordsInOrder() {
    fixture.log.append(batch(PID, 10, 11, 12), 0);
    AppendResult r = fixture.log.append(batch(PID, 11, 12, 13, 20), 0);
    assertThat(r.batchBaseOffsets()).containsExactly(3L);
    assertThat(r.recordCount()).isEqualTo(2);
    assertThat(values()).containsExactly("s10", "s11", "s12", "s13", "s20");
  }

  @Test
  void gapsAreAllowedAndAnUnknownProducerStartsAnywhere() {
    fixture.log.append(batch(PID, 1_000_000_000_000L), 0);
    fixture.log.append(batch(PID, 1_000_000_000_007L, 1_000_000_000_100L), 0);
    fixture.log.append(batch(PID + 1, 5), 0); // another producer, its own sequence space
    assertThat(fixture.log.append(batch(PID, 1_000_000_000_007L), 0).recordCount()).isZero();
    assertThat(values()).hasSize(4);
  }

  @Test
  void severalBatchesOfOneRequestAreJudgedInOrder() {
    fixture.log.append(batch(PID, 5), 0);
    AppendResult r = fixture.log.append(TestBatches.concat(batch(PID, 4, 5), batch(PID, 6, 7), batch(PID, 7, 8)), 0);
    assertThat(r.batchBaseOffsets()).containsExactly(-1L, 1L, 3L);
    assertThat(values()).containsExactly("s5", "s6", "s7", "s8");
  }

  @Test
  void stateSurvivesCleanRestartAndCrash() {
    fixture.log.append(batch(PID, 1, 2), 0);
    fixture.reopenClean();
    assertThat(fixture.log.append(batch(PID, 2), 0).recordCount()).isZero();
    fixture.log.append(batch(PID, 3), 0);
    fixture.crashAndReopen();
    assertThat(fixture.log.append(batch(PID, 1, 2, 3), 0).recordCount()).isZero();
    assertThat(values()).containsExactly("s1", "s2", "s3");
  }

  @Test
  void aFollowerKnowsTheSequencesSoANewLeaderDropsTheOldLeadersLateWrite() {
    // the follower copies the leader's batches as they are (offsets assigned); then it leads
    ByteBuffer written = batch(PID, 7, 8);
    written.putLong(RecordBatch.BASE_OFFSET_OFFSET, 0);
    fixture.log.appendAsFollower(written);
    assertThat(fixture.log.append(batch(PID, 8), 0).recordCount()).isZero();
    assertThat(fixture.log.append(batch(PID, 8, 9), 0).recordCount()).isEqualTo(1);
  }

  @Test
  void aSequencedBatchCompactionLeftEmptyNeitherFailsAFollowerNorARebuild() {
    ByteBuffer written = batch(PID, 7, 8);
    written.putLong(RecordBatch.BASE_OFFSET_OFFSET, 0);
    ByteBuffer emptied = io.sluice.record.RetainedBatch.retain(RecordBatch.wrap(written), r -> false, true);
    fixture.log.appendAsFollower(emptied);
    fixture.crashAndReopen();
    assertThat(fixture.log.append(batch(PID, 9), 0).recordCount()).isEqualTo(1);
  }

  @Test
  void truncationForgetsTheCutSequences() {
    fixture.log.append(batch(PID, 1), 0);
    fixture.log.append(batch(PID, 2), 0);
    fixture.log.truncateTo(1);
    assertThat(fixture.log.append(batch(PID, 2), 0).recordCount()).isEqualTo(1);
  }

  @Test
  void badSequencedBatchesAreRefusedNamingTheProblem() {
    RecordBatchBuilder noHeader = new RecordBatchBuilder(CompressionType.NONE).producer(PID, (short) 0, 0)
        .sequenced().append(1, null, "x".getBytes(StandardCharsets.UTF_8), null);
    assertThatThrownBy(() -> fixture.log.append(noHeader.build(), 0)).isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining(RecordBatch.SEQUENCE_HEADER);
    assertThatThrownBy(() -> fixture.log.append(batch(PID, 5, 5), 0)).isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("must rise");
    assertThat(fixture.log.logEndOffset()).isZero();
  }

  @Test
  void aProducerIdIsEitherKindNeverBoth() {
    fixture.log.append(new RecordBatchBuilder(CompressionType.NONE).producer(PID, (short) 0, 0)
        .append(1, null, "k".getBytes(StandardCharsets.UTF_8), null).build(), 0);
    assertThatThrownBy(() -> fixture.log.append(batch(PID, 1), 0)).isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("one kind");
    fixture.log.append(batch(PID + 1, 1), 0);
    assertThatThrownBy(() -> fixture.log.append(new RecordBatchBuilder(CompressionType.NONE)
        .producer(PID + 1, (short) 0, 0).append(1, null, "k".getBytes(StandardCharsets.UTF_8), null).build(), 0))
        .isInstanceOf(InvalidRecordException.class).hasMessageContaining("one kind");
  }
}
