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

  private static Controller.Candidates live(Integer... ids) {
    return Controller.Candidates.of(Set.of(ids));
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

  /**
   * The hole broker epochs close: 3 was recorded in sync at epoch 120, restarted (registration 150), and the leader's
   * ISR expansion of 2 (zxid 200) landed before the controller decided; by the last write alone 3 looks older than
   * the state.
   */
  @Test
  void aMemberWhoseRestartALaterIsrWriteOfAnotherMemberWouldMaskIsStillRestarted() {
    PartitionState expanded = new PartitionState(1, 4, List.of(1, 3, 2), 8, 200, Map.of(1, 90L, 3, 120L, 2, 160L));
    MetadataSnapshot s = registered(Map.of(1, 90L, 2, 160L, 3, 150L));

    assertThat(Controller.restartedInIsr(REPLICAS, expanded, s)).containsExactly(3);
    assertThat(Controller.decideAfterRestart(REPLICAS, expanded, live(1, 2, 3), Set.of(3), false))
        .isEqualTo(new PartitionState(1, 4, List.of(1, 2), 8));
  }

  @Test
  void aRestartedLeaderWhoseRestartWouldBeMaskedIsReplacedAtANewEpoch() {
    PartitionState shrunk = new PartitionState(1, 4, List.of(1, 2), 8, 200, Map.of(1, 90L, 2, 60L));
    MetadataSnapshot s = registered(Map.of(1, 150L, 2, 60L, 3, 70L));

    assertThat(Controller.restartedInIsr(REPLICAS, shrunk, s)).containsExactly(1);
  }

  @Test
  void membersWithoutARecordedEpochKeepTheLastWriteRule() {
    PartitionState mixed = new PartitionState(1, 4, List.of(1, 2, 3), 8, STATE_WRITTEN, Map.of(1, 90L));
    MetadataSnapshot s = registered(Map.of(1, 90L, 2, 150L, 3, 50L));
    assertThat(Controller.restartedInIsr(REPLICAS, mixed, s)).containsExactly(2);
  }

  @Test
  void aDeadMemberWithARecordedEpochIsNotRestartedUntilItRegistersAgain() {
    PartitionState offline = new PartitionState(-1, 7, List.of(1), 9, STATE_WRITTEN, Map.of(1, 90L));
    assertThat(Controller.restartedInIsr(REPLICAS, offline, registered(Map.of(2, 60L)))).isEmpty();
    assertThat(Controller.restartedInIsr(REPLICAS, offline, registered(Map.of(1, 95L)))).containsExactly(1);
  }

  @Test
  void theControllersWritesRecordEachMembersCurrentEpochAndKeepADeadMembersRecordedOne() {
    PartitionState current = new PartitionState(1, 4, List.of(1, 2, 3), 8, STATE_WRITTEN, Map.of(1, 90L, 3, 30L));
    PartitionState next = new PartitionState(-1, 5, List.of(1, 2, 3), 8);
    MetadataSnapshot s = registered(Map.of(2, 60L));

    assertThat(Controller.withCurrentEpochs(next, current, s).isrEpochs())
        .as("2 registered now, 1 and 3 dead: 3's recorded epoch is kept").isEqualTo(Map.of(1, 90L, 2, 60L, 3, 30L));
  }

  @Test
  void everyRestartedMemberKeptInTheIsrIsRecordedAtItsNewEpochSoItIsHandledOnlyOnce() {
    PartitionState s = new PartitionState(2, 4, List.of(2, 1), 7, STATE_WRITTEN, Map.of(1, 10L, 2, 20L));
    MetadataSnapshot snapshot = registered(Map.of(1, 110L, 2, 120L, 3, 30L));
    PartitionState next = Controller.withCurrentEpochs(
        Controller.decideAfterRestart(REPLICAS, s, live(1, 2, 3), Set.of(1, 2), false), s, snapshot);

    assertThat(next.leader()).isEqualTo(1);
    assertThat(next.isrEpochs()).isEqualTo(Map.of(1, 110L, 2, 120L));
    PartitionState written = new PartitionState(next.leader(), next.leaderEpoch(), next.isr(), 8, 300,
        next.isrEpochs());
    assertThat(Controller.restartedInIsr(REPLICAS, written, snapshot)).isEmpty();
  }

  @Test
  void aRestartedLeaderIsReplacedByAnotherIsrMemberAtANewEpoch() {
    PartitionState next = Controller.decideAfterRestart(REPLICAS, state(1, List.of(1, 2, 3)), live(1, 2, 3),
        Set.of(1), false);
    assertThat(next).isEqualTo(new PartitionState(2, 5, List.of(2, 3), 7));
  }

  @Test
  void aRestartedLeaderWithoutAnotherLiveIsrMemberLeadsAgainAtANewEpochEvenIfUncleanElectionIsOn() {
    PartitionState next = Controller.decideAfterRestart(REPLICAS, state(1, List.of(1, 2)), live(1, 3),
        Set.of(1), true);
    assertThat(next).isEqualTo(new PartitionState(1, 5, List.of(1), 7));
  }

  @Test
  void aRestartedFollowerLeavesTheIsrWithoutAnEpochChange() {
    PartitionState next = Controller.decideAfterRestart(REPLICAS, state(1, List.of(1, 2, 3)), live(1, 2, 3),
        Set.of(3), false);
    assertThat(next).isEqualTo(new PartitionState(1, 4, List.of(1, 2), 7));
  }

  @Test
  void anOfflinePartitionsLastIsrMemberIsElectedWhenItComesBackRestarted() {
    PartitionState offline = new PartitionState(-1, 7, List.of(1), 9, STATE_WRITTEN);
    assertThat(Controller.decideAfterRestart(REPLICAS, offline, live(1, 2, 3), Set.of(1), false))
        .isEqualTo(new PartitionState(1, 8, List.of(1), 9));
  }

  @Test
  void whenEveryLiveIsrMemberRestartedTheFirstInAssignmentOrderLeadsWithTheOthersInSync() {
    PartitionState s = state(2, List.of(3, 2, 1));
    assertThat(Controller.decideAfterRestart(REPLICAS, s, live(1, 2, 3), Set.of(1, 2, 3), false))
        .isEqualTo(new PartitionState(1, 5, List.of(1, 2, 3), 7));
  }
}
