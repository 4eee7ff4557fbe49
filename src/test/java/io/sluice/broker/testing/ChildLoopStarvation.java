package io.sluice.broker.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link LoopStarvation}'s rule for a broker in a child process, whose blocked-loop warnings the ITs read from its
 * output: a warning whose loop spent enough of the reported time waiting for a CPU (the machine starved, not the loop
 * blocked) is judged starved as it is printed, and not counted. {@code LauncherCdsIT} failed once on such a warning
 * at load 42, where the in-process guard would have forgiven it.
 *
 * <p>The child's event-loop threads ({@code comm} "vert.x-eventloo", as Linux truncates their names) have their
 * {@code run_delay} sampled every {@value LoopStarvation#SAMPLE_MS} ms from {@code /proc/PID/task}; a warning names
 * its thread by Java name, mapped to the kernel's thread id by {@code jcmd PID Thread.print} (its {@code nid}), taken
 * when new loops appear. Where it cannot tell (not Linux, no jcmd, a thread not sampled since the block began), a
 * warning counts. So does one read while its loop is still waiting in the run queue: the kernel adds a wait to
 * {@code run_delay} only when the thread next runs ({@link LoopStarvation} has the same blind spot).
 */
final class ChildLoopStarvation {
  private static final Pattern WARNING = Pattern.compile(
      "(vert\\.x-eventloop-thread-\\d+)\\S* has been blocked for (\\d+) ms, time limit is (\\d+) ms");
  private static final Pattern THREAD_DUMP =
      Pattern.compile("^\"(vert\\.x-eventloop-thread-\\d+)\" .* nid=0x(\\p{XDigit}+)");
  private static final String LOOP_COMM = "vert.x-eventloo";
  private static final long RESCAN_NS = TimeUnit.SECONDS.toNanos(1);
  private static final ScheduledExecutorService SAMPLER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "child-loop-starvation-sampler");
    t.setDaemon(true);
    return t;
  });
  /** Thread dumps (a second or more each on a loaded machine) off the sampler and the output's reader. */
  private static final java.util.concurrent.ExecutorService DUMPS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "child-loop-starvation-names");
    t.setDaemon(true);
    return t;
  });

  private final Process process;
  private final Path tasks;
  private final Map<Long, LoopStarvation.Samples> loops = new ConcurrentHashMap<>();
  private final Map<String, Long> tidsByName = new ConcurrentHashMap<>();
  private final Set<String> starved = ConcurrentHashMap.newKeySet();
  private long lastScanNs;
  private ScheduledFuture<?> sampling;

  private ChildLoopStarvation(Process process) {
    this.process = process;
    this.tasks = Path.of("/proc", Long.toString(process.pid()), "task");
  }

  /** Starts sampling {@code process}'s event loops (nothing on a system without per-thread procfs statistics). */
  static ChildLoopStarvation watch(Process process) {
    ChildLoopStarvation watch = new ChildLoopStarvation(process);
    if (Files.isDirectory(watch.tasks)) {
      watch.sampling = SAMPLER.scheduleAtFixedRate(watch::sample, 0, LoopStarvation.SAMPLE_MS, TimeUnit.MILLISECONDS);
    }
    return watch;
  }

  /**
   * Judges {@code line} as it is read, while the process that printed it runs: true (and remembered for
   * {@link #starved}) when it is a blocked-loop warning that its loop's wait for a CPU explains.
   */
  boolean judge(String line) {
    long arrivedNs = System.nanoTime();
    Matcher m = WARNING.matcher(line);
    if (sampling == null || !m.find()) {
      return false;
    }
    Map<Long, Long> now = new HashMap<>();
    loops.forEach((tid, s) -> now.put(tid, s.read()));
    long durationNs = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(m.group(2)));
    long limitNs = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(m.group(3)));
    Long tid = tid(m.group(1));
    LoopStarvation.Samples s = tid == null ? null : loops.get(tid);
    if (s == null || now.getOrDefault(tid, -1L) < 0) {
      return false;
    }
    long since = s.runDelayAtOrAfter(arrivedNs - durationNs);
    long waited = since < 0 ? 0 : Math.max(0, now.get(tid) - since);
    if (!LoopStarvation.starved(durationNs, waited, limitNs)) {
      return false;
    }
    starved.add(line);
    System.err.println("Starved, not blocked (not counted): " + line + "; " + TimeUnit.NANOSECONDS.toMillis(waited)
        + " ms of it waiting for a CPU");
    return true;
  }

  /** Whether the thread named {@code name} is known as a sampled event loop (its thread dump was read). */
  boolean sampling(String name) {
    Long tid = tidsByName.get(name);
    return tid != null && loops.containsKey(tid);
  }

  /** Whether {@code line} was judged a starved loop's warning. */
  boolean starved(String line) {
    return starved.contains(line);
  }

  private void sample() {
    if (!process.isAlive()) {
      sampling.cancel(false);
      return;
    }
    long now = System.nanoTime();
    if (lastScanNs == 0 || now - lastScanNs > RESCAN_NS) {
      lastScanNs = now;
      scan();
    }
    loops.values().forEach(LoopStarvation.Samples::sample);
  }

  /**
   * Finds the event-loop threads started since the last scan, and has their names looked up at once: a warning is
   * then judged without waiting for a thread dump, while the loop's samples around it are fresh.
   */
  private void scan() {
    boolean found = false;
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(tasks)) {
      for (Path task : dir) {
        long tid = Long.parseLong(task.getFileName().toString());
        if (!loops.containsKey(tid) && Files.readString(task.resolve("comm")).startsWith(LOOP_COMM)) {
          loops.put(tid, new LoopStarvation.Samples(task.resolve("schedstat")));
          found = true;
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process ended, or a thread did between the listing and its read: the next scan sees what is left
    }
    if (found) {
      DUMPS.execute(() -> tidsByName.putAll(threadDump()));
    }
  }

  /** The kernel's id of the thread named {@code name}, from a thread dump of the child; null if unknown. */
  private Long tid(String name) {
    if (!tidsByName.containsKey(name)) {
      tidsByName.putAll(threadDump());
    }
    return tidsByName.get(name);
  }

  private Map<String, Long> threadDump() {
    Map<String, Long> found = new HashMap<>();
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    try {
      Process dump = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "Thread.print")
          .redirectErrorStream(true).start();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(dump.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          Matcher m = THREAD_DUMP.matcher(line);
          if (m.find()) {
            found.put(m.group(1), Long.parseLong(m.group(2), 16));
          }
        }
      }
      dump.waitFor(30, TimeUnit.SECONDS);
    } catch (IOException e) {
      // no jcmd here: warnings count whole
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return found;
  }
}
