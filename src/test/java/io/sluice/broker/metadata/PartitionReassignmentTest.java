package io.sluice.broker.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The replica sets of KIP-455: what a reassignment adds and removes, replaced and cancelled, and how it is stored. */
class PartitionReassignmentTest {
  @Test
  void aMoveListsTheTargetFirstThenTheReplicasLeaving() {
    PartitionReassignment.Planned p = PartitionReassignment.reassignTo(List.of(1, 2), null, List.of(2, 3));

    assertThat(p.replicas()).containsExactly(2, 3, 1);
    assertThat(p.reassignment().adding()).containsExactly(3);
    assertThat(p.reassignment().removing()).containsExactly(1);
    assertThat(p.reassignment().target(p.replicas())).containsExactly(2, 3);
    assertThat(p.reassignment().original(p.replicas())).containsExactly(2, 1);
  }

  @Test
  void growingAndShrinkingTheReplicationFactorOnlyAddOrOnlyRemove() {
    PartitionReassignment.Planned grow = PartitionReassignment.reassignTo(List.of(1), null, List.of(1, 2, 3));
    assertThat(grow.replicas()).containsExactly(1, 2, 3);
    assertThat(grow.reassignment().adding()).containsExactly(2, 3);
    assertThat(grow.reassignment().removing()).isEmpty();

    PartitionReassignment.Planned shrink = PartitionReassignment.reassignTo(List.of(1, 2, 3), null, List.of(3));
    assertThat(shrink.replicas()).containsExactly(3, 1, 2);
    assertThat(shrink.reassignment().adding()).isEmpty();
    assertThat(shrink.reassignment().removing()).containsExactly(1, 2);
  }

  @Test
  void aReorderingNeedsNoReassignment() {
    PartitionReassignment.Planned p = PartitionReassignment.reassignTo(List.of(1, 2, 3), null, List.of(3, 1, 2));
    assertThat(p.replicas()).containsExactly(3, 1, 2);
    assertThat(p.reassignment()).isNull();
  }

  @Test
  void aNewTargetReplacesTheOngoingOneFromTheOriginalReplicas() {
    PartitionReassignment ongoing = new PartitionReassignment(List.of(3), List.of(1));

    PartitionReassignment.Planned p = PartitionReassignment.reassignTo(List.of(2, 3, 1), ongoing, List.of(2, 4));

    assertThat(p.replicas()).as("3, only being added, goes at once").containsExactly(2, 4, 1);
    assertThat(p.reassignment().adding()).containsExactly(4);
    assertThat(p.reassignment().removing()).containsExactly(1);
  }

  @Test
  void aCancellationReturnsToTheOriginalReplicas() {
    PartitionReassignment ongoing = new PartitionReassignment(List.of(3), List.of(1));
    List<Integer> replicas = List.of(2, 3, 1);

    PartitionReassignment.Planned p = PartitionReassignment.reassignTo(replicas, ongoing, ongoing.original(replicas));

    assertThat(p.replicas()).containsExactly(2, 1);
    assertThat(p.reassignment()).isNull();
  }

  @Test
  void aTopicKeepsItsReassignmentsInItsZnodeAndItsReplicationFactorFollowsOnceAllAgree() {
    TopicState t = new TopicState("t", "id", 1, Map.of(), Map.of(0, List.of(1), 1, List.of(2)), Map.of());
    TopicState moving = t.withPartition(0, PartitionReassignment.reassignTo(List.of(1), null, List.of(1, 3)));

    TopicState read = TopicState.fromJson("t", moving.toJson());
    assertThat(read.reassignments()).isEqualTo(Map.of(0, new PartitionReassignment(List.of(3), List.of())));
    assertThat(read.assignment().get(0)).containsExactly(1, 3);
    assertThat(read.replicationFactor()).as("a move in progress changes no replication factor").isEqualTo(1);
    assertThat(TopicState.fromJson("t", t.toJson()).reassignments()).isEmpty();

    TopicState first = read.withPartition(0, new PartitionReassignment.Planned(List.of(1, 3), null));
    assertThat(first.replicationFactor()).as("partitions disagree").isEqualTo(1);
    TopicState both = first.withPartition(1, new PartitionReassignment.Planned(List.of(2, 3), null));
    assertThat(both.replicationFactor()).isEqualTo(2);
    assertThat(both.reassignments()).isEmpty();
  }
}
