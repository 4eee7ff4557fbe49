package io.sluice.broker.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The blocked-loop guard's judgement of starvation: only the time a loop waited in the run queue is forgiven, and it
 * is never overestimated. (A loop blocked by a sleep is still caught: {@code BlockedThreadGuardTest}.)
 */
class LoopStarvationTest {
  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

  @Test
  void onlyADurationMostlySpentWaitingForACpuIsStarvation() {
    assertThat(LoopStarvation.starved(1_500 * MS, 1_200 * MS, 1_000 * MS)).as("300 ms of its own").isTrue();
    assertThat(LoopStarvation.starved(1_500 * MS, 400 * MS, 1_000 * MS)).as("1,100 ms of its own").isFalse();
    assertThat(LoopStarvation.starved(1_500 * MS, 0, 1_000 * MS)).as("unknown wait").isFalse();
  }

  @Test
  void theWaitIsCountedFromTheFirstSampleAfterTheTaskBegan() {
    LoopStarvation.Samples s = new LoopStarvation.Samples(Path.of("/nonexistent"));
    s.add(1_000, 5);
    s.add(1_050, 7);
    s.add(1_100, 40);
    assertThat(s.runDelayAtOrAfter(1_020)).as("the wait before 1,050 is not known to be the task's").isEqualTo(7);
    assertThat(s.runDelayAtOrAfter(1_000)).isEqualTo(5);
    assertThat(s.runDelayAtOrAfter(1_101)).as("no sample since: unknown").isEqualTo(-1);
    assertThat(s.read()).as("unreadable statistics").isEqualTo(-1);
  }

  @Test
  void aThreadsRunQueueWaitIsReadFromTheKernel() throws Exception {
    assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux procfs");
    String self = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString();
    LoopStarvation.Samples s = new LoopStarvation.Samples(Path.of("/proc/self/task")
        .resolve(self.substring(self.lastIndexOf('/') + 1)).resolve("schedstat"));
    assertThat(s.read()).isNotNegative();
  }
}
