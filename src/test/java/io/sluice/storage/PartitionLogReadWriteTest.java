package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.InvalidRecordException;
import io.sluice.errors.OffsetOutOfRangeException;
import io.sluice.record.RecordBatch;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionLogReadWriteTest {
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

  /** Appends a random batch, records it in the model, returns the stored batch. */
  static void appendRandom(PartitionLog log, LogModel model, Random random, long[] tsCursor) {
    int count = 1 + random.nextInt(random.nextInt(10) == 0 ? 200 : 8);
    long[] ts = new long[count];
    for (int i = 0; i < count; i++) {
      tsCursor[0] += random.nextInt(20) - 5; // mostly growing, sometimes going back
      ts[i] = tsCursor[0];
    }
    ByteBuffer batch = TestBatches.batch(ts, random.nextInt(300));
    AppendResult r = log.append(batch, 7);
    assertThat(r.firstOffset()).isEqualTo(model.logEnd());
    model.add(batch, ts);
    assertThat(r.logEndOffset()).isEqualTo(model.logEnd());
  }

  static void checkAgainstModel(PartitionLog log, LogModel model, Random random, int lookups) {
    assertThat(log.logEndOffset()).isEqualTo(model.logEnd());
    for (int i = 0; i < lookups; i++) {
      long offset = model.logStart + random.nextLong(model.logEnd() - model.logStart + 1);
      int maxBytes = random.nextInt(3) == 0 ? 10 : random.nextInt(20_000);
      long maxOffset = random.nextBoolean() ? Long.MAX_VALUE : offset + random.nextInt(300);
      model.checkRead(log.read(offset, maxBytes, maxOffset), offset, maxBytes, maxOffset);
      long ts = model.recordTimestamps.get((int) Math.min(offset, model.logEnd() - 1)) + random.nextInt(11) - 5;
      assertThat(log.offsetForTimestamp(ts)).as("offsetForTimestamp(%d)", ts)
          .isEqualTo(model.offsetForTimestamp(ts));
    }
  }

  @Test
  void randomReadsAndTimestampLookupsMatchModelAcrossRollsAndReopen() {
    long seed = Long.getLong("storage.test.seed", 20240611L);
    Random random = new Random(seed);
    System.out.println("seed " + seed + " (replay with -Dstorage.test.seed=" + seed + ")");
    LocalPartitionLog log = open(LogFixture.smallSegments(16 * 1024));
    LogModel model = new LogModel();
    long[] ts = {1_000};
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 300; i++) {
        appendRandom(log, model, random, ts);
      }
      checkAgainstModel(log, model, random, 300);
      log = round == 1 ? fx.crashAndReopen() : fx.reopenClean();
      checkAgainstModel(log, model, random, 300);
    }
    assertThat(log.segmentCount()).as("rolled several segments").isGreaterThan(5);
  }

  @Test
  void appendAssignsConsecutiveOffsetsAndLeaderEpoch() {
    LocalPartitionLog log = open(LogConfig.DEFAULT);
    AppendResult first = log.append(TestBatches.concat(TestBatches.batch(3, 10, 100, 1),
        TestBatches.batch(2, 10, 200, 1)), 5);
    assertThat(first.batchBaseOffsets()).containsExactly(0L, 3L);
    assertThat(first.lastOffset()).isEqualTo(4);
    assertThat(first.maxTimestamp()).isEqualTo(201);
    AppendResult second = log.append(TestBatches.batch(1, 10, 300, 1), 6);
    assertThat(second.firstOffset()).isEqualTo(5);
    ByteBuffer bytes = log.read(0, 1 << 20, Long.MAX_VALUE).readBytes();
    RecordBatch b = RecordBatch.wrap(bytes);
    b.ensureValid();
    assertThat(b.partitionLeaderEpoch()).isEqualTo(5);
    bytes.position(bytes.position() + b.sizeInBytes());
    assertThat(RecordBatch.wrap(bytes).baseOffset()).isEqualTo(3);
  }

  @Test
  void readReturnsOneWholeBatchEvenIfLargerThanMaxBytes() {
    LocalPartitionLog log = open(LogConfig.DEFAULT);
    ByteBuffer big = TestBatches.batch(100, 1000, 0, 1);
    log.append(big, 0);
    log.append(TestBatches.batch(1, 10, 0, 1), 0);
    ReadResult r = log.read(50, 100, Long.MAX_VALUE);
    assertThat(r.length()).isEqualTo(big.remaining());
    assertThat(r.position()).isZero();
    assertThat(r.nextOffset()).isEqualTo(100);
  }

  @Test
  void aReadGoesIntoADirectTargetAtItsPositionAsReadBytesWouldHaveIt() {
    LocalPartitionLog log = open(LogConfig.DEFAULT);
    log.append(TestBatches.batch(3, 10, 100, 1), 0);
    log.append(TestBatches.batch(2, 10, 200, 1), 0);
    ReadResult r = log.read(3, 1 << 20, Long.MAX_VALUE);
    ByteBuffer target = ByteBuffer.allocateDirect(r.length() + 8).position(4);
    r.readInto(target);
    assertThat(target.position()).isEqualTo(4 + r.length());
    assertThat(target.flip().position(4)).isEqualTo(r.readBytes());
    assertThatThrownBy(() -> r.readInto(ByteBuffer.allocateDirect(r.length() - 1)))
        .isInstanceOf(java.nio.BufferOverflowException.class);
  }

  @Test
  void readStopsBeforeMaxOffset() {
    LocalPartitionLog log = open(LogConfig.DEFAULT);
    for (int i = 0; i < 5; i++) {
      log.append(TestBatches.batch(10, 10, 0, 1), 0);
    }
    ReadResult r = log.read(0, 1 << 20, 30);
    assertThat(r.nextOffset()).isEqualTo(30);
    assertThat(log.read(30, 1 << 20, 30).isEmpty()).isTrue();
    assertThat(log.read(25, 1 << 20, 25).isEmpty()).isTrue();
  }

  @Test
  void readAtLogEndIsEmptyAndOutsideTheLogThrows() {
    LocalPartitionLog log = open(LogConfig.DEFAULT);
    log.append(TestBatches.batch(10, 10, 0, 1), 0);
    ReadResult atEnd = log.read(10, 1000, Long.MAX_VALUE);
    assertThat(atEnd.isEmpty()).isTrue();
    assertThat(atEnd.nextOffset()).isEqualTo(10);
    assertThatThrownBy(() -> log.read(11, 1000, Long.MAX_VALUE)).isInstanceOf(OffsetOutOfRangeException.class)
        .hasMessageContaining("orders-0").hasMessageContaining("11");
    assertThatThrownBy(() -> log.read(-1, 1000, Long.MAX_VALUE)).isInstanceOf(OffsetOutOfRangeException.class);
  }

  @Test
  void segmentRollsBeforeExceedingSegmentBytes() {
    LocalPartitionLog log = open(LogFixture.smallSegments(4096));
    ByteBuffer batch = TestBatches.batch(10, 100, 0, 1); // ~1.3 KB
    int size = batch.remaining();
    for (int i = 0; i < 10; i++) {
      log.append(TestBatches.batch(10, 100, 0, 1), 0);
    }
    int perSegment = 4096 / size;
    assertThat(log.segmentCount()).isEqualTo((10 + perSegment - 1) / perSegment);
    for (Path p : log.segmentFiles()) {
      assertThat(p.toFile().length()).isLessThanOrEqualTo(4096);
    }
    assertThat(log.segmentFiles().get(1).getFileName().toString())
        .isEqualTo(String.format("%020d.log", perSegment * 10));
  }

  @Test
  void segmentRollsWhenFirstBatchIsOlderThanSegmentMs() {
    LogConfig config = new LogConfig(1 << 20, 1000, 4096, 1 << 20, -1, -1, Long.MAX_VALUE, Long.MAX_VALUE, 0);
    LocalPartitionLog log = open(config);
    log.append(TestBatches.batch(1, 10, 10_000, 1), 0);
    log.append(TestBatches.batch(1, 10, 10_900, 1), 0);
    assertThat(log.segmentCount()).isEqualTo(1);
    log.append(TestBatches.batch(1, 10, 11_001, 1), 0);
    assertThat(log.segmentCount()).isEqualTo(2);
    assertThat(log.read(2, 1000, Long.MAX_VALUE).position()).isZero();
  }

  @Test
  void followerAppendKeepsOffsetsAndEpochsAndRequiresContiguity() {
    LocalPartitionLog log = open(LogConfig.DEFAULT);
    ByteBuffer b = TestBatches.batch(5, 10, 0, 1);
    RecordBatch.wrap(b).setPartitionLeaderEpoch(9);
    log.appendAsFollower(b);
    ByteBuffer gap = TestBatches.batch(5, 10, 0, 1);
    RecordBatch.wrap(gap).setBaseOffset(6);
    assertThatThrownBy(() -> log.appendAsFollower(gap)).isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("offset 6").hasMessageContaining("5 was expected");
    ByteBuffer next = TestBatches.batch(5, 10, 0, 1);
    RecordBatch.wrap(next).setBaseOffset(5);
    RecordBatch.wrap(next).setPartitionLeaderEpoch(10);
    assertThat(log.appendAsFollower(next).logEndOffset()).isEqualTo(10);
    RecordBatch read = RecordBatch.wrap(log.read(5, 1000, Long.MAX_VALUE).readBytes());
    assertThat(read.partitionLeaderEpoch()).isEqualTo(10);
    assertThat(read.baseOffset()).isEqualTo(5);
  }

  @Test
  void offsetForTimestampFindsTheExactRecordInsideACompressedBatch() {
    LocalPartitionLog log = open(LogConfig.DEFAULT);
    log.append(TestBatches.batch(5, 10, 100, 1), 0);
    io.sluice.record.RecordBatchBuilder builder =
        new io.sluice.record.RecordBatchBuilder(io.sluice.record.CompressionType.GZIP);
    for (int i = 0; i < 10; i++) {
      builder.append(200 + i * 10, null, new byte[50], java.util.List.of());
    }
    log.append(builder.build(), 0);
    assertThat(log.offsetForTimestamp(235)).hasValue(5 + 4);
    assertThat(log.offsetForTimestamp(150)).hasValue(5);
    assertThat(log.offsetForTimestamp(291)).isEmpty();
  }

  @Test
  void segmentFilesAreNamedByZeroPaddedBaseOffset() throws Exception {
    open(LogConfig.DEFAULT);
    assertThat(Files.exists(dir.resolve("orders-0").resolve("00000000000000000000.log"))).isTrue();
  }
}
