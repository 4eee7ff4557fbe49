package io.sluice.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.TopicPartition;
import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionReassignment;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.metadata.TopicState;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Kafka's automatic preferred-leader election ({@code checkAndTriggerAutoLeaderRebalance}): per broker, only when the
 * share of the partitions it is the preferred replica of that others lead exceeds
 * {@code leader.imbalance.per.broker.percentage}, and never towards a broker that is stopping or still starting.
 */
class ControllerRebalanceTest {
  private static final String TOPIC = "t";

  /** Ten partitions preferring broker 1 (replicas [1, 2, 3]); the first {@code movedAway} led by 2. */
  private static Map<Integer, PartitionState> states(int movedAway) {
    Map<Integer, PartitionState> states = new HashMap<>();
    IntStream.range(0, 10).forEach(p -> states.put(p, new PartitionState(p < movedAway ? 2 : 1, 3, List.of(1, 2, 3),
        5)));
    return states;
  }

  private static MetadataSnapshot snapshot(Map<Integer, PartitionState> states, BrokerRegistration... brokers) {
    return snapshot(states, Map.of(), brokers);
  }

  private static MetadataSnapshot snapshot(Map<Integer, PartitionState> states,
      Map<Integer, PartitionReassignment> reassignments, BrokerRegistration... brokers) {
    Map<Integer, List<Integer>> assignment = new HashMap<>();
    states.keySet().forEach(p -> assignment.put(p, List.of(1, 2, 3)));
    Map<Integer, BrokerRegistration> live = new HashMap<>();
    for (BrokerRegistration b : brokers) {
      live.put(b.id(), b);
    }
    return new MetadataSnapshot(Map.of(TOPIC, new TopicState(TOPIC, "id", 3, Map.of(), assignment, states,
        reassignments)), live);
  }

  private static BrokerRegistration broker(int id) {
    return new BrokerRegistration(id, "127.0.0.1", 8080 + id, "node-" + id, "dir-" + id);
  }

  private static BrokerRegistration[] allStarted() {
    return new BrokerRegistration[] {broker(1), broker(2), broker(3)};
  }

  @Test
  void anImbalanceAboveThePercentageMovesEveryPartitionBackAtANewEpoch() {
    Map<TopicPartition, PartitionState> moves = Controller.rebalance(snapshot(states(2), allStarted()), 10);

    assertThat(moves).containsOnlyKeys(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1));
    assertThat(moves.get(new TopicPartition(TOPIC, 0))).isEqualTo(new PartitionState(1, 4, List.of(1, 2, 3), 5));
  }

  @Test
  void anImbalanceAtOrBelowThePercentageMovesNothing() {
    assertThat(Controller.rebalance(snapshot(states(1), allStarted()), 10)).as("1 of 10 is not above 10 %").isEmpty();
    assertThat(Controller.rebalance(snapshot(states(2), allStarted()), 20)).isEmpty();
    assertThat(Controller.rebalance(snapshot(states(0), allStarted()), 0)).as("balanced").isEmpty();
  }

  @Test
  void aPreferredReplicaStillStartingGetsNothingBackUntilItHasStarted() {
    MetadataSnapshot starting = snapshot(states(10), broker(1).withStarting(true), broker(2), broker(3));
    assertThat(Controller.rebalance(starting, 10)).isEmpty();

    assertThat(Controller.rebalance(snapshot(states(10), allStarted()), 10)).hasSize(10);
  }

  @Test
  void aPreferredReplicaStoppingOrOutOfSyncGetsNothingBack() {
    assertThat(Controller.rebalance(snapshot(states(10), broker(1).stopping(), broker(2), broker(3)), 10)).isEmpty();
    Map<Integer, PartitionState> outOfSync = new HashMap<>(states(10));
    outOfSync.replaceAll((p, s) -> new PartitionState(2, 3, List.of(2, 3), 5));
    assertThat(Controller.rebalance(snapshot(outOfSync, allStarted()), 10)).isEmpty();
  }

  @Test
  void aPartitionWithAnotherDecisionPendingIsLeftToIt() {
    Map<Integer, PartitionState> states = states(3);
    MetadataSnapshot deadFollower = snapshot(states, broker(1), broker(2));
    assertThat(Controller.rebalance(deadFollower, 10)).as("3 must leave the ISR first").isEmpty();

    MetadataSnapshot reassigning = snapshot(states, Map.of(0, new PartitionReassignment(List.of(),
        List.of(3))), allStarted());
    assertThat(Controller.rebalance(reassigning, 10)).containsOnlyKeys(new TopicPartition(TOPIC, 1),
        new TopicPartition(TOPIC, 2));
  }

  @Test
  void aStartedBrokerReadsBackFromItsRegistrationAndAnOldOneCountsAsStarted() {
    BrokerRegistration starting = broker(1).withStarting(true);
    assertThat(BrokerRegistration.fromJson(1, starting.toJson()).starting()).isTrue();
    assertThat(BrokerRegistration.fromJson(1, broker(1).toJson()).starting()).isFalse();
    assertThat(new String(broker(1).toJson())).doesNotContain("starting");
  }
}
