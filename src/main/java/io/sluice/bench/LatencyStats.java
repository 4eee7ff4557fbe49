package io.sluice.bench;

import java.util.Arrays;

/** Collects latencies in microseconds and reports percentiles in milliseconds. Single-threaded. */
final class LatencyStats {
  private long[] samples = new long[1 << 16];
  private int count;

  void record(long micros) {
    if (count == samples.length) {
      samples = Arrays.copyOf(samples, count * 2);
    }
    samples[count++] = micros;
  }

  int count() {
    return count;
  }

  String summary() {
    if (count == 0) {
      return "no samples";
    }
    long[] sorted = Arrays.copyOf(samples, count);
    Arrays.sort(sorted);
    double avg = Arrays.stream(sorted).average().orElse(0) / 1000.0;
    return String.format("%d samples, avg %.2f ms, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms",
        count, avg, pct(sorted, 0.50), pct(sorted, 0.99), pct(sorted, 0.999), sorted[count - 1] / 1000.0);
  }

  private static double pct(long[] sorted, double p) {
    int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1000.0;
  }
}
