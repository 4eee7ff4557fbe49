package io.sluice.broker.replication;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a leader answered to its followers' fetches, counted from broker start: fetches, how many carried no batches,
 * and the bytes of batches sent. Divided by the produce requests they show how many follower round trips one produce
 * costs, which is where replication's CPU goes (docs/benchmarks.md). Thread-safe; counted even before metrics start,
 * so the meters bound later see every fetch.
 */
public final class ReplicaFetchStats implements MeterBinder {
  private final LongAdder fetches = new LongAdder();
  private final LongAdder emptyFetches = new LongAdder();
  private final LongAdder bytes = new LongAdder();

  /** One fetch answered with {@code recordBytes} bytes of batches (0: nothing new, or an error). */
  public void answered(int recordBytes) {
    fetches.increment();
    if (recordBytes == 0) {
      emptyFetches.increment();
    } else {
      bytes.add(recordBytes);
    }
  }

  public long fetches() {
    return fetches.sum();
  }

  public long emptyFetches() {
    return emptyFetches.sum();
  }

  public long bytes() {
    return bytes.sum();
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    FunctionCounter.builder("sluice.replica.fetches.served", fetches, LongAdder::sum)
        .description("Follower fetches this broker answered as leader").register(registry);
    FunctionCounter.builder("sluice.replica.fetches.served.empty", emptyFetches, LongAdder::sum)
        .description("Follower fetches this broker answered as leader with no batches (waited out, or refused)")
        .register(registry);
    FunctionCounter.builder("sluice.replica.fetch.bytes.served", bytes, LongAdder::sum).baseUnit("bytes")
        .description("Bytes of batches this broker sent to followers as leader").register(registry);
  }
}
