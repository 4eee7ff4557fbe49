package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.record.AbortedBatches;
import io.sluice.record.CompressionType;
import io.sluice.record.ControlRecords;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Compaction of logs holding transactions: Kafka's cleaner rules for aborted data, markers, the LSO and producers. */
class TransactionalCompactionTest {
  private static final long DELETE_RETENTION_MS = 10_000;
  private static final LogConfig COMPACT = new LogConfig(1024, Long.MAX_VALUE / 2, 256, 1 << 20, -1, -1,
      Long.MAX_VALUE, Long.MAX_VALUE, 0, true, DELETE_RETENTION_MS, LogConfig.DEFAULT_PRODUCER_ID_EXPIRATION_MS);
  private static final long PID = 42;
  private static final long OTHER = 43;

  @TempDir
  Path dir;
  @TempDir
  Path otherDir;
  private LogFixture fx;
  private LogFixture follower;
  private LocalPartitionLog log;
  private final Map<Long, Integer> nextSequence = new HashMap<>();
  private int fillers;

  @AfterEach
  void tearDown() {
    fx.close();
    if (follower != null) {
      follower.close();
    }
  }

  private void open() {
    fx = new LogFixture(dir, COMPACT);
    log = fx.open();
  }

  @Test
  void abortedRecordsAreRemovedAndTheCommittedValueOfTheirKeyStays() {
    open();
    plain("k", "committed");
    txn(PID, "k", "aborted");
    log.appendTxnMarker(PID, (short) 0, 0, false, 0);
    fill(30);

    assertThat(log.compact(fx.clock.get(), log.logEndOffset())).isPositive();

    assertThat(uncommitted(log)).contains("k=committed").doesNotContain("k=aborted");
    assertThat(latestCommitted(log)).containsEntry("k", "committed");
  }

  @Test
  void anOpenTransactionsRecordsAreNotCleanedNorSupersedeUntilItCommits() {
    open();
    plain("k", "old");
    txn(PID, "k", "new");
    fill(30);
    long lso = log.firstUnstableOffset();

    log.compact(fx.clock.get(), log.logEndOffset());

    assertThat(uncommitted(log)).contains("k=old", "k=new");
    assertThat(log.firstUnstableOffset()).isEqualTo(lso);
    log.appendTxnMarker(PID, (short) 0, 0, true, 0);
    fill(30);
    assertThat(log.compact(fx.clock.get(), log.logEndOffset())).isPositive();
    assertThat(uncommitted(log)).contains("k=new").doesNotContain("k=old");
  }

  @Test
  void markersStayWhileTheirTransactionsDataStaysThenGoAfterDeleteRetention() {
    open();
    txn(PID, "a", "1");
    log.appendTxnMarker(PID, (short) 0, 0, true, 0);
    txn(OTHER, "b", "1");
    log.appendTxnMarker(OTHER, (short) 0, 0, true, 0);
    txn(PID, "c", "1"); // the producers' last batches: they stay, and so do these markers
    log.appendTxnMarker(PID, (short) 0, 0, true, 0);
    txn(OTHER, "d", "1");
    log.appendTxnMarker(OTHER, (short) 0, 0, true, 0);
    fill(30);
    log.compact(fx.clock.get(), log.logEndOffset());
    assertThat(markers(log)).containsExactly("42:COMMIT", "43:COMMIT", "42:COMMIT", "43:COMMIT");

    plain("a", "2");
    plain("b", "2");
    fill(30);
    log.compact(fx.clock.get(), log.logEndOffset());
    assertThat(markers(log)).as("data gone: the markers wait for delete.retention.ms").hasSize(4);
    assertThat(horizons(log)).containsExactly(fx.clock.get() + DELETE_RETENTION_MS,
        fx.clock.get() + DELETE_RETENTION_MS, RecordBatch.NO_TIMESTAMP, RecordBatch.NO_TIMESTAMP);

    fx.clock.addAndGet(DELETE_RETENTION_MS);
    assertThat(log.compact(fx.clock.get(), log.logEndOffset())).as("a horizon fell due").isPositive();
    assertThat(markers(log)).containsExactly("42:COMMIT", "43:COMMIT");
    assertThat(uncommitted(log)).contains("a=2", "b=2", "c=1", "d=1");
  }

