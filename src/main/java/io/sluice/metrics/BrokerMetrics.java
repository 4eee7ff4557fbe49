package io.sluice.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.api.TopicPartition;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The request meters on the produce and fetch paths: per partition traffic ({@link PartitionMeters}, created on a
 * partition's first request and kept), and per request kind a latency timer (rate from its count, quantiles over
 * a sliding minute) and an error counter. Thread-safe; the recording methods allocate nothing once a partition's
 * meters exist.
 */
final class BrokerMetrics {
  /** Quantiles published for request latency, over a sliding window of {@link #QUANTILE_WINDOW}. */
  static final double[] QUANTILES = {0.5, 0.95, 0.99};
  static final Duration QUANTILE_WINDOW = Duration.ofMinutes(1);

  private final MeterRegistry registry;
  private final Map<TopicPartition, PartitionMeters> partitions = new ConcurrentHashMap<>();
  final Timer produceLatency;
  final Timer fetchLatency;
  final Counter produceErrors;
  final Counter fetchErrors;

  BrokerMetrics(MeterRegistry registry) {
    this.registry = registry;
    produceLatency = latency(registry, "produce");
    fetchLatency = latency(registry, "fetch");
    produceErrors = errors(registry, "produce");
    fetchErrors = errors(registry, "fetch");
  }

  private static Timer latency(MeterRegistry registry, String request) {
    return Timer.builder("sluice.request.latency").tag("request", request)
        .description("Time from a request reaching the broker service to its answer (a fetch includes its wait)")
        .publishPercentiles(QUANTILES).distributionStatisticExpiry(QUANTILE_WINDOW).distributionStatisticBufferLength(3)
        .register(registry);
  }

  private static Counter errors(MeterRegistry registry, String request) {
    return Counter.builder("sluice.request.errors").tag("request", request)
        .description("Requests answered with an error").register(registry);
  }

  PartitionMeters partition(TopicPartition tp) {
    PartitionMeters m = partitions.get(tp);
    return m != null ? m : partitions.computeIfAbsent(tp, p -> new PartitionMeters(registry, p));
  }

  void produced(TopicPartition tp, long bytes, long records, long startNanos) {
    PartitionMeters m = partition(tp);
    m.bytesIn.increment(bytes);
    m.recordsIn.increment(records);
    produceLatency.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  void fetched(TopicPartition tp, long bytes, long offsets, long startNanos) {
    PartitionMeters m = partition(tp);
    m.bytesOut.increment(bytes);
    m.recordsOut.increment(offsets);
    fetchLatency.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  Collection<PartitionMeters> partitions() {
    return partitions.values();
  }

  /** Drops the meters of partitions of topics not in {@code liveTopics} (deleted topics). */
  void retainTopics(Set<String> liveTopics) {
    partitions.values().removeIf(m -> {
      if (liveTopics.contains(m.tp.topic())) {
        return false;
      }
      m.all().forEach(registry::remove);
      return true;
    });
  }
}
