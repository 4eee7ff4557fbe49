package io.sluice.quota;

/**
 * A rate over {@code samples} windows of {@code windowMs}, as Kafka's {@code Rate} over a {@code SampledStat}: values
 * are added to the current window; a window older than all of them together is forgotten; the rate is the sum over
 * the elapsed time, which counts at least {@code samples - 1} whole windows (so a client's first burst is not divided
 * by a few milliseconds). Not thread-safe: {@link ClientQuotas} locks it.
 */
final class SampledRate {
  private final long windowMs;
  private final long[] starts;
  private final double[] values;
  private int current;

  SampledRate(int samples, long windowMs, long nowMs) {
    this.windowMs = windowMs;
    this.starts = new long[samples];
    this.values = new double[samples];
    java.util.Arrays.fill(starts, nowMs);
  }

  void record(double value, long nowMs) {
    if (nowMs - starts[current] >= windowMs) {
      current = (current + 1) % starts.length;
      starts[current] = nowMs;
      values[current] = 0;
    }
    values[current] += value;
  }

  /** Per second, at {@code nowMs}. */
  double rate(long nowMs) {
    purge(nowMs);
    double total = 0;
    for (double v : values) {
      total += v;
    }
    return total / (elapsedMs(nowMs) / 1000.0);
  }

  /**
   * How long the answer is held so that the rate comes back to {@code bound}: Kafka's {@code (rate - bound) / bound *
   * window}, 0 at or under the bound.
   */
  long throttleMs(double bound, long nowMs) {
    double rate = rate(nowMs);
    if (rate <= bound) {
      return 0;
    }
    return (long) ((rate - bound) / bound * elapsedMs(nowMs));
  }

  /** Whether every window is older than the whole span: the rate is 0, and forgetting it loses nothing. */
  boolean idle(long nowMs) {
    return nowMs - starts[current] >= windowMs * starts.length;
  }

  private void purge(long nowMs) {
    long expireBefore = nowMs - windowMs * starts.length;
    for (int i = 0; i < starts.length; i++) {
      if (starts[i] <= expireBefore) {
        starts[i] = nowMs;
        values[i] = 0;
      }
    }
  }

  private long elapsedMs(long nowMs) {
    long oldest = starts[0];
    for (long s : starts) {
      oldest = Math.min(oldest, s);
    }
    long elapsed = nowMs - oldest;
    long fullWindows = elapsed / windowMs;
    long minFull = starts.length - 1;
    if (fullWindows < minFull) {
      elapsed += (minFull - fullWindows) * windowMs;
    }
    return Math.max(elapsed, 1);
  }
}
