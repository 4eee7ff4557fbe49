package io.sluice.http;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Estimates how many file descriptors the process has free, so new connections can be refused at accept before
 * the process runs out (when it does, nothing can be accepted, opened or answered, not even /health).
 *
 * <p>Counting open descriptors lists {@code /proc/self/fd}, which takes milliseconds at tens of thousands of
 * descriptors, so {@link #sample()} runs on a worker every {@link #SAMPLE_INTERVAL_MS} and accept-time checks add
 * the connections admitted since the last sample. Where the JVM cannot count descriptors (not Unix) the gauge never
 * refuses. Thread-safe.
 */
final class FileDescriptorGauge {
  static final long SAMPLE_INTERVAL_MS = 100;
  private final int minFree;
  private final AtomicLong admittedSinceSample = new AtomicLong();
  private final AtomicBoolean sampling = new AtomicBoolean();
  private volatile long maxAtSample = -1;
  private volatile long openAtSample;

  FileDescriptorGauge(int minFree) {
    this.minFree = minFree;
  }

  /** True when admitting one more connection would leave fewer than the reserve free. */
  boolean tooFewFree() {
    long max = maxAtSample;
    return max >= 0 && max - (openAtSample + admittedSinceSample.get() + 1) < minFree;
  }

  void admitted() {
    admittedSinceSample.incrementAndGet();
  }

  /** Claims the next sample; false when one is running already. */
  boolean startSample() {
    return sampling.compareAndSet(false, true);
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
      sampling.set(false);
    }
  }
}
