package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.ElectionType;
import io.sluice.api.TopicPartition;
import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Kafka's ElectLeaders rules: when a preferred or unclean election moves leadership, and its refusals. */
class LeaderElectionsTest {
  private static final TopicPartition TP = new TopicPartition("t", 0);
  private static final List<Integer> REPLICAS = List.of(1, 2, 3);

  private static MetadataSnapshot live(int... ids) {
    Map<Integer, BrokerRegistration> brokers = new HashMap<>();
    Map<Integer, Long> zxids = new HashMap<>();
    for (int id : ids) {
      brokers.put(id, new BrokerRegistration(id, "127.0.0.1", 8080, null, null));
      zxids.put(id, 100L + id);
    }
    return new MetadataSnapshot(Map.of(), brokers, zxids);
  }

  private static MetadataSnapshot stopping(MetadataSnapshot live, int broker) {
    return with(live, broker, BrokerRegistration::stopping);
  }

  private static MetadataSnapshot starting(MetadataSnapshot live, int broker) {
    return with(live, broker, r -> r.withStarting(true));
  }

  private static MetadataSnapshot with(MetadataSnapshot live, int broker,
      UnaryOperator<BrokerRegistration> change) {
    Map<Integer, BrokerRegistration> brokers = new HashMap<>(live.liveBrokers());
    brokers.put(broker, change.apply(brokers.get(broker)));
    Map<Integer, Long> zxids = new HashMap<>();
    brokers.keySet().forEach(id -> zxids.put(id, live.registrationZxid(id)));
    return new MetadataSnapshot(Map.of(), brokers, zxids);
  }

  private static void refused(ElectionType type, PartitionState s, MetadataSnapshot snap, ErrorCode code) {
    assertThatThrownBy(() -> LeaderElections.decide(type, TP, REPLICAS, s, snap))
        .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.errorCode()).isEqualTo(code));
  }

  @Test
  void preferredMovesLeadershipToTheFirstReplicaWhenItIsAliveAndInSync() {
    PartitionState s = new PartitionState(2, 4, List.of(2, 1, 3), 7, 0, Map.of(1, 101L, 2, 102L));
    assertThat(LeaderElections.decide(ElectionType.PREFERRED, TP, REPLICAS, s, live(1, 2, 3)))
        .isEqualTo(new PartitionState(1, 5, List.of(2, 1, 3), 7, 0, Map.of(1, 101L, 2, 102L)));
  }

  @Test
  void preferredIsRefusedWhenNotNeededOrNotPossible() {
    refused(ElectionType.PREFERRED, new PartitionState(1, 4, List.of(1, 2), 7), live(1, 2, 3),
        ErrorCode.ELECTION_NOT_NEEDED);
    refused(ElectionType.PREFERRED, new PartitionState(2, 4, List.of(2, 3), 7), live(1, 2, 3),
        ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
    refused(ElectionType.PREFERRED, new PartitionState(2, 4, List.of(2, 1), 7), live(2, 3),
        ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
  }

  @Test
  void uncleanElectsALiveReplicaOutsideTheIsrOnlyForAPartitionWithoutLeader() {
    PartitionState offline = new PartitionState(-1, 5, List.of(1), 8);
    assertThat(LeaderElections.decide(ElectionType.UNCLEAN, TP, REPLICAS, offline, live(3)))
        .isEqualTo(new PartitionState(3, 6, List.of(3), 8, 0, Map.of(3, 103L)));
    refused(ElectionType.UNCLEAN, new PartitionState(2, 5, List.of(2), 8), live(2, 3), ErrorCode.ELECTION_NOT_NEEDED);
    refused(ElectionType.UNCLEAN, offline, live(), ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE);
  }

  @Test
  void neitherElectionChoosesABrokerInControlledShutdown() {
    refused(ElectionType.PREFERRED, new PartitionState(2, 4, List.of(2, 1), 7), stopping(live(1, 2, 3), 1),
        ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE);
    PartitionState offline = new PartitionState(-1, 5, List.of(1), 8);
    assertThat(LeaderElections.decide(ElectionType.UNCLEAN, TP, REPLICAS, offline, stopping(live(2, 3), 2)))
        .isEqualTo(new PartitionState(3, 6, List.of(3), 8, 0, Map.of(3, 103L)));
    refused(ElectionType.UNCLEAN, offline, stopping(live(2), 2), ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE);
    refused(ElectionType.UNCLEAN, new PartitionState(-1, 5, List.of(1, 2), 8), stopping(live(2, 3), 2),
        ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE); // 2 holds every acknowledged record: 3 would lose them
  }

  @Test
  void preferredDoesNotChooseABrokerStillStarting() {
    PartitionState s = new PartitionState(2, 4, List.of(2, 1), 7);
    MetadataSnapshot oneStarting = starting(live(1, 2, 3), 1);
    assertThatThrownBy(() -> LeaderElections.decide(ElectionType.PREFERRED, TP, REPLICAS, s, oneStarting))
        .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.errorCode())
            .isEqualTo(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE))
        .hasMessageContaining("not yet started");
    assertThat(LeaderElections.decide(ElectionType.PREFERRED, TP, REPLICAS, s, starting(live(1, 2, 3), 3)).leader())
        .isEqualTo(1);
  }

  @Test
  void uncleanDoesNotChooseABrokerStillStartingNorPassOverAStartingInSyncOne() {
    PartitionState offline = new PartitionState(-1, 5, List.of(1), 8);
    assertThat(LeaderElections.decide(ElectionType.UNCLEAN, TP, REPLICAS, offline, starting(live(2, 3), 2)))
        .isEqualTo(new PartitionState(3, 6, List.of(3), 8, 0, Map.of(3, 103L)));
    refused(ElectionType.UNCLEAN, offline, starting(live(2), 2), ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE);
    refused(ElectionType.UNCLEAN, new PartitionState(-1, 5, List.of(1, 2), 8), starting(live(2, 3), 2),
        ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE); // 2 holds every acknowledged record; elected once started
  }
}
