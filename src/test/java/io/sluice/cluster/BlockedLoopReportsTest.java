package io.sluice.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockedLoopReportsTest {
  private static final long T0 = LocalDateTime.of(2026, 12, 2, 12, 49, 0).atZone(ZoneId.systemDefault())
      .toInstant().toEpochMilli();

  private static String warning(long atEpochMs, long blockedMs) {
    String time = LocalDateTime.ofInstant(java.time.Instant.ofEpochMilli(atEpochMs), ZoneId.systemDefault())
        .format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS"));
    return time + " WARNING io.vertx.core.impl.BlockedThreadChecker - Thread vert.x-eventloop-thread-0 has been"
        + " blocked for " + blockedMs + " ms, time limit is 2000 ms";
  }

  @Test
  void aBlockWithoutAStopIsReportedWithItsStack() {
    List<String> lines = List.of("before", warning(T0, 3_980), "io.vertx.core.VertxException: Thread blocked",
        "\tat io.sluice.Foo.bar(Foo.java:1)", "after");
    List<String> reports = new BlockedLoopReports().reports("broker 1", lines);
    assertThat(reports).singleElement().satisfies(r -> {
      assertThat(r).startsWith("broker 1: ").contains("blocked for 3980 ms").contains("Foo.bar").doesNotContain("after");
    });
  }

  @Test
  void aBlockThatIsThePauseOfAStopIsNotReported() {
    BlockedLoopReports reports = new BlockedLoopReports();
    reports.stopping(T0 - 4_000);
    reports.continued(T0 - 100);
    assertThat(reports.reports("broker 1", List.of(warning(T0, 3_980)))).isEmpty();
  }

  @Test
  void aBlockLongerThanItsStopByTheLimitIsReported() {
    BlockedLoopReports reports = new BlockedLoopReports();
    reports.stopping(T0 - 4_000);
    reports.continued(T0 - 1_000);
    assertThat(reports.reports("broker 1", List.of(warning(T0, 6_000)))).hasSize(1);
  }

  @Test
  void aStopOutsideTheBlockExplainsNothing() {
    BlockedLoopReports reports = new BlockedLoopReports();
    reports.stopping(T0 - 20_000);
    reports.continued(T0 - 15_000);
    assertThat(reports.reports("broker 1", List.of(warning(T0, 2_500)))).hasSize(1);
  }
}
