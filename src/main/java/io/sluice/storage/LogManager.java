package io.sluice.storage;

import io.sluice.api.TopicPartition;

import io.sluice.errors.StorageException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
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
 *     partition.metadata            the id of the topic the directory belongs to ({@link PartitionMetadataFile})
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
  /** The idempotent producers the open logs remember together, against {@code producer.id.max.per.broker}. */
  private final ProducerIdBudget producerIds = new ProducerIdBudget(logs::values);
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
    return open(dataDir, IndexStore.DEFAULT_MEMORY_BYTES);
  }

  /** {@code indexMemoryBytes}: the bound of the index database's memory ({@code log.index.memory.bytes}). */
  public static LogManager open(Path dataDir, long indexMemoryBytes) {
    return open(dataDir, SegmentFiles.DEFAULT, indexMemoryBytes);
  }

  static LogManager open(Path dataDir, SegmentFiles files) {
    return open(dataDir, files, IndexStore.DEFAULT_MEMORY_BYTES);
  }

  static LogManager open(Path dataDir, SegmentFiles files, long indexMemoryBytes) {
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
    return new LogManager(dataDir, IndexStore.open(dataDir.resolve(".index"), indexMemoryBytes), files, hwCheckpoint,
        highWatermarks);
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
   * Opens the log of {@code tp} for the topic with id {@code topicId}: a directory left by an older topic of the
   * same name (another id in its {@code partition.metadata}) is deleted first, so a topic created again never sees
   * the records of the one before. Wall-clock time for roll and retention.
   */
  public PartitionLog openLog(TopicPartition tp, LogConfig config, String topicId) {
    return openLog(tp, config, System::currentTimeMillis, topicId);
  }

  /**
   * Opens the log of {@code tp} with an injected clock ({@code nowMs}), used for segment age without
   * timestamps, file deletion delays and flush intervals. Returns the already open log if there is one.
   */
  public PartitionLog openLog(TopicPartition tp, LogConfig config, LongSupplier nowMs) {
    return openLog(tp, config, nowMs, null);
  }

  /**
   * Bounds the idempotent producers all of this store's logs remember together ({@code producer.id.max.per.broker}):
   * a leader append that would add one past it is refused (PRODUCER_ID_LIMIT_EXCEEDED, retriable), a follower's
   * or a rebuild's forgets the least recent of its own partition. Unbounded until called.
   */
  public void producerIdMaxPerBroker(int max) {
    producerIds.max(max);
  }

  /** The budget {@link #producerIdMaxPerBroker} bounds (for tests: its clock). */
  ProducerIdBudget producerIdBudget() {
    return producerIds;
  }

  /** As {@link #openLog(TopicPartition, LogConfig, String)} with an injected clock; a null id checks no id. */
  public PartitionLog openLog(TopicPartition tp, LogConfig config, LongSupplier nowMs, String topicId) {
    checkOpen();
    return logs.computeIfAbsent(tp, k -> {
      Path dir = dataDir.resolve(tp.dirName());
      if (topicId != null) {
        claim(tp, dir, topicId);
      }
      return LocalPartitionLog.open(tp, dir, config, files, index.partition(tp), nowMs, () -> logs.remove(tp),
          producerIds);
    });
  }

  /**
   * Makes {@code dir} the directory of the topic with id {@code topicId}. A directory stamped with another id is a
   * leftover of a deleted topic: it and its index range go. A new directory starts with its index range cleared
   * (keys a delete left behind when it stopped before the index) and its id stamped before any segment exists. A
   * directory without a stamp was written before topic ids were stamped and is adopted.
   */
  private void claim(TopicPartition tp, Path dir, String topicId) {
    try {
      if (Files.isDirectory(dir)) {
        Optional<String> owner = PartitionMetadataFile.read(dir);
        if (owner.isEmpty() || owner.get().equals(topicId)) {
          if (owner.isEmpty()) {
            PartitionMetadataFile.write(dir, topicId);
          }
          return;
        }
        LOG.log(Level.WARNING, "Partition {0}: discarding the directory of an older topic of the same name"
            + " (topic id {1}, now {2})", tp, owner.get(), topicId);
        removeDirectory(dir);
      }
      forgetPartition(tp);
      Files.createDirectories(dir);
      PartitionMetadataFile.write(dir, topicId);
      AtomicFile.fsyncDirectory(dataDir);
    } catch (IOException | RocksDBException e) {
      throw new StorageException("Cannot prepare the log directory " + dir + " of partition " + tp + ": " + e, e);
    }
  }

  /** Closes the log of {@code tp} if open, deletes its directory and its index key range. */
  public void deleteLog(TopicPartition tp) {
    checkOpen();
    LocalPartitionLog log = logs.remove(tp);
    if (log != null) {
      log.close();
    }
    Path dir = dataDir.resolve(tp.dirName());
    try {
      removeDirectory(dir);
      forgetPartition(tp);
    } catch (IOException | RocksDBException e) {
      throw new StorageException("Cannot delete the log of partition " + tp + " in " + dir + ": " + e, e);
    }
    LOG.log(Level.INFO, "Deleted the log of partition {0}", tp);
  }

  /**
   * Deletes a partition directory. It is first renamed to a short unique hidden name (a long topic name plus any
   * suffix could pass the file system's 255-byte name limit), so a crash mid-delete never leaves a half log that
   * looks like a live one; leftovers are removed at the next open.
   */
  private void removeDirectory(Path dir) throws IOException {
    if (Files.exists(dir)) {
      Path doomed = dataDir.resolve("." + UUID.randomUUID().toString().replace("-", "") + DELETE_SUFFIX);
      Files.move(dir, doomed);
      AtomicFile.fsyncDirectory(dataDir);
      IndexStore.deleteRecursively(doomed);
    }
  }

  /** Drops what the index and the high watermark checkpoint remember of {@code tp}. */
  private void forgetPartition(TopicPartition tp) throws RocksDBException {
    synchronized (this) {
      checkpointedHighWatermarks.remove(tp); // a topic created again under this name starts afresh
    }
    PartitionIndex keys = index.partition(tp);
    if (keys.isEmpty()) {
      return; // as for every topic created: a range deletion of nothing is still a tombstone later reads step over
    }
    try (WriteBatch writes = new WriteBatch()) {
      keys.deleteAll(writes);
      keys.write(writes, true);
    }
  }

  /** The partitions that have a log directory here, open or not. */
  /**
   * The logs in the data directory with the topic id each is stamped with (empty for a directory written before
   * topic ids were stamped, or one being created now). Only reads: logs may be opening meanwhile. Blocking: call on
   * a storage thread.
   */
  public Map<TopicPartition, Optional<String>> existingLogTopicIds() {
    Map<TopicPartition, Optional<String>> out = new HashMap<>();
    for (TopicPartition tp : existingLogs()) {
      try {
        out.put(tp, PartitionMetadataFile.peek(dataDir.resolve(tp.dirName())));
      } catch (IOException e) {
        LOG.log(Level.WARNING, "Cannot read the topic id of {0} (left out): {1}", dataDir.resolve(tp.dirName()), e);
      }
    }
    return out;
  }

  public Set<TopicPartition> existingLogs() {
    try (Stream<Path> list = Files.list(dataDir)) {
      // Not "skip names starting with '.'": a topic may be called ".x". The directory's own entries (.index,
      // .<id>.delete, cache, zookeeper) never end in "-<partition>".
      return list.filter(Files::isDirectory).map(p -> p.getFileName().toString())
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

  /**
   * Closes every log still open (clean shutdown), then the index. Their owners should have closed them first: a log
   * an owner is still using meets closed files and, once the index is closed, a {@link StorageException} (which
   * costs a recovery scan at the next open, never data).
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (LocalPartitionLog log : logs.values().toArray(new LocalPartitionLog[0])) {
      try {
        log.close();
      } catch (RuntimeException e) {
        LOG.log(Level.ERROR, "Closing the log of " + log.topicPartition() + " failed", e);
      }
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
