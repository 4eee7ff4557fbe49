package io.sluice.cli.perf;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;

/** Latency samples in microseconds; percentiles as Kafka's perf tools report them. Single-threaded. */
final class Latencies {
  private long[] samples = new long[1 << 16];
  private int count;
  private long sum;
  private long max;

  void record(long micros) {
    if (count == samples.length) {
      samples = Arrays.copyOf(samples, count * 2);
    }
    samples[count++] = micros;
    sum += micros;
    max = Math.max(max, micros);
  }

  int count() {
    return count;
  }

  double avgMs() {
    return count == 0 ? 0 : sum / 1000.0 / count;
  }

  double maxMs() {
    return max / 1000.0;
  }

  /** The p-th percentile (0 < p < 1) in milliseconds. */
  double percentileMs(double p) {
    if (count == 0) {
      return 0;
    }
    long[] sorted = Arrays.copyOf(samples, count);
    Arrays.sort(sorted);
    int i = (int) Math.min(count - 1, Math.max(0, Math.ceil(p * count) - 1));
    return sorted[i] / 1000.0;
  }

  /**
   * One line per sample in the order recorded: {@code sendEpochMicros latencyMicros}. {@code sentNanos[i]} is sample
   * i's {@link System#nanoTime()}, turned into wall-clock time by one reading of both clocks (JFR's events carry
   * wall-clock times).
   */
  void write(Path file, long[] sentNanos) {
    Instant now = Instant.now();
    long nanoNow = System.nanoTime();
    long epochMicrosNow = now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
    try (BufferedWriter w = Files.newBufferedWriter(file)) {
      for (int i = 0; i < count; i++) {
        w.write((epochMicrosNow - (nanoNow - sentNanos[i]) / 1_000) + " " + samples[i] + "\n");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
