package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kafka's min.compaction.lag.ms and max.compaction.lag.ms on a compacted log. */
class CompactionLagTest {
  private static final LogConfig COMPACT = new LogConfig(1024, Long.MAX_VALUE / 2, 256, 1 << 20, -1, -1,
      Long.MAX_VALUE, Long.MAX_VALUE, 0, true, 10_000, LogConfig.DEFAULT_PRODUCER_ID_EXPIRATION_MS);

  @TempDir
  Path dir;
  LogFixture fx;

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private LocalPartitionLog open(Map<String, String> topicConfigs) {
    fx = new LogFixture(dir, COMPACT.with(topicConfigs));
    return fx.open();
  }

  /** {@code n} updates of 3 keys, stamped with the fixture's clock: enough to roll 1 KiB segments several times. */
  private void appendUpdates(LocalPartitionLog log, int n) {
    for (int i = 0; i < n; i++) {
      log.append(new RecordBatchBuilder(CompressionType.NONE).append(fx.clock.get(),
          ("key-" + i % 3).getBytes(StandardCharsets.UTF_8), ("value-" + i + "-".repeat(40))
              .getBytes(StandardCharsets.UTF_8), null).build(), 0);
    }
  }

  @Test
  void segmentsWithARecordYoungerThanTheMinLagAreNotCompactedUntilItPasses() {
    LocalPartitionLog log = open(Map.of("min.compaction.lag.ms", "5000"));
    appendUpdates(log, 100);
    long size = log.sizeInBytes();
    assertThat(log.segmentCount()).isGreaterThan(3);

    fx.clock.addAndGet(4_999);
    assertThat(log.compact(fx.clock.get(), log.logEndOffset())).isZero();
    assertThat(log.sizeInBytes()).isEqualTo(size);

    fx.clock.addAndGet(2);
    assertThat(log.compact(fx.clock.get(), log.logEndOffset())).isPositive();
    assertThat(log.sizeInBytes()).isLessThan(size / 2);
  }

  @Test
  void onlyTheSegmentsOlderThanTheMinLagAreCompacted() {
    LocalPartitionLog log = open(Map.of("min.compaction.lag.ms", "5000"));
    appendUpdates(log, 100);
    long oldEnd = log.logEndOffset();
    fx.clock.addAndGet(4_000);
    appendUpdates(log, 100);
    fx.clock.addAndGet(1_500);

    log.compact(fx.clock.get(), log.logEndOffset());

    // every update written 1.5 s ago is still there; of the older ones only the latest per key (and a segment's
    // last batch) stay
    long young = LogFixture.readAll(log, oldEnd).stream().mapToLong(b -> io.sluice.record.RecordBatch.wrap(b)
        .recordCount()).sum();
    assertThat(young).isGreaterThanOrEqualTo(100);
    long old = LogFixture.readAll(log, 0).stream().mapToLong(b -> io.sluice.record.RecordBatch.wrap(b)
        .recordCount()).sum() - young;
    assertThat(old).isLessThan(20);
  }

  @Test
  void theActiveSegmentOfACompactedLogRollsAtTheMaxLag() {
    LocalPartitionLog log = open(Map.of("segment.bytes", "1048576", "max.compaction.lag.ms", "1000"));
    appendUpdates(log, 2);
    fx.clock.addAndGet(1_000);
    appendUpdates(log, 1);
    assertThat(log.segmentCount()).isEqualTo(1);

    fx.clock.addAndGet(1);
    appendUpdates(log, 1);
    assertThat(log.segmentCount()).isEqualTo(2);
  }

  @Test
  void theMaxLagDoesNotRollALogThatIsNotCompacted() {
    fx = new LogFixture(dir, LogFixture.smallSegments(1 << 20).with(Map.of("max.compaction.lag.ms", "1000")));
    LocalPartitionLog log = fx.open();
    appendUpdates(log, 1);
    fx.clock.addAndGet(5_000);
    appendUpdates(log, 1);
    assertThat(log.segmentCount()).isEqualTo(1);
  }
}
