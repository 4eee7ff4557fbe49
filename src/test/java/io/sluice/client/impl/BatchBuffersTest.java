package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A producer's batch arrays come back for reuse only at their own size, and only up to the bound. */
class BatchBuffersTest {
  @Test
  void anArrayGivenBackIsTheNextOneTaken() {
    BatchBuffers buffers = new BatchBuffers(1024);
    byte[] first = buffers.take();
    assertThat(first).hasSize(1024);
    assertThat(buffers.reused()).isZero();
    buffers.give(first);
    assertThat(buffers.take()).isSameAs(first);
    assertThat(buffers.reused()).isEqualTo(1);
    assertThat(buffers.take()).as("none idle: a new one").isNotSameAs(first).hasSize(1024);
  }

  @Test
  void arraysOfAnotherSizeAreLeftToTheCollector() {
    BatchBuffers buffers = new BatchBuffers(1024);
    buffers.give(new byte[2048]); // a batch that grew past the batch size
    buffers.give(new byte[512]);
    assertThat(buffers.idle()).isZero();
  }

  @Test
  void atMostTheBoundIsKeptIdle() {
    BatchBuffers buffers = new BatchBuffers(8 << 20);
    assertThat(buffers.maxPooled()).isEqualTo(4); // 32 MiB of 8 MiB arrays
    for (int i = 0; i < 6; i++) {
      buffers.give(new byte[8 << 20]);
    }
    assertThat(buffers.idle()).isEqualTo(4);
  }
}
