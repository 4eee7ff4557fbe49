package io.sluice.broker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class ChildLoopStarvationTest {
  /**
   * A child JVM with a 200 ms event-loop limit. It names its loop, waits for "go" on its input (the parent sampling
   * that loop), then holds the loop past the limit: asleep with {@code sleep}, or computing 50 ms of CPU time while
   * ten threads spin with {@code starve}, where pinned to one CPU (taskset) the loop gets about an eleventh of it and
   * spends most of the reported time waiting in the run queue.
   */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      Vertx vertx = Vertx.vertx(new VertxOptions().setMaxEventLoopExecuteTime(200)
          .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS).setBlockedThreadCheckInterval(50)
          .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS));
      Context loop = vertx.getOrCreateContext();
      loop.runOnContext(v -> System.out.println("loop " + Thread.currentThread().getName()));
      new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      boolean starve = args[0].equals("starve");
      for (int i = 0; starve && i < 10; i++) {
        Thread hog = new Thread(() -> {
          while (true) {
            Thread.onSpinWait();
          }
        });
        hog.setDaemon(true);
        hog.start();
      }
      ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
      CountDownLatch ran = new CountDownLatch(1);
      loop.runOnContext(v -> {
        if (starve) {
          long until = cpu.getCurrentThreadCpuTime() + TimeUnit.MILLISECONDS.toNanos(50);
          while (cpu.getCurrentThreadCpuTime() < until) {
            Thread.onSpinWait();
          }
        } else {
          try {
            Thread.sleep(1_500);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        ran.countDown();
      });
      ran.await();
      // The checker's last report comes from its own thread: one more check, with the loop free again, ends them.
      vertx.close().await(30, TimeUnit.SECONDS);
      System.out.println("done");
      System.exit(0);
    }
  }

  @Test
  void aLoopBlockedAsleepIsNotStarvedAndItsWarningIsKept() throws Exception {
    ProcessOutput out = run(List.of(), "sleep");
    List<String> warnings = out.lines().stream().filter(l -> l.contains("has been blocked for")).toList();
    assertThat(warnings).as(out.text()).isNotEmpty().noneMatch(out::starved);
    assertThat(out.linesBesidesStarvedLoops()).containsAll(warnings);
  }

  @Test
  void aLoopWaitingForTheCpuIsStarvedAndItsWarningsAreLeftOut() throws Exception {
    ProcessOutput out = run(List.of("taskset", "-c", "0"), "starve");
    List<String> warnings = out.lines().stream().filter(l -> l.contains("has been blocked for")).toList();
    // Not every one: the kernel adds a wait to run_delay when the thread next runs, so a warning read while its loop
    // still waits in the run queue lacks that wait and counts (the safe side).
    assertThat(warnings).as(out.text()).anyMatch(out::starved);
    List<String> starved = warnings.stream().filter(out::starved).toList();
    assertThat(out.linesBesidesStarvedLoops()).doesNotContainAnyElementsOf(starved)
        .containsAll(warnings.stream().filter(w -> !out.starved(w)).toList());
  }

  @Test
  void aStarvedWarningIsLeftOutWithTheStackUnderIt() {
    List<String> lines = List.of("before", "WARNING: Thread vert.x-eventloop-thread-1 has been blocked for 2100 ms,"
        + " time limit is 2000 ms", "io.vertx.core.VertxException: Thread blocked",
        "\tat io.sluice.Foo.bar(Foo.java:1)", "after");
    assertThat(ProcessOutput.besides(lines, l -> l.contains("has been blocked for")))
        .containsExactly("before", "after");
  }

  private static ProcessOutput run(List<String> prefix, String mode) throws Exception {
    List<String> command = new ArrayList<>(prefix);
    command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), Child.class.getName(), mode));
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    ProcessOutput out = ProcessOutput.follow(child, "child-loop-" + mode, line -> { });
    String loop = out.lineContaining("loop ").get(120, TimeUnit.SECONDS).substring("loop ".length()).trim();
    Awaitility.await("the child's loop sampled and named").atMost(Duration.ofSeconds(120))
        .until(() -> out.starvation().sampling(loop));
    child.getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8));
    child.getOutputStream().flush();
    out.lineContaining("done").get(120, TimeUnit.SECONDS);
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    out.ended().get(10, TimeUnit.SECONDS);
    return out;
  }
}
