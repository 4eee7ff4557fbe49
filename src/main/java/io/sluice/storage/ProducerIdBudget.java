package io.sluice.storage;

import java.util.Collection;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The idempotent producers all of one broker's partition logs remember, against {@code producer.id.max.per.broker}.
 * {@code producer.id.max.per.partition} alone bounds nothing per broker: some 220 bytes a producer, 20,000 of them on
 * each of 225 partitions a client creates take a gigabyte of heap, for a few hundred megabytes of 70-byte batches.
 *
 * <p>The count is summed over the open logs' published counts when it is asked, which a leader does only for a
 * request that adds a producer it does not know, and a follower only when it remembers a new one: nothing is added
 * to an append of known producers. Any thread: the counts are volatile; a sum racing appends is off by what they add
 * meanwhile, which the bound tolerates.
 */
final class ProducerIdBudget {
  private final Supplier<Collection<LocalPartitionLog>> logs;
  /** How old the count {@link #fullAsOfLately} goes by may be. */
  static final long CACHE_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(10);
  private volatile int max = Integer.MAX_VALUE;
  private volatile long lately = Long.MIN_VALUE;
  private volatile long latelyAtNanos;
  private volatile LongSupplier nanoTime = System::nanoTime;

  ProducerIdBudget(Supplier<Collection<LocalPartitionLog>> logs) {
    this.logs = logs;
  }

  /** A budget of no bound, for a tracker not counted with the others (a rebuild's look into older segments). */
  static ProducerIdBudget unbounded() {
    return new ProducerIdBudget(java.util.List::of);
  }

  int max() {
    return max;
  }

  void max(int max) {
    if (max <= 0) {
      throw new IllegalArgumentException("producer.id.max.per.broker must be positive: " + max);
    }
    this.max = max;
  }

  /** Whether remembering {@code adding} more producers would pass the bound. */
  boolean full(int adding) {
    return max != Integer.MAX_VALUE && held() + adding > max;
  }

  /**
   * As {@link #full(int) full(1)}, with a count at most {@link #CACHE_NANOS} old: for a follower's or a rebuild's
   * every new producer, where a fresh sum over the logs each time would make a restart's rebuild quadratic.
   */
  boolean fullAsOfLately() {
    if (max == Integer.MAX_VALUE) {
      return false;
    }
    long now = nanoTime.getAsLong();
    if (lately == Long.MIN_VALUE || now - latelyAtNanos > CACHE_NANOS) {
      lately = held();
      latelyAtNanos = now;
    }
    return lately + 1 > max;
  }

  /** For tests: the clock {@link #fullAsOfLately} ages its count by. */
  void clock(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  /** The producers the open logs remember now. */
  int held() {
    long sum = 0;
    for (LocalPartitionLog log : logs.get()) {
      sum += log.producersHeld();
    }
    return (int) Math.min(sum, Integer.MAX_VALUE);
  }
}
