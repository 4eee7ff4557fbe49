package io.sluice.broker;

import io.vertx.core.Future;
import java.lang.System.Logger.Level;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.curator.framework.listen.Listenable;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;

/**
 * How long each start step took, for the start's "started in" log line (where a slow start spent its time), and,
 * with the {@code io.sluice.broker.StartSteps} logger at DEBUG ({@code FINE} in java.util.logging), the counted
 * figures of each phase from the JVM's launch: wall time, the process's CPU time and the classes it loaded, plus
 * what ran beside the steps on threads of their own (the embedded ZooKeeper's load, the log store's open, the
 * metrics' build) with that thread's CPU. Counting costs a few MXBean calls per step, so it runs only when asked.
 */
final class StartSteps {
  private static final System.Logger LOG = System.getLogger(StartSteps.class.getName());

  private final long begin = System.nanoTime();
  private final StringBuilder steps = new StringBuilder();
  private final Counts counts;
  private long last = begin;

  StartSteps() {
    this.counts = LOG.isLoggable(Level.DEBUG) ? new Counts() : null;
  }

  <T> Future<T> time(String step, Future<T> f) {
    return f.onSuccess(v -> {
      synchronized (this) {
        long now = System.nanoTime();
        steps.append(steps.length() == 0 ? "" : ", ").append(step).append(' ')
            .append(TimeUnit.NANOSECONDS.toMillis(now - last));
        last = now;
        if (counts != null) {
          counts.step(step);
        }
      }
    });
  }

  /**
   * Times {@code work} on the calling thread, a phase that runs beside the steps: its wall time from the start's
   * begin and the thread's CPU go into the counted figures.
   */
  <T> T beside(String phase, Supplier<T> work) {
    if (counts == null) {
      return work.get();
    }
    long from = System.nanoTime();
    long cpu = Counts.threadCpuNanos();
    try {
      return work.get();
    } finally {
      long cpuMs = TimeUnit.NANOSECONDS.toMillis(Counts.threadCpuNanos() - cpu);
      synchronized (this) {
        counts.beside(phase, TimeUnit.NANOSECONDS.toMillis(from - begin),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin), cpuMs);
      }
    }
  }

  /** Notes the moment {@code what} happened (from the start's begin) in the counted figures. */
  synchronized void mark(String what) {
    if (counts != null) {
      counts.beside(what, -1, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin), -1);
    }
  }

  /** Marks {@code what} at the first state of {@code states} that passes {@code test} (with the logger on). */
  void markWhen(String what, Listenable<ConnectionStateListener> states, Predicate<ConnectionState> test) {
    if (counts == null) {
      return;
    }
    AtomicBoolean seen = new AtomicBoolean();
    states.addListener((client, state) -> {
      if (test.test(state) && seen.compareAndSet(false, true)) {
        mark(what);
      }
    });
  }

  /** Logs the counted figures (with the DEBUG logger on). */
  synchronized void logCounts(int brokerId) {
    if (counts != null) {
      LOG.log(Level.DEBUG, "Broker " + brokerId + " start phases: " + counts);
    }
  }

  @Override
  public synchronized String toString() {
    return TimeUnit.NANOSECONDS.toMillis(last - begin) + " ms (" + steps + ")";
  }

  /** The process's CPU and loaded classes at each step's end, from the JVM's launch. */
  private static final class Counts {
    private final StringBuilder phases = new StringBuilder();
    private final StringBuilder beside = new StringBuilder();
    private long lastWallMs;
    private long lastCpuMs;
    private long lastClasses;

    Counts() {
      step("jvm and main");
    }

    void step(String name) {
      long wallMs = ManagementFactory.getRuntimeMXBean().getUptime();
      long cpuMs = TimeUnit.NANOSECONDS.toMillis(processCpuNanos());
      long classes = ManagementFactory.getClassLoadingMXBean().getTotalLoadedClassCount();
      phases.append(phases.length() == 0 ? "" : "; ").append(name).append(": wall ").append(wallMs - lastWallMs)
          .append(" ms, cpu ").append(cpuMs - lastCpuMs).append(" ms, classes ").append(classes - lastClasses);
      lastWallMs = wallMs;
      lastCpuMs = cpuMs;
      lastClasses = classes;
    }

    void beside(String name, long fromMs, long toMs, long cpuMs) {
      beside.append(beside.length() == 0 ? "" : "; ").append(name).append(": ");
      if (fromMs < 0) {
        beside.append("at ").append(toMs).append(" ms of the boot");
      } else {
        beside.append(fromMs).append("-").append(toMs).append(" ms of the boot, its thread's cpu ").append(cpuMs)
            .append(" ms");
      }
    }

    static long processCpuNanos() {
      return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
          .getProcessCpuTime();
    }

    static long threadCpuNanos() {
      return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    }

    @Override
    public String toString() {
      return "at the end " + lastWallMs + " ms from the JVM's launch, cpu " + lastCpuMs + " ms, classes " + lastClasses
          + " (" + phases + ")" + (beside.length() == 0 ? "" : "; beside the steps: " + beside);
    }
  }
}
