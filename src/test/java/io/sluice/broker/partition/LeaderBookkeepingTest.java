package io.sluice.broker.partition;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.partition.PartitionVerticle.Replication;
import io.sluice.broker.partition.PartitionVerticle.Settings;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LeaderBookkeepingTest {
  private static final TopicPartition TP = new TopicPartition("t", 0);
  private static final long LOG_END = 100;

  private final Vertx vertx = Vertx.vertx();
  private final List<PartitionState> proposals = new ArrayList<>();
  private final AtomicReference<Settings> settings =
      new AtomicReference<>(new Settings(1, 0, List.of(1, 2), List.of(1, 2, 3), 2, 5));
  private final LeaderBookkeeping leader = new LeaderBookkeeping(vertx, TP,
      new Replication(1, Path.of("unused"), 10_000, 10_000, (tp, next) -> {
        proposals.add(next);
        return Future.succeededFuture(true);
      }, null),
      settings::get, () -> LOG_END, bytes -> { });

  @AfterEach
  void close() {
    vertx.close();
  }

  @Test
  void aFollowerTheControllerRemovedRightAfterItsAdditionIsProposedAgain() {
    leader.lead();
    leader.raiseHighWatermark(LOG_END);

    leader.onFollowerFetch(3, 11, LOG_END);
    assertThat(proposals).extracting(PartitionState::isr).containsExactly(List.of(1, 2, 3));

    // The addition was written (version 6), and the controller removed 3 again (version 7) before this broker's
    // metadata showed version 6: the leader only ever sees the ISR it had, at a newer version.
    settings.set(new Settings(1, 0, List.of(1, 2), List.of(1, 2, 3), 2, 7));
    leader.onIsrChanged(List.of(1, 2), 7);
    leader.onFollowerFetch(3, 11, LOG_END);

    assertThat(proposals).extracting(PartitionState::isr).containsExactly(List.of(1, 2, 3), List.of(1, 2, 3));
    assertThat(proposals.get(1).zkVersion()).isEqualTo(7);
  }

  /**
   * A reassignment removed replica 3 (replicas now [1, 2]); its broker fetches on until its metadata shows that, and
   * must not be proposed into the ISR again: the controller's completion took it out, and the leader would put back a
   * replica whose log is about to be deleted.
   */
  @Test
  void aReplicaNoLongerAssignedIsNotProposedIntoTheIsr() {
    settings.set(new Settings(1, 0, List.of(1, 2), List.of(1, 2), 2, 5));
    leader.lead();
    leader.raiseHighWatermark(LOG_END);

    leader.onFollowerFetch(3, 11, LOG_END);

    assertThat(proposals).isEmpty();
  }

  @Test
  void aRepeatOfTheStateTheAdditionWasProposedOnKeepsTheFollowerCountedInTheHighWatermark() {
    leader.lead();
    leader.raiseHighWatermark(LOG_END);
    leader.onFollowerFetch(3, 11, LOG_END);

    leader.onIsrChanged(List.of(1, 2), 5);
    leader.onFollowerFetch(3, 11, LOG_END);

    assertThat(proposals).as("still pending: no second proposal").hasSize(1);
  }

  /**
   * Follower 2 restarted (broker epoch 20 to 21) and lost the tail it had fetched up to 90; a late fetch of its
   * earlier process, and its own progress at the new epoch, must not let the high watermark pass what it still holds
   * while the ISR records it at 20.
   */
  @Test
  void anInSyncFollowerFetchingAtAnotherBrokerEpochHoldsTheHighWatermarkUntilTheIsrRecordsIt() {
    settings.set(new Settings(1, 0, List.of(1, 2, 3), List.of(1, 2, 3), 2, 5, true, Map.of(1, 10L, 2, 20L, 3, 30L)));
    leader.lead();
    leader.onFollowerFetch(2, 20, 90);
    leader.onFollowerFetch(3, 30, 50);
    assertThat(leader.highWatermark()).isEqualTo(50);

    leader.onFollowerFetch(2, 21, 60);
    leader.onFollowerFetch(2, 20, 90);
    leader.onFollowerFetch(3, 30, LOG_END);
    assertThat(leader.highWatermark()).as("2's old progress is not counted").isEqualTo(50);

    // The controller took 2 out; it catches up at its new epoch and is proposed with it.
    settings.set(new Settings(1, 0, List.of(1, 3), List.of(1, 2, 3), 2, 6, true, Map.of(1, 10L, 3, 30L)));
    leader.onIsrChanged(List.of(1, 3), 6);
    assertThat(leader.highWatermark()).isEqualTo(LOG_END);
    leader.onFollowerFetch(2, 21, LOG_END);
    assertThat(proposals).hasSize(1);
    assertThat(proposals.get(0).isr()).containsExactly(1, 3, 2);
    assertThat(proposals.get(0).isrEpochs()).isEqualTo(Map.of(1, 10L, 3, 30L, 2, 21L));
  }

  @Test
  void anIsrShrinkKeepsTheRemainingMembersEpochs() {
    // A negative lag limit makes every follower lagging without waiting for the clock.
    Replication noLag = new Replication(1, Path.of("unused"), -1, 10_000, (tp, next) -> {
      proposals.add(next);
      return Future.succeededFuture(true);
    }, null);
    settings.set(new Settings(1, 0, List.of(1, 2, 3), List.of(1, 2, 3), 2, 5, true, Map.of(1, 10L, 2, 20L, 3, 30L)));
    LeaderBookkeeping shrinking = new LeaderBookkeeping(vertx, TP, noLag, settings::get, () -> LOG_END, bytes -> { });
    shrinking.lead();
    shrinking.maybeShrinkIsr();

    assertThat(proposals).extracting(PartitionState::isr).containsExactly(List.of(1));
    assertThat(proposals.get(0).isrEpochs()).isEqualTo(Map.of(1, 10L));
  }
}
