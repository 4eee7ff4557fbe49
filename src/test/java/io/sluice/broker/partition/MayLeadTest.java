package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.metadata.PartitionState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A restarted leader must not lead on at the epoch it was given before its restart (history.md, fault runs 3). */
class MayLeadTest {
  private static final List<Integer> REPLICAS = List.of(1, 2, 3);

  @Test
  void aLeaderRecordedAtAnotherBrokerEpochMayNotLeadEvenAfterALaterIsrWrite() {
    // Elected at epoch 100, restarted (150), then its old process's ISR shrink landed at zxid 300.
    PartitionState s = new PartitionState(1, 4, List.of(1, 2), 7, 300, Map.of(1, 100L, 2, 60L));
    assertThat(PartitionManager.mayLead(REPLICAS, s, 1, 150)).isFalse();
    assertThat(PartitionManager.mayLead(REPLICAS, s, 1, 100)).isTrue();
  }

  @Test
  void withoutARecordedEpochTheStatesLastWriteDecides() {
    PartitionState s = new PartitionState(1, 4, List.of(1, 2), 7, 300, Map.of(2, 60L));
    assertThat(PartitionManager.mayLead(REPLICAS, s, 1, 150)).isTrue();
    assertThat(PartitionManager.mayLead(REPLICAS, s, 1, 350)).isFalse();
    assertThat(PartitionManager.mayLead(List.of(1), s, 1, 350)).as("unreplicated").isTrue();
  }
}
