package io.sluice.broker.testing;

import static org.assertj.core.api.Assertions.fail;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.threadchecker.BlockedThreadEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test when an event loop of a watched Vert.x was blocked longer than {@link #MAX_EVENT_LOOP_MS}.
 *
 * <p>Register with {@code @RegisterExtension static final BlockedThreadGuard GUARD = new BlockedThreadGuard();},
 * build Vert.x with {@link #testOptions} (brokers: {@code Broker.builder(cfg).vertxOptions(BlockedThreadGuard::
 * testOptions)}), then {@link #watch} it. Vert.x's checker calls our handler instead of logging; every event is
 * recorded with the blocked thread's stack and reported after the test (or the class, for a shared broker). An event
 * its loop's time in the kernel's run queue explains (a machine starved, not a loop blocked: {@link LoopStarvation})
 * is written to standard error and not counted.
 */
public final class BlockedThreadGuard implements AfterEachCallback, AfterAllCallback {
  /**
   * The event-loop budget in tests: half Vert.x's 2 s default, far above any legitimate handler. 200 ms proved too
   * tight on 2 cores shared with other JVMs: a Netty socket write descheduled by the OS tripped it.
   */
  public static final long MAX_EVENT_LOOP_MS = 1_000;
  private static final long CHECK_INTERVAL_MS = 100;

  private final List<String> events = new CopyOnWriteArrayList<>();

  /** Lowers the blocked-thread limits: event loops {@link #MAX_EVENT_LOOP_MS}, checked every 100 ms. */
  public static void testOptions(VertxOptions options) {
    options.setMaxEventLoopExecuteTime(MAX_EVENT_LOOP_MS).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setBlockedThreadCheckInterval(CHECK_INTERVAL_MS).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS);
  }

  /** Starts recording blocked-thread events of {@code vertx}. */
  public void watch(Vertx vertx) {
    LoopStarvation.watch(vertx);
    ((VertxInternal) vertx).blockedThreadChecker().setThreadBlockedHandler(this::record);
  }

  private void record(BlockedThreadEvent event) {
    if (event.thread().getName().contains("eventloop")) {
      long waited = LoopStarvation.waitedForCpuNs(event);
      long waitedMs = TimeUnit.NANOSECONDS.toMillis(waited);
      if (LoopStarvation.starved(event.duration(), waited, event.maxExecTime())) {
        System.err.println("Starved, not blocked (not counted): " + event + "; " + waitedMs
            + " ms of it waiting for a CPU");
        return;
      }
      StringBuilder sb = new StringBuilder(event + " (" + waitedMs + " ms of it waiting for a CPU)");
      for (StackTraceElement e : event.thread().getStackTrace()) {
        sb.append("\n\tat ").append(e);
      }
      events.add(sb.toString());
      System.err.println("BLOCKED EVENT LOOP: " + sb);
    }
  }

  /** Events recorded so far. */
  public List<String> events() {
    return List.copyOf(events);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    check();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    check();
  }

  private void check() {
    if (!events.isEmpty()) {
      List<String> seen = List.copyOf(events);
      events.clear();
      fail("An event loop was blocked longer than " + MAX_EVENT_LOOP_MS + " ms:\n" + String.join("\n\n", seen));
    }
  }
}
