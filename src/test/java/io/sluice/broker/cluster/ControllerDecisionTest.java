package io.sluice.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.metadata.PartitionState;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ControllerDecisionTest {
  private static final List<Integer> REPLICAS = List.of(1, 2, 3);

  private static PartitionState decide(PartitionState s, Set<Integer> live, boolean unclean) {
    return Controller.decide(REPLICAS, s, live, unclean, true);
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

  @Test
  void preferredReplicaInSyncGetsLeadershipBack() {
    assertThat(decide(new PartitionState(2, 2, List.of(2, 3, 1), 3), Set.of(1, 2, 3), false))
        .isEqualTo(new PartitionState(1, 3, List.of(2, 3, 1), 3));
    assertThat(decide(new PartitionState(2, 2, List.of(2, 3), 3), Set.of(1, 2, 3), false))
        .as("not while it is out of sync").isNull();
  }

  @Test
  void aLeaderInControlledShutdownHandsLeadershipToTheFirstLiveInSyncReplicaNotStoppingAndKeepsTheIsr() {
    PartitionState led = new PartitionState(1, 4, List.of(1, 2, 3), 7);
    assertThat(Controller.leaderOffLeaving(REPLICAS, led, Set.of(1, 2, 3), Set.of(1)))
        .isEqualTo(new PartitionState(2, 5, List.of(1, 2, 3), 7));
    assertThat(Controller.leaderOffLeaving(REPLICAS, led, Set.of(1, 2, 3), Set.of(1, 2)))
        .as("not to another broker stopping").isEqualTo(new PartitionState(3, 5, List.of(1, 2, 3), 7));
    assertThat(Controller.leaderOffLeaving(REPLICAS, led, Set.of(1, 2, 3), Set.of(2))).as("leader not stopping")
        .isNull();
  }

  @Test
  void aLeaderInControlledShutdownWithNoOtherLiveInSyncReplicaKeepsLeading() {
    assertThat(Controller.leaderOffLeaving(REPLICAS, new PartitionState(1, 4, List.of(1), 7), Set.of(1, 2, 3),
        Set.of(1))).as("the others are out of sync").isNull();
    assertThat(Controller.leaderOffLeaving(REPLICAS, new PartitionState(1, 4, List.of(1, 2), 7), Set.of(1, 3),
        Set.of(1))).as("the in-sync one is dead").isNull();
    assertThat(Controller.leaderOffLeaving(List.of(1), new PartitionState(1, 4, List.of(1), 7), Set.of(1, 2),
        Set.of(1))).as("one replica").isNull();
  }
}
