package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.streams.TaskScheduler.Failure;
import org.junit.jupiter.api.Test;

/**
 * A failed task's restart backoff doubles with each failure in a row and starts over once a run processed input:
 * before, the count never went down, so a stream that had lived through a few failovers waited 30 s after every
 * transient error of the next one (StreamsClusterIT's tasks, not back on their leaders within 120 s).
 */
class TaskSchedulerBackoffTest {
  @Test
  void failuresInARowDoubleTheWaitUpToThirtySeconds() {
    Failure f = null;
    long[] waits = new long[7];
    for (int i = 0; i < waits.length; i++) {
      f = Failure.after(f, false, 1_000, 0);
      waits[i] = f.retryAtMs() - 1_000;
    }
    assertThat(waits).containsExactly(1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000);
    assertThat(f.total()).isEqualTo(7);
  }

  @Test
  void aRunThatProcessedInputStartsTheBackoffOver() {
    Failure f = null;
    for (int i = 0; i < 6; i++) {
      f = Failure.after(f, false, 0, 0);
    }
    assertThat(f.retryAtMs()).isEqualTo(30_000);
    Failure afterProgress = Failure.after(f, true, 0, 0);
    assertThat(afterProgress.retryAtMs()).as("the wait after a failover's first error").isEqualTo(1_000);
    assertThat(afterProgress.inARow()).isEqualTo(1);
    assertThat(afterProgress.total()).as("the status still counts every restart").isEqualTo(7);
    assertThat(Failure.after(afterProgress, false, 0, 0).retryAtMs()).isEqualTo(2_000);
  }
}
