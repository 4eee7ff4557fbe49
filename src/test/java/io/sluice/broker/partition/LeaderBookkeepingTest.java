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

    leader.onFollowerFetch(3, LOG_END);
    assertThat(proposals).extracting(PartitionState::isr).containsExactly(List.of(1, 2, 3));

    // The addition was written (version 6), and the controller removed 3 again (version 7) before this broker's
    // metadata showed version 6: the leader only ever sees the ISR it had, at a newer version.
    settings.set(new Settings(1, 0, List.of(1, 2), List.of(1, 2, 3), 2, 7));
    leader.onIsrChanged(List.of(1, 2), 7);
    leader.onFollowerFetch(3, LOG_END);

    assertThat(proposals).extracting(PartitionState::isr).containsExactly(List.of(1, 2, 3), List.of(1, 2, 3));
    assertThat(proposals.get(1).zkVersion()).isEqualTo(7);
  }

  @Test
  void aRepeatOfTheStateTheAdditionWasProposedOnKeepsTheFollowerCountedInTheHighWatermark() {
    leader.lead();
    leader.raiseHighWatermark(LOG_END);
    leader.onFollowerFetch(3, LOG_END);

    leader.onIsrChanged(List.of(1, 2), 5);
    leader.onFollowerFetch(3, LOG_END);

    assertThat(proposals).as("still pending: no second proposal").hasSize(1);
  }
}
