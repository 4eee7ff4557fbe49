package io.sluice.broker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ChildLoopStarvationTest {
  /** A child JVM whose event loop sleeps past a 200 ms limit: blocked (asleep), not waiting for a CPU. */
  public static final class SleepingLoop {
    public static void main(String[] args) throws Exception {
      Vertx vertx = Vertx.vertx(new VertxOptions().setMaxEventLoopExecuteTime(200)
          .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS).setBlockedThreadCheckInterval(50)
          .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS));
      Thread.sleep(1_000); // the parent's first scan finds the loop once it has started
      vertx.runOnContext(v -> {
        try {
          Thread.sleep(1_500);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      Thread.sleep(3_000);
      System.out.println("done");
      System.exit(0);
    }
  }

  @Test
  void aLoopBlockedAsleepIsNotStarvedAndItsWarningIsKept() throws Exception {
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), SleepingLoop.class.getName()).redirectErrorStream(true).start();
    ProcessOutput out = ProcessOutput.follow(child, "sleeping-loop-output", line -> { });
    out.lineContaining("done").get(60, TimeUnit.SECONDS);
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    out.ended().get(10, TimeUnit.SECONDS);
    List<String> warnings = out.lines().stream().filter(l -> l.contains("has been blocked for")).toList();
    assertThat(warnings).as(out.text()).isNotEmpty().noneMatch(out::starved);
    assertThat(out.linesBesidesStarvedLoops()).containsAll(warnings);
  }

  @Test
  void aStarvedWarningIsLeftOutWithTheStackUnderIt() {
    List<String> lines = List.of("before", "WARNING: Thread vert.x-eventloop-thread-1 has been blocked for 2100 ms,"
        + " time limit is 2000 ms", "io.vertx.core.VertxException: Thread blocked", "\tat io.sluice.Foo.bar(Foo.java:1)",
        "after");
    assertThat(ProcessOutput.besides(lines, l -> l.contains("has been blocked for")))
        .containsExactly("before", "after");
  }
}
