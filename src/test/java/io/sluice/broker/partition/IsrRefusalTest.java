package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataSnapshot;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which caught-up follower the leader lets into the ISR (KIP-841): only a broker registered, started, not in
 * controlled shutdown, and in the incarnation (broker epoch) that fetched.
 */
class IsrRefusalTest {
  private static final long EPOCH = 200;
  private static final BrokerRegistration STARTED = new BrokerRegistration(2, "127.0.0.1", 1, "node", "dir");

  @Test
  void aStartedBrokerFetchingInItsRegisteredIncarnationMayJoin() {
    assertThat(PartitionManager.isrRefusal(snapshot(STARTED), 2, EPOCH)).isNull();
  }

  @Test
  void aBrokerStillStartingMayNot() {
    assertThat(PartitionManager.isrRefusal(snapshot(STARTED.withStarting(true)), 2, EPOCH))
        .contains("has not finished starting");
  }

  @Test
  void aBrokerInControlledShutdownMayNot() {
    assertThat(PartitionManager.isrRefusal(snapshot(STARTED.stopping()), 2, EPOCH)).contains("controlled shutdown");
  }

  @Test
  void aFetchOfAnotherIncarnationMayNot() {
    assertThat(PartitionManager.isrRefusal(snapshot(STARTED), 2, EPOCH - 50)).contains("broker epoch 150");
    assertThat(PartitionManager.isrRefusal(snapshot(STARTED), 2, -1)).contains("broker epoch -1");
  }

  @Test
  void anUnregisteredBrokerMayNot() {
    assertThat(PartitionManager.isrRefusal(new MetadataSnapshot(Map.of(), Map.of()), 2, EPOCH))
        .contains("not registered");
  }

  private static MetadataSnapshot snapshot(BrokerRegistration reg) {
    return new MetadataSnapshot(Map.of(), Map.of(2, reg), Map.of(2, EPOCH));
  }
}
