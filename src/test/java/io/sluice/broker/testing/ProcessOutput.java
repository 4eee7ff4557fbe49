package io.sluice.broker.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Reads a child process's output on a daemon thread: keeps every line, hands each to a listener as it arrives, and
 * completes {@link #ended()} when the stream closes (the process died or closed it).
 */
public final class ProcessOutput {
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> ended = new CompletableFuture<>();
  private final List<Watch> watches = new CopyOnWriteArrayList<>();
  private ChildLoopStarvation starvation;

  private record Watch(String text, CompletableFuture<String> seen) {
  }

  private ProcessOutput() {
  }

  /** Starts following {@code process}'s standard output (merge standard error into it to keep both). */
  public static ProcessOutput follow(Process process, String threadName, Consumer<String> onLine) {
    ProcessOutput out = new ProcessOutput();
    out.starvation = ChildLoopStarvation.watch(process);
    Thread reader = new Thread(() -> out.pump(process, onLine), threadName);
    reader.setDaemon(true);
    reader.start();
    return out;
  }

  private void pump(Process process, Consumer<String> onLine) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        lines.add(line);
        starvation.judge(line);
        for (Watch w : watches) {
          if (line.contains(w.text())) {
            w.seen().complete(line);
          }
        }
        onLine.accept(line);
      }
    } catch (IOException e) {
      // the process died; its output ends here
    } finally {
      ended.complete(null);
    }
  }

  /**
   * Whether {@code line} is a blocked-event-loop warning that the loop's wait for a CPU explains (judged as it was
   * read: {@link ChildLoopStarvation}); such a warning and its stack are not a blocked loop.
   */
  public boolean starved(String line) {
    return starvation.starved(line);
  }

  /**
   * The lines read so far less each starved loop's warning and the stack lines under it: what a check for blocked
   * loops or alarming lines should read.
   */
  public List<String> linesBesidesStarvedLoops() {
    return besides(List.copyOf(lines), this::starved);
  }

  /** {@code all} less each line {@code starved} accepts and the stack lines under it. */
  static List<String> besides(List<String> all, java.util.function.Predicate<String> starved) {
    List<String> kept = new java.util.ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      if (!starved.test(all.get(i))) {
        kept.add(all.get(i));
        continue;
      }
      while (i + 1 < all.size() && isStackLine(all.get(i + 1))) {
        i++;
      }
    }
    return kept;
  }

  /** A line of the stack Vert.x prints under a blocked-thread warning. */
  public static boolean isStackLine(String line) {
    return line.startsWith("\t") || line.startsWith("io.vertx.core.VertxException") || line.startsWith("Caused by");
  }

  /** The judge of the child's blocked-loop warnings. */
  ChildLoopStarvation starvation() {
    return starvation;
  }

  /** Every line read so far (a live view). */
  public List<String> lines() {
    return lines;
  }

  /**
   * The first line containing {@code text}, read already or to come; fails if the output ends without one. An event
   * to wait on instead of polling {@link #lines()}.
   */
  public CompletableFuture<String> lineContaining(String text) {
    CompletableFuture<String> seen = new CompletableFuture<>();
    // Watched before the lines read so far are searched: a line the reader adds meanwhile is found by one or both.
    watches.add(new Watch(text, seen));
    lines.stream().filter(l -> l.contains(text)).findFirst().ifPresent(seen::complete);
    ended.thenRun(() -> seen.completeExceptionally(new IllegalStateException("the output ended without a line"
        + " containing '" + text + "':\n" + text())));
    return seen;
  }

  public CompletableFuture<Void> ended() {
    return ended;
  }

  public String text() {
    return String.join("\n", lines);
  }
}