  @Test
  void anAbortsMarkerAndIndexEntryGoWithItsDataAndStayGoneAfterARestart() {
    open();
    txn(PID, "k", "aborted");
    log.appendTxnMarker(PID, (short) 0, 0, false, 0);
    txn(PID, "m", "1");
    log.appendTxnMarker(PID, (short) 0, 0, true, 0);
    fill(30);
    log.compact(fx.clock.get(), log.logEndOffset());
    assertThat(markers(log)).containsExactly("42:ABORT", "42:COMMIT");
    assertThat(log.abortedTransactions(0, log.logEndOffset())).hasSize(1);

    fx.clock.addAndGet(DELETE_RETENTION_MS);
    log.compact(fx.clock.get(), log.logEndOffset());

    assertThat(markers(log)).containsExactly("42:COMMIT");
    assertThat(log.abortedTransactions(0, log.logEndOffset())).isEmpty();
    List<String> committed = committed(log);
    log = fx.crashAndReopen();
    assertThat(log.abortedTransactions(0, log.logEndOffset())).isEmpty();
    assertThat(log.firstUnstableOffset()).isEqualTo(Long.MAX_VALUE);
    assertThat(committed(log)).isEqualTo(committed);
  }

  @Test
  void theLastBatchOfAProducerStaysSoItsSequenceSurvivesARestart() {
    open();
    log.append(new RecordBatchBuilder(CompressionType.NONE).producer(PID, (short) 0, 0)
        .append(fx.clock.get(), bytes("k"), bytes("1"), null).build(), 0);
    plain("k", "2");
    fill(30);
    log.compact(fx.clock.get(), log.logEndOffset());
    assertThat(uncommitted(log)).doesNotContain("k=1");

    log = fx.crashAndReopen();

    long next = log.append(new RecordBatchBuilder(CompressionType.NONE).producer(PID, (short) 0, 1)
        .append(fx.clock.get(), bytes("k"), bytes("3"), null).build(), 0).firstOffset();
    assertThat(next).isEqualTo(log.logEndOffset() - 1);
  }

  /**
   * Random plain writes and transactions of three producers, committed or aborted, with passes and clock jumps
   * between: no pass changes the key's latest value a read_committed reader sees, read_uncommitted never sees an
   * aborted record, and a restart and a follower copying the cleaned log read the same.
   */
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void passesKeepEveryKeysCommittedValueAndDropAbortedOnes(long seed) {
    open();
    Random random = new Random(seed);
    Map<Long, Boolean> open = new HashMap<>();
    List<String> abortedWrites = new ArrayList<>();
    Map<Long, List<String>> writesOfOpen = new HashMap<>();
    for (int step = 0; step < 400; step++) {
      int op = random.nextInt(10);
      long pid = 1 + random.nextInt(3);
      String write = "k" + random.nextInt(6) + "=" + seed + "-" + step;
      if (op < 3) {
        plain(write.split("=")[0], write.split("=")[1]);
      } else if (op < 7) {
        txn(pid, write.split("=")[0], write.split("=")[1]);
        open.put(pid, true);
        writesOfOpen.computeIfAbsent(pid, p -> new ArrayList<>()).add(write);
      } else if (op < 9 && open.remove(pid) != null) {
        boolean commit = random.nextBoolean();
        log.appendTxnMarker(pid, (short) 0, 0, commit, 0);
        List<String> writes = writesOfOpen.remove(pid);
        if (!commit) {
          abortedWrites.addAll(writes);
        }
      } else if (op == 9) {
        Map<String, String> before = latestCommitted(log);
        log.compact(fx.clock.get(), log.logEndOffset());
        assertThat(latestCommitted(log)).as("seed %d step %d", seed, step).isEqualTo(before);
        fx.clock.addAndGet(random.nextInt((int) DELETE_RETENTION_MS));
      }
    }
    for (long pid : open.keySet()) {
      log.appendTxnMarker(pid, (short) 0, 0, false, 0);
      abortedWrites.addAll(writesOfOpen.get(pid));
    }
    fill(30);
    Map<String, String> before = latestCommitted(log);
    log.compact(fx.clock.get(), log.logEndOffset());

    assertThat(latestCommitted(log)).as("seed %d", seed).isEqualTo(before);
    assertThat(uncommitted(log)).as("seed %d", seed).doesNotContainAnyElementsOf(abortedWrites);
    List<String> committed = committed(log);
    assertThat(committed(followerCopy())).as("a follower, seed %d", seed).isEqualTo(committed);
    assertThat(follower.log.firstUnstableOffset()).isEqualTo(log.firstUnstableOffset());
    log = fx.crashAndReopen();
    assertThat(committed(log)).as("after a restart, seed %d", seed).isEqualTo(committed);
    assertThat(uncommitted(log)).as("seed %d", seed).doesNotContainAnyElementsOf(abortedWrites);
  }

