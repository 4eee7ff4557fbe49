package io.sluice.broker;

import io.sluice.storage.LogConfig;
import io.sluice.storage.PartitionLog;
import io.sluice.storage.TopicPartition;
import java.nio.file.Path;
import java.util.Set;

/**
 * What the broker needs from the storage engine's log manager: the seam to {@code io.sluice.storage.LogManager}
 * ({@code open(Path)}, {@code openLog}, {@code deleteLog}, {@code existingLogs}, {@code close}), kept as an
 * interface so the broker can be tested and built before and independently of the engine.
 *
 * <p>Every method may block on disk: the broker calls them on its {@code sluice-storage} worker pool only.
 * Thread-safe.
 */
public interface LogStore extends AutoCloseable {

  /** Opens a store on a data directory. Blocks (directory scan, lock). */
  @FunctionalInterface
  interface Factory {
    LogStore open(Path dataDir);
  }

  /** Opens (recovering if the last shutdown was not clean) or creates the log of {@code tp}. */
  PartitionLog openLog(TopicPartition tp, LogConfig config);

  /** Deletes the log of {@code tp} and its files; the log must have been closed. No-op if there is none. */
  void deleteLog(TopicPartition tp);

  /** The partitions that have a log in the data directory. */
  Set<TopicPartition> existingLogs();

  /** Closes every log still open and releases the data directory. */
  @Override
  void close();
}
