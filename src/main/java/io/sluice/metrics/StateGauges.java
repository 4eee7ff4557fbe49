package io.sluice.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.metadata.TopicState;
import io.sluice.broker.partition.ReplicaStats;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToDoubleFunction;

/**
 * Gauges of the broker's state (its replicas' sizes and offsets, under-replicated and offline partitions, group lag)
 * refreshed by {@link #refresh} and {@link #lags}, and counters of the partition changes it sees in the metadata
 * (ISR shrinks and expansions, leaderships won), fed by {@link #onMetadata}. Thread-safe.
 */
final class StateGauges {
  private final int brokerId;
  private final MultiGauge logSize;
  private final MultiGauge logStart;
  private final MultiGauge logEnd;
  private final MultiGauge highWatermark;
  private final MultiGauge groupLag;
  private final AtomicInteger underReplicated = new AtomicInteger();
  private final AtomicInteger offline = new AtomicInteger();
  private final AtomicInteger leaderCount = new AtomicInteger();
  private final Counter isrShrinks;
  private final Counter isrExpansions;
  private final Counter leaderElections;
  /** The last snapshot {@link #onMetadata} saw; on the metadata context only. */
  private MetadataSnapshot previous;

  StateGauges(MeterRegistry registry, int brokerId) {
    this.brokerId = brokerId;
    logSize = multi(registry, "sluice.partition.log.size", "bytes", "Bytes of the partition's log on this broker");
    logStart = multi(registry, "sluice.partition.log.start.offset", null, "First offset of the replica's log");
    logEnd = multi(registry, "sluice.partition.log.end.offset", null, "Offset the replica's next record gets");
    highWatermark = multi(registry, "sluice.partition.high.watermark", null,
        "End offset consumers may read up to (partitions this broker leads)");
    groupLag = multi(registry, "sluice.consumer.group.lag", "records",
        "Records between a group's committed offset and the partition's end (groups this broker coordinates)");
    Gauge.builder("sluice.partitions.under.replicated", underReplicated, AtomicInteger::get)
        .description("Partitions this broker leads with fewer in-sync replicas than replicas").register(registry);
    Gauge.builder("sluice.partitions.offline", offline, AtomicInteger::get)
        .description("Partitions without a live leader (reported by the active controller only; 0 elsewhere)")
        .register(registry);
    Gauge.builder("sluice.partitions.leader", leaderCount, AtomicInteger::get)
        .description("Partitions this broker leads").register(registry);
    isrShrinks = Counter.builder("sluice.isr.shrinks").description("ISR shrinks of partitions this broker leads")
        .register(registry);
    isrExpansions = Counter.builder("sluice.isr.expansions")
        .description("ISR expansions of partitions this broker leads").register(registry);
    leaderElections = Counter.builder("sluice.leader.elections")
        .description("Partitions whose leadership moved to this broker").register(registry);
  }

  private static MultiGauge multi(MeterRegistry registry, String name, String unit, String help) {
    return MultiGauge.builder(name).baseUnit(unit).description(help).register(registry);
  }

  /** Reads the replicas' figures and the partition states again. */
  void refresh(List<ReplicaStats> replicas, MetadataSnapshot snapshot, boolean activeController) {
    logSize.register(rows(replicas, ReplicaStats::sizeBytes), true);
    logStart.register(rows(replicas, ReplicaStats::logStartOffset), true);
    logEnd.register(rows(replicas, ReplicaStats::logEndOffset), true);
    highWatermark.register(rows(replicas.stream().filter(ReplicaStats::leader).toList(),
        ReplicaStats::highWatermark), true);
    int under = 0;
    int off = 0;
    int led = 0;
    Set<Integer> live = snapshot.liveBrokerIds();
    for (TopicState t : snapshot.topics().values()) {
      for (Map.Entry<Integer, PartitionState> e : t.states().entrySet()) {
        PartitionState st = e.getValue();
        if (st.leader() == brokerId) {
          led++;
          if (st.isr().size() < t.assignment().getOrDefault(e.getKey(), List.of()).size()) {
            under++;
          }
        }
        if (st.leader() == PartitionState.NO_LEADER || !live.contains(st.leader())) {
          off++;
        }
      }
    }
    underReplicated.set(under);
    leaderCount.set(led);
    offline.set(activeController ? off : 0);
  }

  private static List<MultiGauge.Row<?>> rows(List<ReplicaStats> replicas, ToDoubleFunction<ReplicaStats> value) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>(replicas.size());
    for (ReplicaStats r : replicas) {
      rows.add(MultiGauge.Row.of(Tags.of("topic", r.tp().topic(), "partition", Integer.toString(r.tp().partition())),
          value.applyAsDouble(r)));
    }
    return rows;
  }

  /** Sets the lag gauges to {@code lags}: group → "topic/partition" → lag. */
  void lags(Map<String, Map<String, Long>> lags) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    lags.forEach((group, partitions) -> partitions.forEach((tp, lag) -> {
      int slash = tp.lastIndexOf('/');
      rows.add(MultiGauge.Row.of(Tags.of("group", group, "topic", tp.substring(0, slash), "partition",
          tp.substring(slash + 1)), lag));
    }));
    groupLag.register(rows, true);
  }

  /** Counts ISR changes and leaderships won between the previous snapshot and {@code next}. On one context. */
  void onMetadata(MetadataSnapshot next) {
    MetadataSnapshot before = previous;
    previous = next;
    if (before == null) {
      return;
    }
    for (TopicState t : next.topics().values()) {
      TopicState old = before.topics().get(t.name());
      if (old == null || !old.topicId().equals(t.topicId())) {
        continue;
      }
      t.states().forEach((p, st) -> {
        PartitionState was = old.states().get(p);
        if (was == null || st.leader() != brokerId) {
          return;
        }
        if (was.leader() != brokerId) {
          leaderElections.increment();
          return;
        }
        Set<Integer> oldIsr = new HashSet<>(was.isr());
        Set<Integer> newIsr = new HashSet<>(st.isr());
        if (!oldIsr.containsAll(newIsr)) {
          isrExpansions.increment();
        }
        if (!newIsr.containsAll(oldIsr)) {
          isrShrinks.increment();
        }
      });
    }
  }

  /** For tests: the counters' values. */
  Map<String, Double> changeCounts() {
    Map<String, Double> out = new HashMap<>();
    out.put("isr_shrinks", isrShrinks.count());
    out.put("isr_expansions", isrExpansions.count());
    out.put("leader_elections", leaderElections.count());
    return out;
  }
}
