package io.sluice.http;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Estimates how many file descriptors the process has free, so new connections can be refused at accept before
 * the process runs out (when it does, nothing can be accepted, opened or answered, not even /health).
 *
 * <p>Counting open descriptors lists {@code /proc/self/fd}, which takes milliseconds at tens of thousands of
 * descriptors, so {@link #sample()} runs on a worker every {@link #SAMPLE_INTERVAL_MS} and accept-time checks add
 * the connections admitted since the last sample. Where the JVM cannot count descriptors (not Unix) the gauge never
 * refuses. Every HTTP server instance runs that timer against the one gauge, so a sample finished less than
 * {@link #MIN_SAMPLE_GAP_NANOS} ago claims no new one: two instances listed {@code /proc/self/fd} about 20 times a
 * second instead of 10 (0.25 ms each, h-tail2, eighteenth session). Thread-safe.
 */
final class FileDescriptorGauge {
  static final long SAMPLE_INTERVAL_MS = 100;
  static final long MIN_SAMPLE_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(SAMPLE_INTERVAL_MS * 3 / 4);
  private final int minFree;
  private final LongSupplier nanoTime;
  private volatile long lastSampleNanos;
  private final AtomicLong admittedSinceSample = new AtomicLong();
  private final AtomicBoolean sampling = new AtomicBoolean();
  private volatile long maxAtSample = -1;
  private volatile long openAtSample;

  FileDescriptorGauge(int minFree) {
    this(minFree, System::nanoTime);
  }

  FileDescriptorGauge(int minFree, LongSupplier nanoTime) {
    this.minFree = minFree;
    this.nanoTime = nanoTime;
    this.lastSampleNanos = nanoTime.getAsLong() - MIN_SAMPLE_GAP_NANOS;
  }

  /** True when admitting one more connection would leave fewer than the reserve free. */
  boolean tooFewFree() {
    long max = maxAtSample;
    return max >= 0 && max - (openAtSample + admittedSinceSample.get() + 1) < minFree;
  }

  void admitted() {
    admittedSinceSample.incrementAndGet();
  }

  /** Claims the next sample; false when one is running already, or finished less than the minimum gap ago. */
  boolean startSample() {
    return nanoTime.getAsLong() - lastSampleNanos >= MIN_SAMPLE_GAP_NANOS && sampling.compareAndSet(false, true);
  }

  /** Blocking (reads {@code /proc}): call on a worker, after {@link #startSample()} returned true. */
  void sample() {
    try {
      // Looked up here, on a worker: the first lookup starts the platform MBeans, which can take most of a second.
      OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
      if (os instanceof UnixOperatingSystemMXBean unix) {
        admittedSinceSample.set(0);
        openAtSample = unix.getOpenFileDescriptorCount();
        maxAtSample = unix.getMaxFileDescriptorCount();
      }
    } finally {
      lastSampleNanos = nanoTime.getAsLong();
      sampling.set(false);
    }
  }
}
