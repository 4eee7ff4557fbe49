package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataSnapshot;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** New replicas go to live brokers that are not stopping (Kafka places none on a broker in controlled shutdown). */
class PlaceableBrokersTest {
  private static BrokerRegistration broker(int id, String rack) {
    return new BrokerRegistration(id, "127.0.0.1", 8080 + id, "node-" + id, null, List.of(), rack);
  }

  @Test
  void aBrokerInControlledShutdownGetsNoNewReplicas() {
    MetadataSnapshot s = new MetadataSnapshot(Map.of(), Map.of(1, broker(1, "a"), 2, broker(2, "b").stopping(),
        3, broker(3, "c")));

    assertThat(LocalBrokerService.placeable(s, 1, "a")).containsOnlyKeys(1, 3).containsEntry(3, "c");
    assertThat(LocalBrokerService.placeable(s, 2, "b")).as("asked of the stopping broker itself")
        .containsOnlyKeys(1, 3);
  }

  @Test
  void thisBrokerCountsBeforeItsSnapshotShowsIt() {
    MetadataSnapshot s = new MetadataSnapshot(Map.of(), Map.of(1, broker(1, null)));

    assertThat(LocalBrokerService.placeable(s, 4, null)).containsOnlyKeys(1, 4);
  }
}
