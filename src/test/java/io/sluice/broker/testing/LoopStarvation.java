package io.sluice.broker.testing;

import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.threadchecker.BlockedThreadEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Tells an event loop that was blocked from one that was starved. Vert.x's checker sees only wall-clock time since
 * a task began; on 2 cores shared by several test JVMs (load 15-30) a loop whose task needs a few milliseconds of CPU
 * can wait in the kernel's run queue for a second, and the checker reports it (its stack, captured just after,
 * already idle in {@code epoll_wait}). The kernel counts that wait per thread ({@code run_delay} in
 * {@code /proc/self/task/TID/schedstat}), so each watched loop's count is sampled every {@value #SAMPLE_MS} ms and an
 * event is judged on what is left of its duration once the time its loop spent waiting for a CPU is taken off: a
 * loop sleeping, waiting for a lock, on disk or computing still counts in full.
 *
 * <p>Where it cannot tell (not Linux, a loop not sampled since before the task began), the event counts whole.
 */
public final class LoopStarvation {
  static final long SAMPLE_MS = 50;
  /** Samples kept per loop: 10 s, longer than any event worth forgiving. */
  private static final int KEPT = 200;
  private static final Path TASKS = Path.of("/proc/self/task");
  private static final Map<Thread, Samples> LOOPS = new ConcurrentHashMap<>();
  private static final ScheduledExecutorService SAMPLER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "loop-starvation-sampler");
    t.setDaemon(true);
    return t;
  });

  static {
    SAMPLER.scheduleAtFixedRate(LoopStarvation::sampleAll, SAMPLE_MS, SAMPLE_MS, TimeUnit.MILLISECONDS);
  }

  private LoopStarvation() {
  }

  /** Starts sampling {@code vertx}'s event loops (each tells its own kernel thread id, read from procfs). */
  public static void watch(Vertx vertx) {
    if (!Files.isDirectory(TASKS)) {
      return;
    }
    for (EventExecutor loop : ((VertxInternal) vertx).eventLoopGroup()) {
      loop.execute(() -> {
        try {
          String self = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString(); // "PID/task/TID"
          Samples s = new Samples(TASKS.resolve(self.substring(self.lastIndexOf('/') + 1)).resolve("schedstat"));
          s.sample();
          LOOPS.put(Thread.currentThread(), s);
        } catch (IOException | RuntimeException e) {
          // no per-thread statistics here: this loop's events count whole
        }
      });
    }
  }

  /**
   * The part of {@code event}'s duration its loop spent waiting for a CPU, in ns, as far as the samples show it (an
   * underestimate: from the first sample after the task began); 0 when unknown.
   */
  public static long waitedForCpuNs(BlockedThreadEvent event) {
    Samples s = LOOPS.get(event.thread());
    if (s == null) {
      return 0;
    }
    long now = System.nanoTime();
    long sinceRunDelay = s.runDelayAtOrAfter(now - event.duration());
    long runDelayNow = s.read();
    return sinceRunDelay < 0 || runDelayNow < 0 ? 0 : Math.max(0, runDelayNow - sinceRunDelay);
  }

  /** True when what is left of {@code durationNs} once {@code waitedNs} is taken off is under {@code limitNs}. */
  public static boolean starved(long durationNs, long waitedNs, long limitNs) {
    return waitedNs > 0 && durationNs - waitedNs < limitNs;
  }

  /** Whether {@code event} is explained by its loop waiting for a CPU rather than by its task. */
  public static boolean starved(BlockedThreadEvent event) {
    return starved(event.duration(), waitedForCpuNs(event), event.maxExecTime());
  }

  private static void sampleAll() {
    LOOPS.entrySet().removeIf(e -> !e.getKey().isAlive());
    LOOPS.values().forEach(Samples::sample);
  }

  /** One loop's run-queue wait over time: a ring of (nanoTime, run_delay ns) pairs. */
  static final class Samples {
    private final Path schedstat;
    private final long[] times = new long[KEPT];
    private final long[] delays = new long[KEPT];
    private int next;
    private int count;

    Samples(Path schedstat) {
      this.schedstat = schedstat;
    }

    void sample() {
      long delay = read();
      if (delay >= 0) {
        add(System.nanoTime(), delay);
      }
    }

    synchronized void add(long nanoTime, long runDelayNs) {
      times[next] = nanoTime;
      delays[next] = runDelayNs;
      next = (next + 1) % KEPT;
      count = Math.min(count + 1, KEPT);
    }

    /** The run delay of the oldest sample taken at or after {@code since}; -1 if there is none. */
    synchronized long runDelayAtOrAfter(long since) {
      int oldest = (next - count + KEPT) % KEPT;
      for (int i = 0; i < count; i++) {
        int at = (oldest + i) % KEPT;
        if (times[at] - since >= 0) {
          return delays[at];
        }
      }
      return -1;
    }

    /** {@code run_delay}: the second field of schedstat, ns spent runnable waiting for a CPU; -1 if unreadable. */
    long read() {
      try {
        String[] fields = Files.readString(schedstat).trim().split(" ");
        return Long.parseLong(fields[1]);
      } catch (IOException | RuntimeException e) {
        return -1;
      }
    }
  }
}
