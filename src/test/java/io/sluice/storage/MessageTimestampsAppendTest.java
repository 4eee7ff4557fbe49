package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.TimestampType;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Kafka's message.timestamp.* topic configs on a leader's append: bounds under CreateTime, stamping under LogAppendTime. */
class MessageTimestampsAppendTest {
  private static final long HOUR = 3_600_000L;

  @TempDir
  Path dir;
  LogFixture fx;

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private LocalPartitionLog open(Map<String, String> topicConfigs) {
    fx = new LogFixture(dir, LogFixture.smallSegments(1 << 20).with(topicConfigs));
    fx.clock.set(10 * HOUR);
    return fx.open();
  }

  private static void assertRefused(LocalPartitionLog log, ByteBuffer batch, String... messageParts) {
    long end = log.logEndOffset();
    assertThatThrownBy(() -> log.append(batch, 0)).isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(ErrorCode.INVALID_TIMESTAMP))
        .hasMessageContainingAll(messageParts);
    assertThat(log.logEndOffset()).isEqualTo(end);
  }

  @Test
  void createTimeRefusesARecordMoreThanAnHourAheadByDefault() {
    LocalPartitionLog log = open(Map.of());
    assertThat(log.append(TestBatches.batch(2, 10, 10 * HOUR + HOUR - 1, 1), 0).logAppendTimeMs()).isEqualTo(-1L);
    assertRefused(log, TestBatches.batch(2, 10, 11 * HOUR, 1), "orders-0", "message.timestamp.after.max.ms",
        "allows 3600000");
    assertThat(log.logEndOffset()).isEqualTo(2);
  }

  @Test
  void anyPastIsAcceptedByDefaultAndRefusedPastBeforeMaxMs() {
    LocalPartitionLog log = open(Map.of());
    log.append(TestBatches.batch(1, 10, 0, 1), 0);
    fx.log.reconfigure(fx.config.with(Map.of(MessageTimestamps.BEFORE_MAX_MS, Long.toString(HOUR))));
    // the batch's max timestamp is recent; its first record is not: the bound applies to every record
    assertRefused(log, TestBatches.batch(new long[] {8 * HOUR, 10 * HOUR}, 10), "message.timestamp.before.max.ms",
        "timestamp " + 8 * HOUR);
    log.append(TestBatches.batch(new long[] {9 * HOUR, 10 * HOUR}, 10), 0);
    assertThat(log.logEndOffset()).isEqualTo(3);
  }

  @Test
  void logAppendTimeStampsEveryBatchWithTheLeadersClockAndFollowersKeepIt() {
    LocalPartitionLog log = open(Map.of(MessageTimestamps.TYPE, MessageTimestamps.LOG_APPEND_TIME));
    // far outside both bounds: under LogAppendTime the producer's timestamps do not matter
    AppendResult r = log.append(TestBatches.batch(3, 10, 50 * HOUR, 1), 0);
    assertThat(r.maxTimestamp()).isEqualTo(10 * HOUR);
    assertThat(r.logAppendTimeMs()).as("the produce answer's log_append_time_ms").isEqualTo(10 * HOUR);

    List<ByteBuffer> read = LogFixture.readAll(log, 0);
    RecordBatch batch = RecordBatch.wrap(read.get(0));
    batch.ensureValid();
    assertThat(batch.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
    assertThat(batch.maxTimestamp()).isEqualTo(10 * HOUR);
    for (Record record : batch.records()) {
      assertThat(record.timestamp()).isEqualTo(10 * HOUR);
    }
    assertThat(log.offsetForTimestamp(10 * HOUR)).hasValue(0);

    try (LogFixture follower = new LogFixture(dir.resolve("follower"), fx.config)) {
      follower.clock.set(99 * HOUR);
      follower.open().appendAsFollower(read.get(0).duplicate());
      RecordBatch copy = RecordBatch.wrap(LogFixture.readAll(follower.log, 0).get(0));
      assertThat(copy.timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
      assertThat(copy.maxTimestamp()).isEqualTo(10 * HOUR);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {MessageTimestamps.CREATE_TIME, MessageTimestamps.LOG_APPEND_TIME})
  void aProducerCannotSetLogAppendTimeItself(String topicType) {
    LocalPartitionLog log = open(Map.of(MessageTimestamps.TYPE, topicType));
    ByteBuffer stamped = TestBatches.batch(1, 10, 10 * HOUR, 1);
    RecordBatch.wrap(stamped).setMaxTimestamp(TimestampType.LOG_APPEND_TIME, -5);
    assertRefused(log, stamped, "LogAppendTime", "a producer sends CreateTime");
  }

  @Test
  void switchingToLogAppendTimeAtRuntimeAppliesAtTheNextAppend() {
    LocalPartitionLog log = open(Map.of());
    log.append(TestBatches.batch(1, 10, 10 * HOUR - 5, 1), 0);
    log.reconfigure(fx.config.with(Map.of(MessageTimestamps.TYPE, MessageTimestamps.LOG_APPEND_TIME)));
    fx.clock.set(10 * HOUR + 7);
    log.append(TestBatches.batch(1, 10, 10 * HOUR - 5, 1), 0);
    List<ByteBuffer> read = LogFixture.readAll(log, 0);
    assertThat(RecordBatch.wrap(read.get(0)).timestampType()).isEqualTo(TimestampType.CREATE_TIME);
    assertThat(RecordBatch.wrap(read.get(0)).maxTimestamp()).isEqualTo(10 * HOUR - 5);
    assertThat(RecordBatch.wrap(read.get(1)).timestampType()).isEqualTo(TimestampType.LOG_APPEND_TIME);
    assertThat(RecordBatch.wrap(read.get(1)).maxTimestamp()).isEqualTo(10 * HOUR + 7);
  }

  @Test
  void aRetryAnsweredFromTheProducersSequenceCarriesTheFirstAppendsStamp() {
    LocalPartitionLog log = open(Map.of(MessageTimestamps.TYPE, MessageTimestamps.LOG_APPEND_TIME));
    java.util.function.Supplier<ByteBuffer> sent = () -> new io.sluice.record.RecordBatchBuilder(
        io.sluice.record.CompressionType.NONE).producer(42, (short) 0, 0)
        .append(5L, null, "v".getBytes(), List.of()).build();
    assertThat(log.append(sent.get(), 0).logAppendTimeMs()).isEqualTo(10 * HOUR);
    fx.clock.set(10 * HOUR + 9);

    AppendResult retry = log.append(sent.get(), 0);

    assertThat(retry.batchBaseOffsets()).containsExactly(0L);
    assertThat(log.logEndOffset()).as("written once").isEqualTo(1);
    assertThat(retry.logAppendTimeMs()).as("the stamp the record is stored with").isEqualTo(10 * HOUR);
  }
}
