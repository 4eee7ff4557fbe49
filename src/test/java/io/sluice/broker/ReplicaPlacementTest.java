package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.broker.metadata.TopicState;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Kafka's rack-aware replica placement (AdminUtils), and the mixed racked and unracked brokers it refuses. */
class ReplicaPlacementTest {
  /** Three racks of two brokers: a1, a2 = 1, 2; b = 3, 4; c = 5, 6. */
  private static TreeMap<Integer, String> threeRacksOfTwo() {
    TreeMap<Integer, String> racks = new TreeMap<>();
    racks.put(1, "a");
    racks.put(2, "a");
    racks.put(3, "b");
    racks.put(4, "b");
    racks.put(5, "c");
    racks.put(6, "c");
    return racks;
  }

  @Test
  void brokersAreListedTakingTurnsByRackAsKafkaDoes() {
    TreeMap<Integer, String> racks = new TreeMap<>();
    for (int id = 0; id < 9; id++) {
      racks.put(id, "rack" + (id / 3 + 1)); // Kafka's example: rack1 0,1,2; rack2 3,4,5; rack3 6,7,8
    }
    assertThat(ReplicaPlacement.rackAlternated(racks)).containsExactly(0, 3, 6, 1, 4, 7, 2, 5, 8);
  }

  @Test
  void eachPartitionSpansEveryRackAndLeadersAndReplicasSpreadEvenly() {
    TreeMap<Integer, String> racks = threeRacksOfTwo();
    Map<Integer, List<Integer>> placed = ReplicaPlacement.assign(racks, 12, 3);

    assertThat(placed).hasSize(12);
    Map<Integer, Integer> leaders = new HashMap<>();
    Map<Integer, Integer> hosted = new HashMap<>();
    placed.forEach((p, replicas) -> {
      assertThat(replicas).as("partition %d's replicas", p).hasSize(3).doesNotHaveDuplicates();
      Set<String> spanned = new HashSet<>();
      replicas.forEach(b -> spanned.add(racks.get(b)));
      assertThat(spanned).as("racks of partition %d %s", p, replicas).containsExactlyInAnyOrder("a", "b", "c");
      leaders.merge(replicas.get(0), 1, Integer::sum);
      replicas.forEach(b -> hosted.merge(b, 1, Integer::sum));
    });
    assertThat(leaders).as("preferred leaders per broker").containsOnlyKeys(1, 2, 3, 4, 5, 6).containsValues(2)
        .doesNotContainValue(1).doesNotContainValue(3);
    assertThat(hosted.values()).as("replicas per broker").containsOnly(6);
  }

  @Test
  void withFewerReplicasThanRacksNoRackHoldsTwo() {
    TreeMap<Integer, String> racks = threeRacksOfTwo();
    ReplicaPlacement.assign(racks, 6, 2).forEach((p, replicas) ->
        assertThat(racks.get(replicas.get(0))).as("partition %d %s", p, replicas)
            .isNotEqualTo(racks.get(replicas.get(1))));
  }

  @Test
  void someBrokersWithARackAndSomeWithoutAreRefusedAsKafkaRefusesThem() {
    TreeMap<Integer, String> racks = new TreeMap<>(Map.of(1, "a", 2, "b"));
    racks.put(3, null);

    SluiceException e = catchThrowableOfType(() -> ReplicaPlacement.assign(racks, 3, 2), SluiceException.class);

    assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_REPLICATION_FACTOR);
    assertThat(e.getMessage()).startsWith("Not all brokers have rack information for replica rack aware assignment")
        .contains("[3]");
  }

  @Test
  void brokersWithoutRacksArePlacedRoundRobinAsBefore() {
    TreeMap<Integer, String> racks = new TreeMap<>();
    racks.put(1, null);
    racks.put(2, null);
    racks.put(3, null);
    assertThat(ReplicaPlacement.assign(racks, 4, 2)).isEqualTo(ReplicaPlacement.roundRobin(List.of(1, 2, 3), 4, 2));
  }

  @Test
  void growthPlacesTheNewPartitionsOverRacksAndRefusesAMixedCluster() {
    TreeMap<Integer, String> racks = threeRacksOfTwo();
    TopicState one = new TopicState("t", "id", 3, Map.of(), Map.of(0, List.of(1, 3, 5)), Map.of());

    TopicState grown = LocalBrokerService.grow(one, 6, racks);

    assertThat(grown.assignment().get(0)).containsExactly(1, 3, 5);
    for (int p = 1; p < 6; p++) {
      Set<String> spanned = new HashSet<>();
      grown.assignment().get(p).forEach(b -> spanned.add(racks.get(b)));
      assertThat(spanned).as("racks of new partition %d", p).hasSize(3);
    }
    racks.put(7, null);
    assertThat(catchThrowableOfType(() -> LocalBrokerService.grow(one, 6, racks), SluiceException.class).errorCode())
        .isEqualTo(ErrorCode.INVALID_REPLICATION_FACTOR);
  }
}
