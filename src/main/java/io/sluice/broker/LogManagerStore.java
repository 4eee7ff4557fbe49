package io.sluice.broker;

import io.sluice.storage.LogConfig;
import io.sluice.storage.LogManager;
import io.sluice.storage.PartitionLog;
import io.sluice.storage.TopicPartition;
import java.nio.file.Path;
import java.util.Set;

/** {@link LogStore} over the storage engine's {@link LogManager}: one RocksDB index and segment files per data dir. */
public final class LogManagerStore implements LogStore {
  private final LogManager manager;

  private LogManagerStore(LogManager manager) {
    this.manager = manager;
  }

  /** Opens the data directory (blocks: directory scan and RocksDB open). */
  public static LogStore open(Path dataDir) {
    return new LogManagerStore(LogManager.open(dataDir));
  }

  @Override
  public PartitionLog openLog(TopicPartition tp, LogConfig config) {
    return manager.openLog(tp, config);
  }

  @Override
  public void deleteLog(TopicPartition tp) {
    manager.deleteLog(tp);
  }

  @Override
  public Set<TopicPartition> existingLogs() {
    return manager.existingLogs();
  }

  @Override
  public void close() {
    manager.close();
  }
}
