package io.sluice.storage;

import io.sluice.api.TopicPartition;

import io.sluice.errors.StorageException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The storage engine of one broker data directory: every partition log under it and the one RocksDB index they
 * share ({@code <dataDir>/.index}, see {@link IndexStore}).
 *
 * <pre>
 * dataDir/
 *   .index/                         RocksDB: offset_index, time_index, log_meta column families
 *   orders-0/                       one directory per partition: {@code <topic>-<partition>}
 *     00000000000000000000.log      segments, named by base offset
 *     00000000000000052113.log
 *     log-start-offset              written by deleteRecordsBefore (temp file, fsync, rename)
 *     leader-epoch-checkpoint       the replica's leader epoch cache
 *   replication-offset-checkpoint   every replica's last checkpointed high watermark ({@link HighWatermarkCheckpoint})
 * </pre>
 *
 * <p>Thread-safe. Each opened log belongs to one owner thread (see {@link PartitionLog}).
 */
public final class LogManager implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(LogManager.class.getName());
  private static final Pattern LOG_DIR = Pattern.compile("(.+)-(\\d+)");
  private static final String DELETE_SUFFIX = ".delete";

  private final Path dataDir;
  private final IndexStore index;
  private final SegmentFiles files;
  private final Map<TopicPartition, LocalPartitionLog> logs = new ConcurrentHashMap<>();
  private final HighWatermarkCheckpoint hwCheckpoint;
  /** The high watermarks as last read from or written to {@link #hwCheckpoint}; guarded by {@code this}. */
  private final Map<TopicPartition, Long> checkpointedHighWatermarks = new HashMap<>();
  private volatile boolean closed;

  private LogManager(Path dataDir, IndexStore index, SegmentFiles files, HighWatermarkCheckpoint hwCheckpoint,
      Map<TopicPartition, Long> highWatermarks) {
    this.dataDir = dataDir;
    this.index = index;
    this.files = files;
    this.hwCheckpoint = hwCheckpoint;
    this.checkpointedHighWatermarks.putAll(highWatermarks);
  }

  /** Opens the data directory, creating it if needed, and its index database. */
  public static LogManager open(Path dataDir) {
    return open(dataDir, SegmentFiles.DEFAULT);
  }

  static LogManager open(Path dataDir, SegmentFiles files) {
    HighWatermarkCheckpoint hwCheckpoint = new HighWatermarkCheckpoint(dataDir);
    try {
      Files.createDirectories(dataDir);
      removeLeftoverDeletions(dataDir);
    } catch (IOException e) {
      throw new StorageException("Cannot prepare data directory " + dataDir + ": " + e, e);
    }
    Map<TopicPartition, Long> highWatermarks = Map.of();
    try {
      highWatermarks = hwCheckpoint.read();
    } catch (IOException e) {
      // A lower high watermark is safe (it hides committed records until the ISR raises it; it never shows
      // uncommitted ones), so an unreadable checkpoint costs availability, not correctness: start without it.
      LOG.log(Level.WARNING, "Ignoring the high watermark checkpoint of {0}: {1}", dataDir, e.getMessage());
    }
    return new LogManager(dataDir, IndexStore.open(dataDir.resolve(".index")), files, hwCheckpoint, highWatermarks);
  }

  /**
   * The high watermark of {@code tp} as last checkpointed here (see {@link #checkpointHighWatermarks}), if any. The
   * caller bounds it by its log's start and end: recovery may have cut the log below it.
   */
  public synchronized OptionalLong checkpointedHighWatermark(TopicPartition tp) {
    Long hw = checkpointedHighWatermarks.get(tp);
    return hw == null ? OptionalLong.empty() : OptionalLong.of(hw);
  }

  /**
   * Writes {@code highWatermarks} to {@code <data-dir>/replication-offset-checkpoint} (temp file, fsync, rename),
   * keeping the last checkpointed value of every other partition whose log directory still exists (a partition
   * not open at the moment, or not open yet, keeps what it had). Blocks on disk: never call on an event loop.
   *
   * @throws StorageException if the file cannot be written (the previous checkpoint stays intact)
   */
  public synchronized void checkpointHighWatermarks(Map<TopicPartition, Long> highWatermarks) {
    checkOpen();
    Map<TopicPartition, Long> next = new HashMap<>();
    Set<TopicPartition> existing = existingLogs();
    checkpointedHighWatermarks.forEach((tp, hw) -> {
      if (existing.contains(tp)) {
        next.put(tp, hw);
      }
    });
    next.putAll(highWatermarks);
    try {
      hwCheckpoint.write(next);
    } catch (IOException e) {
      throw new StorageException("Cannot write the high watermark checkpoint of " + dataDir + ": " + e, e);
    }
    checkpointedHighWatermarks.clear();
    checkpointedHighWatermarks.putAll(next);
  }

  /** Opens the log of {@code tp}, creating it or recovering it; wall-clock time for roll and retention. */
  public PartitionLog openLog(TopicPartition tp, LogConfig config) {
    return openLog(tp, config, System::currentTimeMillis);
  }

  /**
   * Opens the log of {@code tp} with an injected clock ({@code nowMs}), used for segment age without
   * timestamps, file deletion delays and flush intervals. Returns the already open log if there is one.
   */
  public PartitionLog openLog(TopicPartition tp, LogConfig config, LongSupplier nowMs) {
    checkOpen();
    return logs.computeIfAbsent(tp, k -> LocalPartitionLog.open(tp, dataDir.resolve(tp.dirName()), config, files,
        index.partition(tp), nowMs, () -> logs.remove(tp)));
  }

  /** Closes the log of {@code tp} if open, deletes its directory and its index key range. */
  public void deleteLog(TopicPartition tp) {
    checkOpen();
    LocalPartitionLog log = logs.remove(tp);
    if (log != null) {
      log.close();
    }
    synchronized (this) {
      checkpointedHighWatermarks.remove(tp); // a topic created again under this name starts afresh
    }
    Path dir = dataDir.resolve(tp.dirName());
    try {
      if (Files.exists(dir)) {
        // rename first so a crash mid-delete never leaves a half log that looks like a live one
        Path doomed = dataDir.resolve(tp.dirName() + DELETE_SUFFIX);
        IndexStore.deleteRecursively(doomed);
        Files.move(dir, doomed);
        IndexStore.deleteRecursively(doomed);
      }
      try (WriteBatch writes = new WriteBatch()) {
        index.partition(tp).deleteAll(writes);
        index.partition(tp).write(writes, true);
      }
    } catch (IOException | RocksDBException e) {
      throw new StorageException("Cannot delete the log of partition " + tp + " in " + dir + ": " + e, e);
    }
    LOG.log(Level.INFO, "Deleted the log of partition {0}", tp);
  }

  /** The partitions that have a log directory here, open or not. */
  public Set<TopicPartition> existingLogs() {
    try (Stream<Path> list = Files.list(dataDir)) {
      return list.filter(Files::isDirectory).map(p -> p.getFileName().toString())
          .filter(name -> !name.startsWith("."))
          .map(LOG_DIR::matcher).filter(Matcher::matches)
          .map(m -> new TopicPartition(m.group(1), Integer.parseInt(m.group(2))))
          .collect(Collectors.toUnmodifiableSet());
    } catch (IOException | NumberFormatException e) {
      throw new StorageException("Cannot list logs in " + dataDir + ": " + e, e);
    }
  }

  Path dataDir() {
    return dataDir;
  }

  IndexStore indexStore() {
    return index;
  }

  /** Closes every open log (clean shutdown), then the index. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (LocalPartitionLog log : logs.values().toArray(new LocalPartitionLog[0])) {
      log.close();
    }
    index.close();
  }

  /** Abandons every open log without a clean shutdown, then closes the index: a simulated crash for tests. */
  void simulateCrash() {
    closed = true;
    for (LocalPartitionLog log : logs.values().toArray(new LocalPartitionLog[0])) {
      log.abandon();
    }
    index.close();
  }

  private void checkOpen() {
    if (closed) {
      throw new StorageException("LogManager for " + dataDir + " is closed");
    }
  }

  private static void removeLeftoverDeletions(Path dataDir) throws IOException {
    try (Stream<Path> list = Files.list(dataDir)) {
      for (Path p : list.filter(p -> p.getFileName().toString().endsWith(DELETE_SUFFIX)).toList()) {
        IndexStore.deleteRecursively(p);
      }
    }
  }
}
