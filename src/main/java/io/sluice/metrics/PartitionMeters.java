package io.sluice.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.sluice.api.TopicPartition;
import java.util.List;

/**
 * The traffic counters of one partition, resolved once and kept, so that a produce or fetch costs a map lookup and
 * a few adds (no allocation, no registry lookup). Thread-safe (Micrometer counters are adders).
 */
final class PartitionMeters {
  final TopicPartition tp;
  final Counter bytesIn;
  final Counter recordsIn;
  final Counter bytesOut;
  final Counter recordsOut;

  PartitionMeters(MeterRegistry registry, TopicPartition tp) {
    this.tp = tp;
    Tags tags = Tags.of("topic", tp.topic(), "partition", Integer.toString(tp.partition()));
    bytesIn = counter(registry, "sluice.partition.incoming.bytes", "bytes", tags,
        "Bytes of record batches produced to the partition through this broker");
    recordsIn = counter(registry, "sluice.partition.incoming.records", "records", tags,
        "Records produced to the partition through this broker");
    bytesOut = counter(registry, "sluice.partition.outgoing.bytes", "bytes", tags,
        "Bytes of record batches fetched from the partition through this broker");
    recordsOut = counter(registry, "sluice.partition.outgoing.records", "records", tags,
        "Offsets fetched from the partition through this broker (records, plus gaps left by compaction)");
  }

  private static Counter counter(MeterRegistry registry, String name, String unit, Tags tags, String help) {
    return Counter.builder(name).baseUnit(unit).tags(tags).description(help).register(registry);
  }

  List<Counter> all() {
    return List.of(bytesIn, recordsIn, bytesOut, recordsOut);
  }
}
