package io.sluice.record;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Kafka's read_committed rule: which batches a reader leaves out, walking them in offset order. */
class AbortedBatchesTest {
  private static RecordBatch txn(long pid, long offset) {
    ByteBuffer b = new RecordBatchBuilder(CompressionType.NONE).producer(pid, (short) 0, 0).transactional()
        .append(1_000, null, "v".getBytes(), null).build();
    RecordBatch batch = RecordBatch.wrap(b);
    batch.setBaseOffset(offset);
    return batch;
  }

  private static RecordBatch marker(long pid, long offset, boolean commit) {
    RecordBatch batch = RecordBatch.wrap(ControlRecords.marker(pid, (short) 0, 0, commit, 1_000));
    batch.setBaseOffset(offset);
    return batch;
  }

  @Test
  void onlyTheAbortedTransactionsBatchesOfItsProducerAreLeftOut() {
    AbortedBatches filter = AbortedBatches.of(List.of(new AbortedTransaction(1, 0, 3, 4)));
    assertThat(filter.skip(txn(1, 0))).isTrue();
    assertThat(filter.skip(txn(2, 1))).as("another producer's").isFalse();
    assertThat(filter.skip(txn(1, 2))).isTrue();
    assertThat(filter.skip(marker(1, 3, false))).as("a marker is never a record").isTrue();
    assertThat(filter.skip(txn(1, 4))).as("the producer's next transaction").isFalse();
    assertThat(filter.skip(marker(1, 5, true))).isTrue();
  }

  @Test
  void withoutAbortsOnlyControlBatchesAreLeftOut() {
    AbortedBatches filter = AbortedBatches.of(List.of());
    assertThat(filter.skip(txn(1, 0))).isFalse();
    assertThat(filter.skip(marker(1, 1, false))).isTrue();
  }

  @Test
  void theControlRecordSaysCommitOrAbort() {
    assertThat(ControlRecords.isCommit(marker(1, 0, true))).isTrue();
    assertThat(ControlRecords.isCommit(marker(1, 0, false))).isFalse();
  }
}
