package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.record.CompressionType;
import io.sluice.record.Header;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogCleanerTest {
  private static final long DELETE_RETENTION_MS = 10_000;
  private static final LogConfig COMPACT = new LogConfig(1024, Long.MAX_VALUE / 2, 256, 1 << 20, -1, -1,
      Long.MAX_VALUE, Long.MAX_VALUE, 0, true, DELETE_RETENTION_MS, LogConfig.DEFAULT_PRODUCER_ID_EXPIRATION_MS);

  @TempDir
  Path dir;
  @TempDir
  Path otherDir;
  LogFixture fx;
  LogFixture follower;
  /** offset -> record appended, as the model of what the log holds before compaction. */
  final TreeMap<Long, String[]> appended = new TreeMap<>();

  @AfterEach
  void tearDown() {
    fx.close();
    if (follower != null) {
      follower.close();
    }
  }

  /** Appends {@code n} one-or-two-record batches cycling over {@code keys} keys; some batches are compressed. */
  private void appendUpdates(PartitionLog log, int n, int keys, int round) {
    for (int i = 0; i < n; i++) {
      CompressionType compression = i % 3 == 0 ? CompressionType.GZIP : CompressionType.NONE;
      RecordBatchBuilder b = new RecordBatchBuilder(compression);
      int records = i % 2 == 0 ? 2 : 1;
      List<String[]> added = new ArrayList<>();
      for (int j = 0; j < records; j++) {
        String key = "key-" + ((i * 2 + j) % keys);
        String value = "value-" + round + "-" + i + "-" + j;
        b.append(fx.clock.get(), bytes(key), bytes(value), null);
        added.add(new String[] {key, value});
      }
      long base = log.append(b.build(), 0).firstOffset();
      for (int j = 0; j < added.size(); j++) {
        appended.put(base + j, added.get(j));
      }
    }
  }

  private void appendTombstone(PartitionLog log, String key) {
    long offset = log.append(new RecordBatchBuilder(CompressionType.NONE).append(fx.clock.get(), bytes(key), null,
        null).build(), 0).firstOffset();
    appended.put(offset, new String[] {key, null});
  }

  @Test
  void compactionKeepsTheLatestRecordPerKeyAtItsOffset() {
    fx = new LogFixture(dir, COMPACT);
    LocalPartitionLog log = fx.open();
    appendUpdates(log, 200, 7, 0);
    int segmentsBefore = log.segmentCount();
    long sizeBefore = log.sizeInBytes();
    long endBefore = log.logEndOffset();
    long activeBase = baseOfActive(log);

    assertThat(log.compact(fx.clock.get(), log.logEndOffset())).isPositive();

    assertThat(log.logEndOffset()).isEqualTo(endBefore);
    assertThat(log.logStartOffset()).isZero();
    assertThat(log.sizeInBytes()).isLessThan(sizeBefore / 4);
    assertThat(log.segmentCount()).isLessThan(segmentsBefore);
    assertThat(records(log, 0)).isEqualTo(expectedAfterCompaction(activeBase));
    assertThat(log.compact(fx.clock.get(), log.logEndOffset())).as("nothing rolled since the last pass").isZero();
  }

  @Test
  void readsFromAnyOffsetInAGapReturnTheNextRetainedRecords() {
    fx = new LogFixture(dir, COMPACT);
    LocalPartitionLog log = fx.open();
    appendUpdates(log, 120, 3, 0);
    long activeBase = baseOfActive(log);
    log.compact(fx.clock.get(), log.logEndOffset());
    Map<Long, String> expected = expectedAfterCompaction(activeBase);
    for (long from = 0; from < log.logEndOffset(); from += 7) {
      long f = from;
      Map<Long, String> tail = new LinkedHashMap<>();
      expected.forEach((o, v) -> {
        if (o >= f) {
          tail.put(o, v);
        }
      });
      assertThat(records(log, from)).as("from offset %d", from).isEqualTo(tail);
    }
  }

  @Test
  void aCompactedLogReopensWithItsGapsAfterACleanShutdownAndAfterACrash() {
    fx = new LogFixture(dir, COMPACT);
    LocalPartitionLog log = fx.open();
    appendUpdates(log, 150, 5, 0);
    long activeBase = baseOfActive(log);
    log.compact(fx.clock.get(), log.logEndOffset());
    Map<Long, String> expected = expectedAfterCompaction(activeBase);
    long end = log.logEndOffset();

    log = fx.reopenClean();
    assertThat(log.recoveryScannedBytes()).isZero();
    assertThat(records(log, 0)).isEqualTo(expected);

    log = fx.crashAndReopen();
    assertThat(log.logEndOffset()).isEqualTo(end);
    assertThat(records(log, 0)).isEqualTo(expected);
    appendUpdates(log, 1, 5, 1);
    assertThat(log.logEndOffset()).isGreaterThan(end);
  }

  @Test
  void anUnfinishedCleanedFileIsDeletedOnOpenAndTheOldSegmentsStay() throws Exception {
    fx = new LogFixture(dir, COMPACT);
    LocalPartitionLog log = fx.open();
    appendUpdates(log, 100, 4, 0);
    Map<Long, String> all = allAppended();
    Path partitionDir = log.dir();
    fx.crash();
    Path leftover = partitionDir.resolve(Segment.fileName(0) + LogCleaner.CLEANED_SUFFIX);
    Files.write(leftover, new byte[] {1, 2, 3, 4, 5});

    log = fx.open();

    assertThat(leftover).doesNotExist();
    assertThat(records(log, 0)).isEqualTo(all);
  }

  @Test
  void aCommittedSwapLeftByACrashIsCompletedOnOpen() throws Exception {
    fx = new LogFixture(dir, COMPACT);
    LocalPartitionLog log = fx.open();
    appendUpdates(log, 100, 4, 0);
    long activeBase = baseOfActive(log);
    Map<Long, String> expected = expectedAfterCompaction(activeBase);
    // The same appends in a second log, compacted: its first segment is what the first log's swap would hold.
    follower = new LogFixture(otherDir, COMPACT);
    LocalPartitionLog twin = follower.open();
    for (ByteBuffer batch : LogFixture.readAll(log, 0)) {
      twin.appendAsFollower(batch);
    }
    twin.compact(fx.clock.get(), twin.logEndOffset());
    assertThat(twin.segmentCount()).isEqualTo(2);
    byte[] cleaned = Files.readAllBytes(twin.segmentFiles().get(0));
    Path partitionDir = log.dir();
    fx.crash();
    Files.write(partitionDir.resolve(LogCleaner.swapName(0, activeBase)), cleaned);
    Files.delete(partitionDir.resolve(Segment.fileName(0))); // the crash came after the first deletion

    log = fx.open();

    assertThat(records(log, 0)).isEqualTo(expected);
    assertThat(log.segmentCount()).isEqualTo(2);
    try (Stream<Path> files = Files.list(partitionDir)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(LogCleaner.SWAP_SUFFIX));
    }
  }

  /**
   * A stream task's changelog: key "a" changed by input 1 (before the checkpoint at input 2, whose bound marker says
   * sequence {@code 2 << 16}) and by input 5 (after it, written just before a crash). Compaction must keep input 1's
   * value, which a restore to the checkpoint applies while it skips input 5's; once a later checkpoint's marker passes
   * input 5, the older value goes, and so do the older markers.
   */
  @Test
  void recordsAtOrAboveTheCompactionBoundSupersedeNothing() {
    fx = new LogFixture(dir, COMPACT);
    LocalPartitionLog log = fx.open();
    appendSequenced(log, "a", "from-input-1", 1L << 16);
    appendBound(log, 2L << 16);
    appendSequenced(log, "a", "from-input-5", 5L << 16);
    appendUpdates(log, 60, 4, 0); // other keys, without sequences: segments roll past both records of "a"
    assertThat(baseOfActive(log)).isGreaterThan(10);

    assertThat(log.compact(fx.clock.get(), log.logEndOffset())).isPositive();
    assertThat(valuesOf(log, "a")).containsExactly("from-input-1", "from-input-5");

    appendBound(log, 6L << 16);
    appendUpdates(log, 60, 4, 1);
    assertThat(log.compact(fx.clock.get(), log.logEndOffset())).isPositive();
    assertThat(valuesOf(log, "a")).containsExactly("from-input-5");
    assertThat(markers(log)).as("only the latest marker stays").containsExactly(6L << 16);
  }

  private void appendSequenced(PartitionLog log, String key, String value, long seq) {
    log.append(new RecordBatchBuilder(CompressionType.NONE).append(fx.clock.get(), bytes(key), bytes(value),
        List.of(Header.of(RecordBatch.SEQUENCE_HEADER, Long.toString(seq)))).build(), 0);
  }

  private void appendBound(PartitionLog log, long seq) {
    log.append(new RecordBatchBuilder(CompressionType.NONE).append(fx.clock.get(), null, null,
        List.of(Header.of(RecordBatch.COMPACTION_BOUND_HEADER, Long.toString(seq)))).build(), 0);
  }

  private static List<String> valuesOf(PartitionLog log, String key) {
    return recordList(log).stream().filter(r -> key.equals(r[0])).map(r -> r[1]).toList();
  }

  private static List<Long> markers(PartitionLog log) {
    List<Long> out = new ArrayList<>();
    for (ByteBuffer b : LogFixture.readAll(log, 0)) {
      for (Record r : RecordBatch.wrap(b).records()) {
        for (Header h : r.headers()) {
          if (h.key().equals(RecordBatch.COMPACTION_BOUND_HEADER)) {
            out.add(Long.parseLong(str(h.value())));
          }
        }
      }
    }
    return out;
  }

  @Test
  void tombstonesStayForDeleteRetentionThenGo() {
    fx = new LogFixture(dir, COMPACT);
    LocalPartitionLog log = fx.open();
    appendUpdates(log, 40, 4, 0);
    appendTombstone(log, "key-1");
    appendUpdates(log, 40, 3, 1); // keys 0..2 only; key-1 is written again here, key-3 not
    appendTombstone(log, "key-3");
    appendUpdates(log, 40, 3, 2);
    log.compact(fx.clock.get(), log.logEndOffset());
    assertThat(keysWithValue(log, null)).contains("key-3");

    fx.clock.addAndGet(DELETE_RETENTION_MS + 1);
    assertThat(log.compact(fx.clock.get(), log.logEndOffset())).as("a kept tombstone fell due").isPositive();

    List<String[]> left = recordList(log);
    assertThat(left).noneMatch(r -> r[0].equals("key-3"));
    assertThat(left).anyMatch(r -> r[0].equals("key-1"));
  }

  @Test
  void aFollowerCopiesACompactedLeaderWithItsGaps() {
    fx = new LogFixture(dir, COMPACT);
    LocalPartitionLog log = fx.open();
    appendUpdates(log, 150, 6, 0);
    long activeBase = baseOfActive(log);
    log.compact(fx.clock.get(), log.logEndOffset());
    follower = new LogFixture(otherDir, COMPACT);
    LocalPartitionLog copy = follower.open();

    for (ByteBuffer batch : LogFixture.readAll(log, 0)) {
      copy.appendAsFollower(batch);
    }

    assertThat(copy.logEndOffset()).isEqualTo(log.logEndOffset());
    assertThat(records(copy, 0)).isEqualTo(expectedAfterCompaction(activeBase));
    copy = follower.crashAndReopen();
    assertThat(records(copy, 0)).isEqualTo(expectedAfterCompaction(activeBase));
  }

  @Test
  void onlySegmentsBelowTheHighWatermarkAreCleanedAndOnlyRecordsBelowItSupersede() {
    fx = new LogFixture(dir, COMPACT);
    LocalPartitionLog log = fx.open();
    appendUpdates(log, 200, 3, 0);
    List<Path> before = log.segmentFiles();
    long highWatermark = Segment.parseBaseOffset(before.get(before.size() / 2).getFileName().toString()) + 1;
    Map<Long, String> all = allAppended();

    assertThat(log.compact(fx.clock.get(), highWatermark)).isPositive();

    // Below the high watermark: each key's latest record below it, however many updates follow above it.
    Map<String, Long> latestBelow = new java.util.HashMap<>();
    appended.forEach((o, kv) -> {
      if (o < highWatermark) {
        latestBelow.put(kv[0], o);
      }
    });
    long firstUncleaned = Segment.parseBaseOffset(before.get(before.size() / 2).getFileName().toString());
    Map<Long, String> expected = new LinkedHashMap<>();
    all.forEach((o, v) -> {
      if (o >= firstUncleaned || latestBelow.containsValue(o)) {
        expected.put(o, v);
      }
    });
    assertThat(records(log, 0)).isEqualTo(expected);
  }

  @Test
  void aLogWithoutCompactPolicyIsNeverCompacted() {
    fx = new LogFixture(dir, LogFixture.smallSegments(1024));
    LocalPartitionLog log = fx.open();
    appendUpdates(log, 100, 2, 0);
    long size = log.sizeInBytes();
    assertThat(log.compact(fx.clock.get(), log.logEndOffset())).isZero();
    assertThat(log.sizeInBytes()).isEqualTo(size);
  }

  // ---------------------------------------------------------------- helpers

  private static long baseOfActive(LocalPartitionLog log) {
    List<Path> files = log.segmentFiles();
    return Segment.parseBaseOffset(files.get(files.size() - 1).getFileName().toString());
  }

  /** What compaction must leave: below the active segment the latest record per key; from it, everything. */
  private Map<Long, String> expectedAfterCompaction(long activeBase) {
    Map<String, Long> latest = new java.util.HashMap<>();
    appended.forEach((o, kv) -> latest.put(kv[0], o));
    Map<Long, String> out = new LinkedHashMap<>();
    appended.forEach((o, kv) -> {
      if (o >= activeBase || latest.get(kv[0]).equals(o)) {
        out.put(o, kv[0] + "=" + kv[1]);
      }
    });
    return out;
  }

  private Map<Long, String> allAppended() {
    Map<Long, String> out = new LinkedHashMap<>();
    appended.forEach((o, kv) -> out.put(o, kv[0] + "=" + kv[1]));
    return out;
  }

  /** offset -> "key=value" of every record from {@code from}, checking offsets only increase. */
  private static Map<Long, String> records(PartitionLog log, long from) {
    Map<Long, String> out = new LinkedHashMap<>();
    long last = -1;
    for (ByteBuffer b : LogFixture.readAll(log, from)) {
      for (Record r : RecordBatch.wrap(b).records()) {
        assertThat(r.offset()).isGreaterThan(last);
        last = r.offset();
        if (r.offset() >= from) {
          out.put(r.offset(), str(r.key()) + "=" + str(r.value()));
        }
      }
    }
    return out;
  }

  private static List<String[]> recordList(PartitionLog log) {
    List<String[]> out = new ArrayList<>();
    for (ByteBuffer b : LogFixture.readAll(log, 0)) {
      for (Record r : RecordBatch.wrap(b).records()) {
        out.add(new String[] {str(r.key()), str(r.value())});
      }
    }
    return out;
  }

  private static List<String> keysWithValue(PartitionLog log, String value) {
    return recordList(log).stream().filter(r -> java.util.Objects.equals(r[1], value)).map(r -> r[0]).toList();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String str(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }
}
