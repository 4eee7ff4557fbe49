package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The descriptor gauge is sampled once per interval however many HTTP server instances' timers ask. */
class FileDescriptorGaugeTest {
  @Test
  void aSampleJustFinishedClaimsNoNewOneUntilTheMinimumGapHasPassed() {
    AtomicLong now = new AtomicLong(1_000_000_000L);
    FileDescriptorGauge gauge = new FileDescriptorGauge(10, now::get);
    assertThat(gauge.startSample()).as("the first sample").isTrue();
    assertThat(gauge.startSample()).as("while one runs").isFalse();
    gauge.sample();
    assertThat(gauge.startSample()).as("another instance's timer, at once").isFalse();
    now.addAndGet(FileDescriptorGauge.MIN_SAMPLE_GAP_NANOS - 1);
    assertThat(gauge.startSample()).isFalse();
    now.addAndGet(1);
    assertThat(gauge.startSample()).as("the gap has passed").isTrue();
  }
}
