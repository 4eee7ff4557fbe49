package io.sluice.broker.partition;

import static io.sluice.broker.partition.InProcessReplicas.await;
import static io.sluice.broker.partition.InProcessReplicas.awaitCondition;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Acks;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.LoaderMessages;
import io.sluice.broker.testing.TestBatches;
import io.sluice.storage.ReadResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restarted leader of a replicated partition shows consumers at once every record that was committed before the
 * restart, clean or not, without waiting for its followers: it starts from its checkpointed high watermark. The
 * followers stay down here, so nothing else could raise it.
 */
@Tag("several-brokers")
class HighWatermarkRestartTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dir;
  @TempDir
  Path crashDir;
  InProcessReplicas replicas;
  @RegisterExtension
  final LoaderMessages loader = new LoaderMessages();

  @AfterEach
  void close() throws Exception {
    if (replicas != null) {
      replicas.close();
    }
  }

  /** Two replicas in sync, {@code batches} batches of 4 records committed with acks=all; returns the high watermark. */
  private long commitOnBoth(Path root, int batches) throws Exception {
    replicas = new InProcessReplicas(root, List.of(1, 2), 1, GUARD);
    replicas.replicaLagTimeMaxMs = 60_000; // the ISR must still hold the follower when the leader comes back
    replicas.start(1);
    replicas.start(2);
    awaitCondition("broker 2 joins the ISR", () -> replicas.isr().contains(2));
    for (int i = 0; i < batches; i++) {
      await(replicas.replica(1).append(TestBatches.batch("a" + i, "b" + i, "c" + i, "d" + i), Acks.ALL));
    }
    long hw = replicas.replica(1).highWatermark();
    assertThat(hw).isEqualTo(batches * 4L);
    return hw;
  }

  private void assertLeaderShowsEverythingBelow(long hw) throws Exception {
    PartitionVerticle leader = replicas.replica(1);
    assertThat(leader.highWatermark()).isEqualTo(hw);
    assertThat(await(leader.offsets()).endOffset()).isEqualTo(hw);
    ReadResult fetched = await(leader.fetch(0, 1 << 20, 1, 0));
    assertThat(fetched.nextOffset()).as("a consumer's fetch sees every committed record").isEqualTo(hw);
  }

  @Test
  void leaderRestartedCleanlyStartsAtTheHighWatermarkItHadBeforeTheRestart() throws Exception {
    long hw = commitOnBoth(dir, 3);
    replicas.shutdown(2);
    replicas.shutdown(1);
    assertThat(Files.readString(dir.resolve("broker-1/replication-offset-checkpoint")))
        .isEqualTo("0\n1\nreplicated 0 " + hw + "\n");

    replicas.start(1);

    assertLeaderShowsEverythingBelow(hw);
  }

  @Test
  void leaderRestartedAfterACrashStartsAtItsLastPeriodicCheckpoint() throws Exception {
    long hw = commitOnBoth(dir, 3);
    Path checkpoint = dir.resolve("broker-1/replication-offset-checkpoint");
    awaitCondition("the periodic checkpoint records the high watermark", () -> {
      try {
        return Files.exists(checkpoint) && Files.readString(checkpoint).contains("replicated 0 " + hw + "\n");
      } catch (java.io.IOException e) {
        return false; // replaced under us: look again
      }
    });
    replicas.copyDataDir(1, crashDir); // the leader's disk as kill -9 would leave it
    replicas.close();

    loader.capture();
    replicas = new InProcessReplicas(crashDir, List.of(1, 2), 1, GUARD);
    replicas.resetState(1, List.of(1, 2)); // ZooKeeper still shows the follower in sync; it is down
    replicas.start(1);

    assertThat(loader.messages()).anyMatch(m -> m.contains("unclean start"));
    assertLeaderShowsEverythingBelow(hw);
  }
}
