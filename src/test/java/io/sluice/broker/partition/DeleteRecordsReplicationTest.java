package io.sluice.broker.partition;

import static io.sluice.broker.partition.InProcessReplicas.await;
import static io.sluice.broker.partition.InProcessReplicas.awaitCondition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.Acks;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.storage.LogConfig;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deleting records on a replicated partition (Kafka's DeleteRecords): the leader's answer waits until every in-sync
 * follower has moved its log start there too (the low watermark), so a follower elected next never serves the
 * deleted records again; a follower outside the ISR follows the leader's log start when it fetches again.
 */
@Tag("several-brokers")
class DeleteRecordsReplicationTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  /** About one test batch per segment, so deletions remove whole segments; no retention. */
  private static final LogConfig SMALL_SEGMENTS = FollowerCatchUpTest.SMALL_SEGMENTS;

  @TempDir
  Path dir;
  InProcessReplicas replicas;

  @AfterEach
  void close() throws Exception {
    if (replicas != null) {
      replicas.close();
    }
  }

  private static ByteBuffer batch(int i) {
    return FollowerCatchUpTest.batch(i);
  }

  @Test
  void theAnswerWaitsForEveryInSyncFollowerAndALaggingOneFollowsWhenItFetchesAgain() throws Exception {
    replicas = new InProcessReplicas(dir, List.of(1, 2, 3), 1, GUARD);
    for (int b = 1; b <= 3; b++) {
      replicas.config(b, SMALL_SEGMENTS);
      replicas.start(b);
    }
    awaitCondition("brokers 2 and 3 join the ISR", () -> replicas.isr().containsAll(List.of(2, 3)));
    for (int i = 0; i < 10; i++) {
      await(replicas.replica(1).append(batch(i), Acks.ALL));
    }

    assertThat(await(replicas.replica(1).deleteRecords(40))).as("the low watermark").isEqualTo(40);
    // No waiting here: the answer came once both followers had reported their log start at 40 or past it.
    assertThat(replicas.log(1).logStartOffset()).isEqualTo(40);
    assertThat(replicas.log(2).logStartOffset()).isGreaterThanOrEqualTo(40);
    assertThat(replicas.log(3).logStartOffset()).isGreaterThanOrEqualTo(40);
    assertThat(replicas.log(2).logEndOffset()).as("nothing above it went").isEqualTo(80);

    replicas.stop(3);
    awaitCondition("the leader drops broker 3 from the ISR", () -> !replicas.isr().contains(3));
    assertThat(await(replicas.replica(1).deleteRecords(PartitionVerticle.DELETE_TO_HIGH_WATERMARK)))
        .as("broker 3, out of the ISR, is not waited for").isEqualTo(80);
    assertThat(replicas.log(2).logStartOffset()).isEqualTo(80);
    replicas.start(3);
    awaitCondition("broker 3 follows the leader's log start", () -> replicas.log(3).logStartOffset() == 80);
  }

  @Test
  void onlyTheLeaderDeletesAndNeverPastItsHighWatermark() throws Exception {
    replicas = new InProcessReplicas(dir, List.of(1, 2), 1, GUARD);
    replicas.config(1, SMALL_SEGMENTS); // no retention: the batches' 1970 timestamps would have it delete them
    replicas.config(2, SMALL_SEGMENTS);
    replicas.start(1);
    replicas.start(2);
    awaitCondition("broker 2 joins the ISR", () -> replicas.isr().contains(2));
    await(replicas.replica(1).append(batch(0), Acks.ALL));
    assertThatThrownBy(() -> await(replicas.replica(2).deleteRecords(4)))
        .isInstanceOfSatisfying(SluiceException.class,
            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.NOT_LEADER_OR_FOLLOWER));
    assertThatThrownBy(() -> await(replicas.replica(1).deleteRecords(9)))
        .isInstanceOfSatisfying(SluiceException.class,
            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.OFFSET_OUT_OF_RANGE));
    assertThat(replicas.log(1).logStartOffset()).isZero();
    assertThat(replicas.log(2).logStartOffset()).isZero();
  }
}
