package io.sluice.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.metadata.PartitionState;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ControllerDecisionTest {
  private static final List<Integer> REPLICAS = List.of(1, 2, 3);

  private static PartitionState decide(PartitionState s, Set<Integer> live, boolean unclean) {
    return Controller.decide(REPLICAS, s, Controller.Candidates.of(live), unclean);
  }

  private static PartitionState leaderOffLeaving(List<Integer> replicas, PartitionState s, Set<Integer> live,
      Set<Integer> leaving) {
    return Controller.leaderOffLeaving(replicas, s, new Controller.Candidates(live, leaving));
  }

  private static PartitionState decide(PartitionState s, Set<Integer> live, Set<Integer> leaving, boolean unclean) {
    return Controller.decide(REPLICAS, s, new Controller.Candidates(live, leaving), unclean);
  }

  @Test
  void deadLeaderIsReplacedByTheFirstLiveIsrMemberWithTheEpochBumped() {
    PartitionState next = decide(new PartitionState(1, 4, List.of(1, 2, 3), 7), Set.of(2, 3), false);
    assertThat(next).isEqualTo(new PartitionState(2, 5, List.of(2, 3), 7));
  }

  @Test
  void replicaOutsideTheIsrIsElectedOnlyWhenUncleanElectionIsEnabled() {
    PartitionState s = new PartitionState(1, 4, List.of(1), 7);
    assertThat(decide(s, Set.of(3), false)).isEqualTo(new PartitionState(-1, 5, List.of(1), 7));
    assertThat(decide(s, Set.of(3), true)).isEqualTo(new PartitionState(3, 5, List.of(3), 7));
  }

  @Test
  void partitionWithoutLeaderWaitsForAnIsrMember() {
    PartitionState offline = new PartitionState(-1, 5, List.of(1), 8);
    assertThat(decide(offline, Set.of(3), false)).isNull();
    assertThat(decide(offline, Set.of(1, 3), false)).isEqualTo(new PartitionState(1, 6, List.of(1), 8));
  }

  @Test
  void deadFollowersLeaveTheIsrWithoutAnEpochChange() {
    assertThat(decide(new PartitionState(1, 2, List.of(1, 2, 3), 3), Set.of(1, 2), false))
        .isEqualTo(new PartitionState(1, 2, List.of(1, 2), 3));
  }

  /** Kafka's controller moves a live leader to the preferred replica only in its periodic check (ControllerRebalanceTest). */
  @Test
  void aLiveLeaderStaysWhenThePreferredReplicaIsBackInSync() {
    assertThat(decide(new PartitionState(2, 2, List.of(2, 3, 1), 3), Set.of(1, 2, 3), false)).isNull();
  }

  @Test
  void aLeaderInControlledShutdownHandsLeadershipToTheFirstLiveInSyncReplicaNotStoppingAndKeepsTheIsr() {
    PartitionState led = new PartitionState(1, 4, List.of(1, 2, 3), 7);
    assertThat(leaderOffLeaving(REPLICAS, led, Set.of(1, 2, 3), Set.of(1)))
        .isEqualTo(new PartitionState(2, 5, List.of(1, 2, 3), 7));
    assertThat(leaderOffLeaving(REPLICAS, led, Set.of(1, 2, 3), Set.of(1, 2)))
        .as("not to another broker stopping").isEqualTo(new PartitionState(3, 5, List.of(1, 2, 3), 7));
    assertThat(leaderOffLeaving(REPLICAS, led, Set.of(1, 2, 3), Set.of(2))).as("leader not stopping")
        .isNull();
  }

  @Test
  void aLeaderInControlledShutdownWithNoOtherLiveInSyncReplicaKeepsLeading() {
    assertThat(leaderOffLeaving(REPLICAS, new PartitionState(1, 4, List.of(1), 7), Set.of(1, 2, 3),
        Set.of(1))).as("the others are out of sync").isNull();
    assertThat(leaderOffLeaving(REPLICAS, new PartitionState(1, 4, List.of(1, 2), 7), Set.of(1, 3),
        Set.of(1))).as("the in-sync one is dead").isNull();
    assertThat(leaderOffLeaving(List.of(1), new PartitionState(1, 4, List.of(1), 7), Set.of(1, 2),
        Set.of(1))).as("one replica").isNull();
  }

  @Test
  void aDeadLeadersSuccessorIsTheFirstLiveInSyncReplicaNotInControlledShutdown() {
    PartitionState s = new PartitionState(1, 4, List.of(1, 2, 3), 7);
    assertThat(decide(s, Set.of(2, 3), Set.of(2), false)).isEqualTo(new PartitionState(3, 5, List.of(2, 3), 7));
    assertThat(decide(s, Set.of(2, 3), Set.of(2, 3), true)).as("every live one stopping: none, not even unclean")
        .isEqualTo(new PartitionState(-1, 5, List.of(1, 2, 3), 7));
  }

  @Test
  void anUncleanElectionNeitherChoosesAStoppingReplicaNorPassesOverAStoppingInSyncOne() {
    PartitionState s = new PartitionState(1, 4, List.of(1), 7);
    assertThat(decide(s, Set.of(2, 3), Set.of(2), true)).isEqualTo(new PartitionState(3, 5, List.of(3), 7));
    PartitionState stoppingInSync = new PartitionState(1, 4, List.of(1, 2), 7);
    assertThat(decide(stoppingInSync, Set.of(2, 3), Set.of(2), true)).as("2 holds every acknowledged record")
        .isEqualTo(new PartitionState(-1, 5, List.of(1, 2), 7));
  }

  @Test
  void thePreferredReplicaInControlledShutdownDoesNotGetLeadershipBack() {
    assertThat(decide(new PartitionState(2, 2, List.of(1, 2, 3), 3), Set.of(1, 2, 3), Set.of(1), false)).isNull();
  }

  @Test
  void aReassignmentMovesLeadershipToATargetReplicaNotInControlledShutdownOrWaits() {
    PartitionState s = new PartitionState(1, 4, List.of(1, 2, 3), 7);
    assertThat(Controller.leaderIntoTarget(List.of(2, 3), s, new Controller.Candidates(Set.of(1, 2, 3), Set.of(2))))
        .isEqualTo(new PartitionState(3, 5, List.of(1, 2, 3), 7));
    assertThat(Controller.leaderIntoTarget(List.of(2, 3), s, new Controller.Candidates(Set.of(1, 2, 3),
        Set.of(2, 3)))).isNull();
  }

  @Test
  void afterARestartTheSoleLiveInSyncReplicaInControlledShutdownDoesNotLead() {
    PartitionState s = new PartitionState(1, 4, List.of(1, 2), 7);
    assertThat(Controller.decideAfterRestart(REPLICAS, s, new Controller.Candidates(Set.of(1, 3), Set.of(1)),
        Set.of(1), false)).isEqualTo(new PartitionState(-1, 5, List.of(1), 7));
  }

  /** Kafka's KRaft controller elects no fenced broker; one still starting is Sluice's fenced broker. */
  @Test
  void noElectionChoosesABrokerStillStartingAndTheSoleInSyncOneLeadsOnceStarted() {
    PartitionState s = new PartitionState(1, 4, List.of(1, 2, 3), 7);
    Controller.Candidates twoStarting = new Controller.Candidates(Set.of(2, 3), Set.of(), Set.of(2));
    assertThat(Controller.decide(REPLICAS, s, twoStarting, false)).as("the next in-sync one")
        .isEqualTo(new PartitionState(3, 5, List.of(2, 3), 7));
    PartitionState soleInSync = new PartitionState(1, 4, List.of(1, 2), 7);
    PartitionState offline = Controller.decide(REPLICAS, soleInSync, twoStarting, true);
    assertThat(offline).as("offline, not unclean onto 3").isEqualTo(new PartitionState(-1, 5, List.of(1, 2), 7));
    assertThat(Controller.decide(REPLICAS, offline, twoStarting, true)).as("no write while it starts").isNull();
    assertThat(Controller.decide(REPLICAS, offline, Controller.Candidates.of(Set.of(2, 3)), true))
        .as("started").isEqualTo(new PartitionState(2, 6, List.of(2), 7));
  }

  @Test
  void afterARestartTheSoleLiveInSyncReplicaStillStartingDoesNotLead() {
    PartitionState s = new PartitionState(1, 4, List.of(1, 2), 7);
    assertThat(Controller.decideAfterRestart(REPLICAS, s, new Controller.Candidates(Set.of(1, 3), Set.of(),
        Set.of(1)), Set.of(1), false)).isEqualTo(new PartitionState(-1, 5, List.of(1), 7));
  }

  @Test
  void neitherAStoppingLeaderNorAReassignmentHandsLeadershipToABrokerStillStarting() {
    PartitionState led = new PartitionState(1, 4, List.of(1, 2, 3), 7);
    assertThat(Controller.leaderOffLeaving(REPLICAS, led, new Controller.Candidates(Set.of(1, 2, 3), Set.of(1),
        Set.of(2)))).isEqualTo(new PartitionState(3, 5, List.of(1, 2, 3), 7));
    assertThat(Controller.leaderIntoTarget(List.of(2, 3), led, new Controller.Candidates(Set.of(1, 2, 3), Set.of(),
        Set.of(2)))).isEqualTo(new PartitionState(3, 5, List.of(1, 2, 3), 7));
  }
}
