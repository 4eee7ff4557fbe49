package io.sluice.broker.partition;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The broker's budget for its leaders' {@link RecentAppends} ({@code replica.fetch.cache.max.bytes}, over all its
 * partitions: memory is the broker's), and where its leaders' answers to follower fetches came from: the append that
 * woke a caught-up follower, the recent appends kept for one behind the log end, or a storage read. It knows which
 * partitions hold some of it, so that one finding it full can take room from the largest. Thread-safe: the partitions
 * reserve and release from their own event loops.
 */
public final class FollowerFetchCache implements MeterBinder {
  /** {@code replica.fetch.cache.max.bytes}' default (BrokerConfig's): some 280 appends of the replication benchmark. */
  public static final long DEFAULT_MAX_BYTES = 32L << 20;
  private final long maxBytes;
  private final AtomicLong bytes = new AtomicLong();
  private final Set<RecentAppends> holders = ConcurrentHashMap.newKeySet();
  private final LongAdder fromAppend = new LongAdder();
  private final LongAdder fromRecent = new LongAdder();
  private final LongAdder fromStorage = new LongAdder();

  /** A budget of {@code maxBytes} (0: nothing is kept, every fetch behind the log end reads storage). */
  public FollowerFetchCache(long maxBytes) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes must be >= 0, got " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  boolean enabled() {
    return maxBytes > 0;
  }

  /** Takes {@code n} bytes of the budget, or none and false when they do not fit. */
  boolean tryReserve(int n) {
    long now;
    do {
      now = bytes.get();
      if (now + n > maxBytes) {
        return false;
      }
    } while (!bytes.compareAndSet(now, now + n));
    return true;
  }

  void release(int n) {
    bytes.addAndGet(-n);
  }

  void holds(RecentAppends holder) {
    holders.add(holder);
  }

  void holdsNothing(RecentAppends holder) {
    holders.remove(holder);
  }

  /** The partition holding the most of the budget but {@code self}, or null when no other holds any. */
  RecentAppends largestHolderOtherThan(RecentAppends self) {
    RecentAppends largest = null;
    for (RecentAppends h : holders) {
      if (h != self && (largest == null || h.bytes() > largest.bytes())) {
        largest = h;
      }
    }
    return largest;
  }

  void answeredFromAppend() {
    fromAppend.increment();
  }

  void answeredFromRecent() {
    fromRecent.increment();
  }

  void answeredFromStorage() {
    fromStorage.increment();
  }

  /** Bytes the broker's leaders hold for their followers now. */
  public long bytes() {
    return bytes.get();
  }

  public long maxBytes() {
    return maxBytes;
  }

  /** Follower fetches with batches answered from the append that woke them. */
  public long fromAppend() {
    return fromAppend.sum();
  }

  /** Follower fetches behind the log end answered from the recent appends kept in memory. */
  public long fromRecent() {
    return fromRecent.sum();
  }

  /** Follower fetches with batches answered by a storage read. */
  public long fromStorage() {
    return fromStorage.sum();
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    String name = "sluice.replica.fetch.answers";
    String description = "Follower fetches with batches this broker answered as leader, by where the bytes came from";
    FunctionCounter.builder(name, fromAppend, LongAdder::sum).tag("source", "append").description(description)
        .register(registry);
    FunctionCounter.builder(name, fromRecent, LongAdder::sum).tag("source", "recent").description(description)
        .register(registry);
    FunctionCounter.builder(name, fromStorage, LongAdder::sum).tag("source", "storage").description(description)
        .register(registry);
    Gauge.builder("sluice.replica.fetch.cache.bytes", bytes, AtomicLong::get).baseUnit("bytes")
        .description("Bytes of recent appends this broker's leaders keep for followers behind their log end")
        .register(registry);
  }
}
