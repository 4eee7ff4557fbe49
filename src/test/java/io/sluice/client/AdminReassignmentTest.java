package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Admin}'s reassignment and election calls against one real broker, as Kafka's
 * {@code alterPartitionReassignments}, {@code listPartitionReassignments} and {@code electLeaders} (the moves on
 * several brokers: {@code ReassignmentClusterTest}).
 */
class AdminReassignmentTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final TopicPartition TP = new TopicPartition("t", 0);

  @TempDir
  Path dataDir;
  private BrokerWithClient broker;
  private Admin admin;

  @BeforeEach
  void start() throws Exception {
    broker = BrokerWithClient.start(dataDir, GUARD, Map.of());
    admin = broker.client().admin();
    admin.createTopic("t", 1, 1, Map.of()).await().atMost(WAIT);
  }

  @AfterEach
  void stop() throws Exception {
    if (broker != null) {
      broker.close();
    }
  }

  @Test
  void aReorderOfTheSameReplicaCompletesAtOnceAndRefusalsCarryKafkasCodes() {
    PartitionReassignment same = admin.alterPartitionReassignment(TP, List.of(1)).await().atMost(WAIT);
    assertThat(same).isEqualTo(new PartitionReassignment(TP, List.of(1), List.of(), List.of()));
    assertThat(admin.listPartitionReassignments().await().atMost(WAIT)).isEmpty();

    assertThatThrownBy(() -> admin.alterPartitionReassignment(TP, List.of(1, 5)).await().atMost(WAIT))
        .isInstanceOfSatisfying(SluiceException.class,
            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.INVALID_REPLICA_ASSIGNMENT));
    assertThatThrownBy(() -> admin.cancelPartitionReassignment(TP).await().atMost(WAIT))
        .isInstanceOfSatisfying(SluiceException.class,
            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS));
    assertThat(admin.electLeaders(LeaderElection.Type.PREFERRED, List.of(TP)).await().atMost(WAIT))
        .singleElement().satisfies(r -> assertThat(r.errorCode()).isEqualTo(ErrorCode.ELECTION_NOT_NEEDED.code()))
        .satisfies(r -> assertThat(r.leader()).isEqualTo(1));
  }
}
