package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.RecordTooLargeException;
import io.sluice.errors.SluiceException;
import io.sluice.record.CompressionType;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Kafka's topic-level compression.type on a leader's append: each batch written in the topic's codec. */
class TopicCompressionAppendTest {
  private static final long PID = 77;
  private static final long T0 = 1_000_000L;

  @TempDir
  Path dir;
  LogFixture fx;

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private LocalPartitionLog open(Map<String, String> topicConfigs) {
    fx = new LogFixture(dir, LogFixture.smallSegments(1 << 20).with(topicConfigs));
    return fx.open();
  }

  private static ByteBuffer batch(CompressionType codec, int baseSequence, int records) {
    RecordBatchBuilder b = new RecordBatchBuilder(codec).producer(PID, (short) 0, baseSequence);
    for (int i = 0; i < records; i++) {
      b.append(T0 + i, ("k" + i).getBytes(StandardCharsets.UTF_8),
          ("value " + i + " ".repeat(200)).getBytes(StandardCharsets.UTF_8), List.of());
    }
    return b.build();
  }

  private static RecordBatch only(LocalPartitionLog log) {
    List<ByteBuffer> read = LogFixture.readAll(log, 0);
    assertThat(read).hasSize(1);
    RecordBatch batch = RecordBatch.wrap(read.get(0));
    batch.ensureValid();
    return batch;
  }

  @ParameterizedTest
  @CsvSource({"NONE, gzip, GZIP", "GZIP, zstd, ZSTD", "LZ4, uncompressed, NONE", "SNAPPY, producer, SNAPPY",
      "ZSTD, lz4, LZ4"})
  void theLeaderWritesEachBatchInTheTopicsCodec(CompressionType sent, String topicType, CompressionType stored) {
    LocalPartitionLog log = open(Map.of(LogConfig.COMPRESSION_TYPE, topicType));
    log.append(batch(sent, 0, 5), 0);

    RecordBatch batch = only(log);
    assertThat(batch.compressionType()).isEqualTo(stored);
    assertThat(batch.producerId()).isEqualTo(PID);
    assertThat(batch.baseSequence()).isEqualTo(0);
    assertThat(batch.recordCount()).isEqualTo(5);
    List<Record> records = batch.records();
    assertThat(records).extracting(Record::offset).containsExactly(0L, 1L, 2L, 3L, 4L);
    assertThat(records).extracting(Record::timestamp).containsExactly(T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4);
    assertThat(new String(records.get(3).key(), StandardCharsets.UTF_8)).isEqualTo("k3");
  }

  @Test
  void aRetryOfARecompressedBatchIsAnsweredAsTheFirstTime() {
    LocalPartitionLog log = open(Map.of(LogConfig.COMPRESSION_TYPE, "gzip"));
    AppendResult first = log.append(batch(CompressionType.NONE, 0, 3), 0);
    AppendResult retry = log.append(batch(CompressionType.NONE, 0, 3), 0);

    assertThat(retry.batchBaseOffsets()).isEqualTo(first.batchBaseOffsets());
    assertThat(log.logEndOffset()).isEqualTo(3);
  }

  @Test
  void aBatchTooLargeOnceDecompressedIsRefusedWithNothingWritten() {
    LocalPartitionLog log = open(Map.of(LogConfig.COMPRESSION_TYPE, "uncompressed", "max.message.bytes", "4000"));
    ByteBuffer compressed = batch(CompressionType.GZIP, 0, 40);
    assertThat(compressed.remaining()).isLessThan(4000);

    assertThatThrownBy(() -> log.append(compressed, 0)).isInstanceOf(RecordTooLargeException.class)
        .hasMessageContainingAll("orders-0", "compression.type uncompressed", "above max.message.bytes 4000")
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(ErrorCode.MESSAGE_TOO_LARGE));
    assertThat(log.logEndOffset()).isZero();
  }

  @Test
  void aChangeAtRuntimeAppliesToTheNextAppendAndFollowersCopyWhatTheLeaderWrote() {
    LocalPartitionLog log = open(Map.of());
    log.append(batch(CompressionType.NONE, 0, 2), 0);
    log.reconfigure(fx.config.with(Map.of(LogConfig.COMPRESSION_TYPE, "zstd")));
    log.append(batch(CompressionType.NONE, 2, 2), 0);

    List<ByteBuffer> read = LogFixture.readAll(log, 0);
    assertThat(RecordBatch.wrap(read.get(0)).compressionType()).isEqualTo(CompressionType.NONE);
    assertThat(RecordBatch.wrap(read.get(1)).compressionType()).isEqualTo(CompressionType.ZSTD);
    try (LogFixture follower = new LogFixture(dir.resolve("follower"), LogConfig.DEFAULT)) {
      LocalPartitionLog copy = follower.open();
      read.forEach(b -> copy.appendAsFollower(b.duplicate()));
      assertThat(RecordBatch.wrap(LogFixture.readAll(copy, 0).get(1)).compressionType())
          .isEqualTo(CompressionType.ZSTD);
    }
  }

  @Test
  void anUnknownCodecIsRefusedByTheConfig() {
    fx = new LogFixture(dir, LogConfig.DEFAULT);
    assertThatThrownBy(() -> LogConfig.DEFAULT.with(Map.of(LogConfig.COMPRESSION_TYPE, "none")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("compression.type must be one of [producer, uncompressed, gzip, snappy, lz4, zstd]");
  }
}
