package io.sluice.broker.partition;

import static io.sluice.broker.partition.InProcessReplicas.await;
import static io.sluice.broker.partition.InProcessReplicas.awaitCondition;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Acks;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBatches;
import io.sluice.storage.LogConfig;
import io.sluice.storage.LogManager;
import io.sluice.storage.PartitionLog;
import io.sluice.storage.ReadResult;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A follower whose log does not line up with its leader's at either end catches up and rejoins the ISR: one whose
 * log ends below the leader's log start (retention deleted what it missed) restarts its log at the leader's start;
 * one ahead of the leader's log end without leader epochs truncates to the leader's end.
 */
@Tag("several-brokers")
class FollowerCatchUpTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  /** About one test batch per segment. */
  static final LogConfig SMALL_SEGMENTS = new LogConfig(1024, Long.MAX_VALUE / 2, 1024, 1 << 20, -1, -1,
      Long.MAX_VALUE, Long.MAX_VALUE, 0);
  /** The same, keeping only the newest ~2 KiB. */
  private static final LogConfig SMALL_RETENTION = new LogConfig(1024, Long.MAX_VALUE / 2, 1024, 1 << 20, -1, 2048,
      Long.MAX_VALUE, Long.MAX_VALUE, 0);

  /**
   * The leader's {@code replica.lag.time.max.ms}: far above the 1 s event-loop stall the suite tolerates, so a live
   * follower starved on a loaded machine stays in the ISR (at 300 ms it dropped out, and an acks=all append came back
   * before the follower held it). Dropping a stopped follower is an event the test awaits, however long it takes.
   */
  private static final long LAG_MS = 3_000;

  @TempDir
  Path dir;
  InProcessReplicas replicas;

  @AfterEach
  void close() throws Exception {
    if (replicas != null) {
      replicas.close();
    }
  }

  /** Eight records of about 70 bytes, timestamped 1970 (so no retention.ms may be set beside them). */
  static ByteBuffer batch(int i) {
    String value = "record-" + i + "-".repeat(60);
    return TestBatches.batch(1_000_000L + i, value, value, value, value, value, value, value, value);
  }

  private void produce(int from, int count, Acks acks) throws Exception {
    for (int i = from; i < from + count; i++) {
      await(replicas.replica(1).append(batch(i), acks));
    }
  }

  @Test
  void followerThatMissedDeletedSegmentsRestartsAtTheLeaderLogStartAndRejoinsTheIsr() throws Exception {
    replicas = new InProcessReplicas(dir, List.of(1, 2), 1, GUARD);
    replicas.replicaLagTimeMaxMs = LAG_MS;
    replicas.config(1, SMALL_RETENTION);
    replicas.config(2, SMALL_SEGMENTS);
    replicas.start(1);
    replicas.start(2);
    awaitCondition("broker 2 joins the ISR", () -> replicas.isr().contains(2));
    produce(0, 3, Acks.ALL);
    long followerEnd = replicas.log(1).logEndOffset();
    awaitFollowerEnd(followerEnd);

    replicas.stop(2);
    awaitCondition("the leader drops broker 2 from the ISR", () -> !replicas.isr().contains(2));
    produce(3, 30, Acks.LEADER);
    awaitCondition("retention deletes offsets broker 2 never copied",
        () -> replicas.log(1).logStartOffset() > followerEnd);
    long leaderStart = replicas.log(1).logStartOffset();

    replicas.start(2);
    awaitCondition("broker 2 catches up and rejoins the ISR", () -> replicas.isr().contains(2)
        && replicas.log(2).logEndOffset() == replicas.log(1).logEndOffset());
    PartitionLog follower = replicas.log(2);
    assertThat(follower.logStartOffset()).as("restarted at (or past) the leader's log start")
        .isGreaterThanOrEqualTo(leaderStart).isGreaterThan(followerEnd);
    long end = replicas.log(1).logEndOffset();
    // The leader's retention goes on deleting under the comparison: compare from where both still hold the log.
    awaitCondition("the replicas hold the same bytes", () -> sameBytes(follower, replicas.log(1), end));
    awaitCondition("the high watermark reaches the log end", () -> replicas.replica(1).highWatermark() == end);
    produce(33, 1, Acks.ALL);
    awaitFollowerEnd(end + 8);

    replicas.shutdown(2);
    // Read once the replica is down: until then each fetch may move it up to the leader's (still deleting) log start.
    long start = follower.logStartOffset();
    replicas.start(2);
    assertThat(replicas.log(2).logStartOffset()).as("the new log start survives a restart").isEqualTo(start);
    assertThat(replicas.log(2).logEndOffset()).isEqualTo(end + 8);
  }

  @Test
  void followerWithoutEpochsAheadOfTheLeaderTruncatesToTheLeaderLogEnd() throws Exception {
    // The follower's log: the leader's 3 batches, then 4 the leader never had, and no leader epoch checkpoint.
    try (LogManager store = LogManager.open(dir.resolve("broker-2"))) {
      PartitionLog log = store.openLog(InProcessReplicas.TP, SMALL_SEGMENTS);
      for (int i = 0; i < 7; i++) {
        log.append(batch(i), 0);
      }
      assertThat(log.logEndOffset()).isEqualTo(7 * 8);
    }
    replicas = new InProcessReplicas(dir, List.of(1, 2), 1, GUARD);
    replicas.replicaLagTimeMaxMs = LAG_MS;
    replicas.config(1, SMALL_SEGMENTS);
    replicas.config(2, SMALL_SEGMENTS);
    replicas.start(1);
    produce(0, 3, Acks.LEADER);
    long leaderEnd = replicas.log(1).logEndOffset();

    replicas.start(2);
    awaitCondition("broker 2 truncates to the leader's end and joins the ISR",
        () -> replicas.isr().contains(2) && replicas.log(2).logEndOffset() == leaderEnd);
    assertThat(bytes(replicas.log(2), 0, leaderEnd)).isEqualTo(bytes(replicas.log(1), 0, leaderEnd));
    produce(3, 1, Acks.ALL);
    awaitFollowerEnd(leaderEnd + 8);
  }

  /**
   * Waits for broker 2's log to end at {@code end}: an acks=all append may still complete without it if the leader
   * dropped it from the ISR meanwhile, so the follower's copy is awaited, not assumed.
   */
  private void awaitFollowerEnd(long end) {
    awaitCondition("broker 2's log ends at " + end, () -> replicas.log(2).logEndOffset() == end);
  }

  private static boolean sameBytes(PartitionLog a, PartitionLog b, long end) {
    long from = Math.max(a.logStartOffset(), b.logStartOffset());
    try {
      return java.util.Arrays.equals(bytes(a, from, end), bytes(b, from, end));
    } catch (io.sluice.errors.OffsetOutOfRangeException retentionMovedTheStart) {
      return false;
    }
  }

  /** The log's bytes from {@code from} to {@code to} (batch boundaries). */
  static byte[] bytes(PartitionLog log, long from, long to) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long next = from;
    while (next < to) {
      ReadResult r = log.read(next, 1 << 20, to);
      ByteBuffer b = r.readBytes();
      byte[] chunk = new byte[b.remaining()];
      b.get(chunk);
      out.writeBytes(chunk);
      next = r.nextOffset();
    }
    return out.toByteArray();
  }
}
