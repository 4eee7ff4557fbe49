package io.sluice.storage;

import io.sluice.api.TopicPartition;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The high watermarks of a data directory's replicas (Kafka's {@code replication-offset-checkpoint}): what each
 * replica last knew to be committed, so that a restarted replica neither hides committed records from consumers
 * until its followers fetch again nor shows them a high watermark that went backwards.
 *
 * <p><b>On disk</b>: {@code <data-dir>/replication-offset-checkpoint}, ASCII text: a version line {@code 0}, a count
 * line, then one {@code <topic> <partition> <highWatermark>} line per partition (topic names hold no spaces). Every
 * write replaces the whole file through {@link AtomicFile} (temp file, fsync, rename, directory fsync), so a crash
 * leaves the previous or the new content.
 *
 * <p><b>Why a file and not RocksDB</b>: the index database holds derived data only and may be thrown away and
 * rebuilt from the segments (a corrupt one is moved aside); a high watermark cannot be derived from the segments,
 * so, like the log start checkpoint, it lives in a file of its own. One file per data directory, not one per
 * partition, so a periodic checkpoint costs one fsync however many partitions there are.
 *
 * <p><b>Threading</b>: not thread-safe; {@link LogManager} serializes its use.
 */
final class HighWatermarkCheckpoint {
  static final String FILE = "replication-offset-checkpoint";
  private static final int VERSION = 0;

  private final Path file;
  private final Path temp;

  HighWatermarkCheckpoint(Path dataDir) {
    this.file = dataDir.resolve(FILE);
    this.temp = dataDir.resolve(FILE + ".tmp");
  }

  /** The stored high watermarks; empty if none was ever written. */
  Map<TopicPartition, Long> read() throws IOException {
    Files.deleteIfExists(temp);
    Map<TopicPartition, Long> out = new TreeMap<>(HighWatermarkCheckpoint::compare);
    if (!Files.exists(file)) {
      return out;
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
    try {
      if (Integer.parseInt(lines.get(0).trim()) != VERSION) {
        throw new IOException("Unknown version '" + lines.get(0) + "' of " + file);
      }
      int count = Integer.parseInt(lines.get(1).trim());
      for (int i = 0; i < count; i++) {
        String[] parts = lines.get(2 + i).trim().split(" ");
        out.put(new TopicPartition(parts[0], Integer.parseInt(parts[1])), Long.parseLong(parts[2]));
      }
    } catch (RuntimeException e) {
      throw new IOException("Unreadable high watermark checkpoint " + file + ": " + e, e);
    }
    return out;
  }

  void write(Map<TopicPartition, Long> highWatermarks) throws IOException {
    StringBuilder text = new StringBuilder().append(VERSION).append('\n').append(highWatermarks.size()).append('\n');
    Map<TopicPartition, Long> sorted = new TreeMap<>(HighWatermarkCheckpoint::compare);
    sorted.putAll(highWatermarks);
    sorted.forEach((tp, hw) -> text.append(tp.topic()).append(' ').append(tp.partition()).append(' ').append(hw)
        .append('\n'));
    AtomicFile.replace(file, temp, text.toString().getBytes(StandardCharsets.US_ASCII));
  }

  private static int compare(TopicPartition a, TopicPartition b) {
    int byTopic = a.topic().compareTo(b.topic());
    return byTopic != 0 ? byTopic : Integer.compare(a.partition(), b.partition());
  }
}
