package io.sluice.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.cluster.Controller.Step;
import io.sluice.broker.metadata.PartitionReassignment;
import io.sluice.broker.metadata.PartitionState;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The controller's plan for a reassignment in progress: wait until every target replica is live and in the ISR, move
 * leadership into the target when the leader leaves, then complete with the removed replicas out of the ISR.
 */
class ReassignmentStepTest {
  /** [1, 2] to [2, 3]: replicas [2, 3, 1] while it lasts. */
  private static final List<Integer> REPLICAS = List.of(2, 3, 1);
  private static final PartitionReassignment MOVE = new PartitionReassignment(List.of(3), List.of(1));
  private static final Set<Integer> ALL_LIVE = Set.of(1, 2, 3);

  @Test
  void itWaitsUntilEveryTargetReplicaIsInSync() {
    PartitionState catchingUp = new PartitionState(1, 4, List.of(1, 2), 7);
    assertThat(Controller.reassignmentStep(REPLICAS, MOVE, catchingUp, ALL_LIVE)).isEqualTo(Step.WAIT);
    PartitionState targetMemberOut = new PartitionState(1, 4, List.of(1, 3), 7);
    assertThat(Controller.reassignmentStep(REPLICAS, MOVE, targetMemberOut, ALL_LIVE))
        .as("2, kept, is out of sync: completing would leave a smaller ISR than the target").isEqualTo(Step.WAIT);
  }

  @Test
  void aLeaderTheTargetLeavesOutHandsLeadershipToTheFirstTargetReplicaFirst() {
    PartitionState inSync = new PartitionState(1, 4, List.of(1, 2, 3), 7);
    assertThat(Controller.reassignmentStep(REPLICAS, MOVE, inSync, ALL_LIVE)).isEqualTo(Step.MOVE_LEADER);
    assertThat(Controller.leaderIntoTarget(MOVE.target(REPLICAS), inSync, Controller.Candidates.of(ALL_LIVE)))
        .isEqualTo(new PartitionState(2, 5, List.of(1, 2, 3), 7));
  }

  @Test
  void withTheLeaderInTheTargetItCompletesWithoutTheRemovedReplicas() {
    PartitionState moved = new PartitionState(2, 5, List.of(1, 2, 3), 8);
    assertThat(Controller.reassignmentStep(REPLICAS, MOVE, moved, ALL_LIVE)).isEqualTo(Step.COMPLETE);
    assertThat(Controller.completedState(MOVE.target(REPLICAS), moved))
        .as("same leader and epoch").isEqualTo(new PartitionState(2, 5, List.of(2, 3), 8));
  }

  @Test
  void aDeadTargetReplicaOrLeaderWaits() {
    PartitionState moved = new PartitionState(2, 5, List.of(1, 2, 3), 8);
    assertThat(Controller.reassignmentStep(REPLICAS, MOVE, moved, Set.of(1, 2))).isEqualTo(Step.WAIT);
    assertThat(Controller.reassignmentStep(REPLICAS, MOVE, moved, Set.of(1, 3))).isEqualTo(Step.WAIT);
  }

  @Test
  void aReplicaDroppedFromTheAssignmentLeavesTheIsrAndLeadershipAsADeadOneWould() {
    // a cancelled move whose leader was 3, being added: replicas back to [1, 2], 3 counts as not alive for them
    PartitionState s = new PartitionState(3, 6, List.of(1, 2, 3), 9);
    assertThat(Controller.decide(List.of(1, 2), s, Controller.Candidates.of(Set.of(1, 2)), false))
        .isEqualTo(new PartitionState(1, 7, List.of(1, 2), 9));
  }
}
