package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A new batch's first buffer follows how full the partition's batches get, within the batch size: a producer sending
 * one record at a time must not allocate a whole batch size per record.
 */
class BatchBufferSizingTest {
  private static final int BATCH_SIZE = 256 * 1024;

  @Test
  void aPartitionsFirstBatchStartsSmallerThanTheBatchSize() {
    assertThat(ProducerImpl.initialBatchBytes(121, 0, BATCH_SIZE)).isEqualTo(ProducerImpl.FIRST_BATCH_BYTES);
    assertThat(ProducerImpl.initialBatchBytes(121, 0, 4096)).as("never past the batch size").isEqualTo(4096);
  }

  @Test
  void afterOneRecordBatchesTheNextBatchStartsAtThatSize() {
    assertThat(ProducerImpl.initialBatchBytes(121, 121, BATCH_SIZE)).isEqualTo(121);
  }

  @Test
  void afterFullBatchesTheNextBatchStartsAtTheBatchSize() {
    assertThat(ProducerImpl.initialBatchBytes(121, BATCH_SIZE - 40, BATCH_SIZE))
        .as("a record short of full: the next batch may fill it all, and a smaller buffer would double")
        .isEqualTo(BATCH_SIZE);
    assertThat(ProducerImpl.initialBatchBytes(121, BATCH_SIZE / 2, BATCH_SIZE)).isEqualTo(BATCH_SIZE);
    assertThat(ProducerImpl.initialBatchBytes(121, BATCH_SIZE / 2 - 1, BATCH_SIZE)).isEqualTo(BATCH_SIZE / 2 - 1);
    assertThat(ProducerImpl.initialBatchBytes(121, BATCH_SIZE + 500, BATCH_SIZE)).isEqualTo(BATCH_SIZE);
  }

  @Test
  void aRecordLargerThanTheGuessGetsRoomForItself() {
    assertThat(ProducerImpl.initialBatchBytes(1 << 20, 121, BATCH_SIZE)).isEqualTo(1 << 20);
  }
}
