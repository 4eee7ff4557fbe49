package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.RecordTooLargeException;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An open log takes altered topic configs at once, without being reopened. */
class PartitionLogReconfigureTest {
  private static final LogConfig BASE = new LogConfig(64 * 1024, Long.MAX_VALUE / 2, 1024, 4096, -1, -1,
      Long.MAX_VALUE, Long.MAX_VALUE, 0);

  @TempDir
  Path dir;
  LogFixture fx;

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private LocalPartitionLog open(LogConfig config) {
    fx = new LogFixture(dir, config);
    return fx.open();
  }

  @Test
  void loweredRetentionDeletesOldSegmentsAtTheNextCheck() {
    LocalPartitionLog log = open(BASE.with(Map.of("segment.bytes", "2048")));
    for (int i = 0; i < 20; i++) {
      log.append(TestBatches.batch(5, 100, 100_000 + i, 0), 0);
    }
    assertThat(log.enforceRetention(1_000_000)).as("kept forever before").isZero();

    log.reconfigure(log.config().with(Map.of("retention.ms", "10000")));

    assertThat(log.enforceRetention(1_000_000)).isPositive();
    assertThat(log.logStartOffset()).isPositive();
  }

  @Test
  void segmentBytesAppliesToTheNextRoll() {
    LocalPartitionLog log = open(BASE);
    for (int i = 0; i < 10; i++) {
      log.append(TestBatches.batch(5, 100, 100_000 + i, 0), 0);
    }
    assertThat(log.segmentCount()).isEqualTo(1);

    log.reconfigure(log.config().with(Map.of("segment.bytes", "2048")));
    for (int i = 0; i < 10; i++) {
      log.append(TestBatches.batch(5, 100, 200_000 + i, 0), 0);
    }

    assertThat(log.segmentCount()).isGreaterThan(2);
  }

  @Test
  void raisedMaxMessageBytesLetsALargerBatchInAtOnce() {
    LocalPartitionLog log = open(BASE);
    ByteBuffer large = TestBatches.batch(1, 6000, 100_000, 0);
    assertThatThrownBy(() -> log.append(large.duplicate(), 0)).isInstanceOf(RecordTooLargeException.class);

    log.reconfigure(log.config().with(Map.of("max.message.bytes", "10000")));

    assertThat(log.append(large.duplicate(), 0).firstOffset()).isZero();
  }

  @Test
  void compactionStartsOnceTheTopicIsCompacted() {
    LocalPartitionLog log = open(BASE.with(Map.of("segment.bytes", "1024")));
    for (int i = 0; i < 40; i++) {
      log.append(new RecordBatchBuilder(CompressionType.NONE).append(fx.clock.get(), bytes("key-" + i % 3),
          bytes("value-" + i), null).build(), 0);
    }
    assertThat(log.compact(fx.clock.get(), log.logEndOffset())).as("not compacted before").isZero();

    log.reconfigure(log.config().with(Map.of("cleanup.policy", "compact")));

    assertThat(log.compact(fx.clock.get(), log.logEndOffset())).isPositive();
  }

  @Test
  void whatALiveLogCannotTakeIsRefused() {
    LocalPartitionLog log = open(BASE.with(Map.of("cleanup.policy", "compact")));

    assertThatThrownBy(() -> log.reconfigure(log.config().with(Map.of("index.interval.bytes", "4096"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("index.interval.bytes");
    assertThatThrownBy(() -> log.reconfigure(log.config().with(Map.of("cleanup.policy", "delete"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("compacted");
    assertThat(log.config().compact()).isTrue();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
