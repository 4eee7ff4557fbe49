package io.sluice.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionState;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A broker that restarted quicker than its session timeout is never seen dead, so the controller finds restarts by
 * zxids: an ISR member registered after the partition state was last written restarted since, and is handled as
 * failed once. Found by the fault checker (FaultsIT seed 2): a leader killed and restarted within the session led on
 * at its old epoch with a torn tail; followers kept the acknowledged record it had lost and the replicas diverged.
 */
class ControllerRestartTest {
  private static final List<Integer> REPLICAS = List.of(1, 2, 3);
  private static final long STATE_WRITTEN = 100;

  private static MetadataSnapshot registered(Map<Integer, Long> zxids) {
    return new MetadataSnapshot(Map.of(), Map.of(), zxids);
  }

  private static PartitionState state(int leader, List<Integer> isr) {
    return new PartitionState(leader, 4, isr, 7, STATE_WRITTEN);
  }

  @Test
  void isrMembersRegisteredAfterTheStateWasWrittenHaveRestarted() {
    MetadataSnapshot s = registered(Map.of(1, 150L, 2, 50L, 3, 120L));
    assertThat(Controller.restartedInIsr(REPLICAS, state(1, List.of(1, 2)), s)).containsExactly(1);
    assertThat(Controller.restartedInIsr(REPLICAS, state(1, List.of(1, 2, 3)), s)).containsExactlyInAnyOrder(1, 3);
    assertThat(Controller.restartedInIsr(List.of(1), state(1, List.of(1)), s)).as("unreplicated").isEmpty();
    assertThat(Controller.restartedInIsr(REPLICAS, new PartitionState(1, 4, List.of(1, 2), 7), s))
        .as("zxid unknown").isEmpty();
  }

  @Test
  void aRestartedLeaderIsReplacedByAnotherIsrMemberAtANewEpoch() {
    PartitionState next = Controller.decideAfterRestart(REPLICAS, state(1, List.of(1, 2, 3)), Set.of(1, 2, 3),
        Set.of(1), false);
    assertThat(next).isEqualTo(new PartitionState(2, 5, List.of(2, 3), 7));
  }

  @Test
  void aRestartedLeaderWithoutAnotherLiveIsrMemberLeadsAgainAtANewEpochEvenIfUncleanElectionIsOn() {
    PartitionState next = Controller.decideAfterRestart(REPLICAS, state(1, List.of(1, 2)), Set.of(1, 3),
        Set.of(1), true);
    assertThat(next).isEqualTo(new PartitionState(1, 5, List.of(1), 7));
  }

  @Test
  void aRestartedFollowerLeavesTheIsrWithoutAnEpochChange() {
    PartitionState next = Controller.decideAfterRestart(REPLICAS, state(1, List.of(1, 2, 3)), Set.of(1, 2, 3),
        Set.of(3), false);
    assertThat(next).isEqualTo(new PartitionState(1, 4, List.of(1, 2), 7));
  }

  @Test
  void anOfflinePartitionsLastIsrMemberIsElectedWhenItComesBackRestarted() {
    PartitionState offline = new PartitionState(-1, 7, List.of(1), 9, STATE_WRITTEN);
    assertThat(Controller.decideAfterRestart(REPLICAS, offline, Set.of(1, 2, 3), Set.of(1), false))
        .isEqualTo(new PartitionState(1, 8, List.of(1), 9));
  }

  @Test
  void whenEveryLiveIsrMemberRestartedTheFirstInAssignmentOrderLeadsWithTheOthersInSync() {
    PartitionState s = state(2, List.of(3, 2, 1));
    assertThat(Controller.decideAfterRestart(REPLICAS, s, Set.of(1, 2, 3), Set.of(1, 2, 3), false))
        .isEqualTo(new PartitionState(1, 5, List.of(1, 2, 3), 7));
  }
}
