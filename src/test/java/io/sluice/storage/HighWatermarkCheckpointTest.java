package io.sluice.storage;

import io.sluice.api.TopicPartition;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LogManager}'s high watermark checkpoint: what it keeps, what it forgets, what survives reopening. */
class HighWatermarkCheckpointTest {
  private static final TopicPartition A0 = new TopicPartition("a", 0);
  private static final TopicPartition A1 = new TopicPartition("a", 1);
  private static final TopicPartition B0 = new TopicPartition("b.x-y", 0);

  @TempDir
  Path dir;

  @Test
  void checkpointedHighWatermarksSurviveReopeningTheDataDirectory() {
    try (LogManager m = LogManager.open(dir)) {
      m.openLog(A0, LogConfig.DEFAULT);
      m.openLog(B0, LogConfig.DEFAULT);
      assertThat(m.checkpointedHighWatermark(A0)).isEmpty();
      m.checkpointHighWatermarks(Map.of(A0, 12L, B0, 7L));
      assertThat(m.checkpointedHighWatermark(A0)).hasValue(12);
    }
    try (LogManager m = LogManager.open(dir)) {
      assertThat(m.checkpointedHighWatermark(A0)).hasValue(12);
      assertThat(m.checkpointedHighWatermark(B0)).hasValue(7);
      assertThat(m.checkpointedHighWatermark(A1)).isEmpty();
    }
  }

  @Test
  void aPartitionLeftOutKeepsItsValueWhileItsLogExistsAndLosesItWhenDeleted() throws Exception {
    try (LogManager m = LogManager.open(dir)) {
      m.openLog(A0, LogConfig.DEFAULT);
      m.openLog(A1, LogConfig.DEFAULT);
      m.checkpointHighWatermarks(Map.of(A0, 5L, A1, 9L));
      m.checkpointHighWatermarks(Map.of(A0, 6L)); // A1 not open yet (or any more): keeps 9
      assertThat(m.checkpointedHighWatermark(A1)).hasValue(9);
      m.deleteLog(A1);
      assertThat(m.checkpointedHighWatermark(A1)).as("a topic created again starts afresh").isEmpty();
      m.checkpointHighWatermarks(Map.of(A0, 7L));
    }
    assertThat(Files.readString(dir.resolve(HighWatermarkCheckpoint.FILE))).isEqualTo("0\n1\na 0 7\n");
  }

  /** A topic may start with '.': its log directory is not one of the data directory's own hidden entries. */
  @Test
  void aPartitionOfATopicStartingWithADotKeepsItsValueWhenLeftOut() {
    TopicPartition hidden = new TopicPartition(".hidden", 0);
    try (LogManager m = LogManager.open(dir)) {
      m.openLog(A0, LogConfig.DEFAULT);
      m.openLog(hidden, LogConfig.DEFAULT);
      m.checkpointHighWatermarks(Map.of(A0, 5L, hidden, 9L));
      m.checkpointHighWatermarks(Map.of(A0, 6L));
      assertThat(m.checkpointedHighWatermark(hidden)).hasValue(9);
    }
  }

  @Test
  void anUnreadableCheckpointIsIgnoredAndReplacedByTheNextWrite() throws Exception {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(HighWatermarkCheckpoint.FILE), "0\n2\na 0 5\n"); // says 2 entries, holds 1
    try (LogManager m = LogManager.open(dir)) {
      assertThat(m.checkpointedHighWatermark(A0)).as("no value is better than a guess").isEmpty();
      m.openLog(A0, LogConfig.DEFAULT);
      m.checkpointHighWatermarks(Map.of(A0, 3L));
    }
    try (LogManager m = LogManager.open(dir)) {
      assertThat(m.checkpointedHighWatermark(A0)).hasValue(3);
    }
  }
}
