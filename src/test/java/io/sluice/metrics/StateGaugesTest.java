package io.sluice.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.metadata.TopicState;
import io.sluice.broker.partition.ReplicaStats;
import io.sluice.api.TopicPartition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StateGaugesTest {
  private static final int ME = 1;

  private static MetadataSnapshot snapshot(PartitionState p0, int... live) {
    TopicState t = new TopicState("t", "id-1", 3, Map.of(), Map.of(0, List.of(1, 2, 3)), Map.of(0, p0));
    Map<Integer, BrokerRegistration> brokers = new java.util.HashMap<>();
    for (int id : live) {
      brokers.put(id, new BrokerRegistration(id, "127.0.0.1", 8080 + id, "node-" + id, "dir-" + id));
    }
    return new MetadataSnapshot(Map.of("t", t), brokers);
  }

  @Test
  void countsIsrShrinksExpansionsAndLeadershipsWonByThisBroker() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    StateGauges g = new StateGauges(registry, ME);
    g.onMetadata(snapshot(new PartitionState(2, 0, List.of(1, 2, 3), 0), 1, 2, 3));
    g.onMetadata(snapshot(new PartitionState(1, 1, List.of(1, 2, 3), 1), 1, 2, 3));
    g.onMetadata(snapshot(new PartitionState(1, 1, List.of(1, 2), 2), 1, 2, 3));
    g.onMetadata(snapshot(new PartitionState(1, 1, List.of(1, 2, 3), 3), 1, 2, 3));
    g.onMetadata(snapshot(new PartitionState(2, 2, List.of(2, 3), 4), 2, 3));
    g.onMetadata(snapshot(new PartitionState(2, 2, List.of(2), 5), 2, 3));
    assertThat(g.changeCounts()).containsEntry("leader_elections", 1.0).containsEntry("isr_shrinks", 1.0)
        .containsEntry("isr_expansions", 1.0);
    assertThat(registry.get("sluice.isr.shrinks").counter().count()).isEqualTo(1.0);
  }

  @Test
  void underReplicatedCountsLedPartitionsAndOfflineOnlyOnTheController() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    StateGauges g = new StateGauges(registry, ME);
    ReplicaStats r = new ReplicaStats(new TopicPartition("t", 0), true, 2, 10, 9, 4096);
    g.refresh(List.of(r), snapshot(new PartitionState(1, 0, List.of(1, 2), 0), 1, 2, 3), false);
    assertThat(registry.get("sluice.partitions.under.replicated").gauge().value()).isEqualTo(1.0);
    assertThat(registry.get("sluice.partition.log.size").tag("topic", "t").gauge().value()).isEqualTo(4096.0);
    assertThat(registry.get("sluice.partition.high.watermark").gauge().value()).isEqualTo(9.0);
    g.refresh(List.of(), snapshot(new PartitionState(3, 0, List.of(3), 0), 1, 2), false);
    assertThat(registry.get("sluice.partitions.offline").gauge().value()).isZero();
    g.refresh(List.of(), snapshot(new PartitionState(3, 0, List.of(3), 0), 1, 2), true);
    assertThat(registry.get("sluice.partitions.offline").gauge().value()).isEqualTo(1.0);
    assertThat(registry.find("sluice.partition.log.size").gauges()).isEmpty();
  }
}
