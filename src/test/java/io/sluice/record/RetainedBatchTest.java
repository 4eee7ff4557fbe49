package io.sluice.record;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class RetainedBatchTest {
  @Test
  void aDeleteHorizonIsStampedAndEveryRecordKeepsItsTimestamp() {
    ByteBuffer marker = ControlRecords.marker(7, (short) 2, 5, true, 1_000);
    RecordBatch original = RecordBatch.wrap(marker);
    original.setBaseOffset(40);

    RecordBatch stamped = RecordBatch.wrap(RetainedBatch.withDeleteHorizon(original, 99_000));

    stamped.ensureValid();
    assertThat(original.deleteHorizonMs()).isEqualTo(RecordBatch.NO_TIMESTAMP);
    assertThat(stamped.deleteHorizonMs()).isEqualTo(99_000);
    assertThat(stamped.isControlBatch()).isTrue();
    assertThat(stamped.baseOffset()).isEqualTo(40);
    assertThat(stamped.producerId()).isEqualTo(7);
    assertThat(stamped.maxTimestamp()).isEqualTo(1_000);
    assertThat(stamped.records()).singleElement().satisfies(r -> {
      assertThat(r.timestamp()).isEqualTo(1_000);
      assertThat(r.offset()).isEqualTo(40);
    });
    assertThat(ControlRecords.isCommit(stamped)).isTrue();
  }
}