  // ---------------------------------------------------------------- helpers

  private void plain(String key, String value) {
    log.append(new RecordBatchBuilder(CompressionType.NONE).append(fx.clock.get(), bytes(key), bytes(value), null)
        .build(), 0);
  }

  private void txn(long pid, String key, String value) {
    int sequence = nextSequence.merge(pid, 1, Integer::sum) - 1;
    log.append(new RecordBatchBuilder(CompressionType.NONE).producer(pid, (short) 0, sequence).transactional()
        .append(fx.clock.get(), bytes(key), bytes(value), null).build(), 0);
  }

  /** Plain writes over three keys of their own, enough to close a few segments. */
  private void fill(int n) {
    for (int i = 0; i < n; i++) {
      plain("filler-" + fillers % 3, "x".repeat(40) + fillers++);
    }
  }

  private LocalPartitionLog followerCopy() {
    follower = new LogFixture(otherDir, COMPACT);
    LocalPartitionLog copy = follower.open();
    for (ByteBuffer batch : LogFixture.readAll(log, 0)) {
      copy.appendAsFollower(batch);
    }
    return copy;
  }

  /** "key=value" of every record a read_uncommitted reader gets, in offset order. */
  private static List<String> uncommitted(PartitionLog log) {
    List<String> out = new ArrayList<>();
    for (ByteBuffer b : LogFixture.readAll(log, 0)) {
      RecordBatch batch = RecordBatch.wrap(b);
      if (!batch.isControlBatch()) {
        batch.records().forEach(r -> out.add(str(r.key()) + "=" + str(r.value())));
      }
    }
    return out;
  }

  /** "key=value" of every record a read_committed reader gets (below the last stable offset), in offset order. */
  private static List<String> committed(PartitionLog log) {
    long stable = Math.min(log.logEndOffset(), log.firstUnstableOffset());
    AbortedBatches filter = AbortedBatches.of(log.abortedTransactions(0, stable));
    List<String> out = new ArrayList<>();
    for (ByteBuffer b : LogFixture.readAll(log, 0)) {
      RecordBatch batch = RecordBatch.wrap(b);
      if (!filter.skip(batch)) {
        for (Record r : batch.records()) {
          if (r.offset() < stable) {
            out.add(str(r.key()) + "=" + str(r.value()));
          }
        }
      }
    }
    return out;
  }

  private static Map<String, String> latestCommitted(PartitionLog log) {
    Map<String, String> latest = new LinkedHashMap<>();
    for (String kv : committed(log)) {
      latest.put(kv.split("=")[0], kv.split("=", 2)[1]);
    }
    return latest;
  }

  /** "pid:COMMIT" or "pid:ABORT" for every marker still in the log, in offset order. */
  private static List<String> markers(PartitionLog log) {
    return controlBatches(log).stream()
        .map(m -> m.producerId() + ":" + (ControlRecords.isCommit(m) ? "COMMIT" : "ABORT")).toList();
  }

  private static List<Long> horizons(PartitionLog log) {
    return controlBatches(log).stream().map(RecordBatch::deleteHorizonMs).toList();
  }

  private static List<RecordBatch> controlBatches(PartitionLog log) {
    return LogFixture.readAll(log, 0).stream().map(RecordBatch::wrap)
        .filter(b -> b.isControlBatch() && b.recordCount() > 0).toList();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String str(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }
}
