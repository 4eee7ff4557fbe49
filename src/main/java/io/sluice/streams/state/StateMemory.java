package io.sluice.streams.state;

import io.sluice.storage.RocksNative;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * The native memory every state store of a broker shares ({@code streams.state.memory.bytes}): one block cache, index
 * and filter blocks included, which the stores' memtables are charged to (up to half; then RocksDB flushes them).
 * Without it each store had its own default cache and up to two 64 MiB memtables, so memory grew with the number of
 * tasks. The stores' options keep their own references to the cache, so closing this does not pull it from under a
 * store still open.
 */
public final class StateMemory implements AutoCloseable {
  /** The least: RocksDB needs a few memtables of some size to work. */
  public static final long MIN_BYTES = 4L << 20;
  /** One store's memtable at most; below the budget's share a flush comes sooner. */
  private static final long MAX_WRITE_BUFFER_BYTES = 16L << 20;

  private final long bytes;
  private final Cache cache;
  private final WriteBufferManager writeBuffers;

  public StateMemory(long bytes) {
    if (bytes < MIN_BYTES) {
      throw new IllegalArgumentException("The state stores' memory must be at least " + MIN_BYTES + " bytes");
    }
    RocksNative.load(); // the cache is the first RocksDB object a broker may make
    this.bytes = bytes;
    this.cache = new LRUCache(bytes);
    this.writeBuffers = new WriteBufferManager(bytes / 2, cache);
  }

  public long bytes() {
    return bytes;
  }

  /** Options for one store, charged to the shared budget; the caller closes them with the store. */
  Options options() {
    return new Options().setCreateIfMissing(true).setMaxOpenFiles(64).setInfoLogLevel(InfoLogLevel.WARN_LEVEL)
        .setKeepLogFileNum(2).setWriteBufferManager(writeBuffers)
        .setWriteBufferSize(Math.min(MAX_WRITE_BUFFER_BYTES, bytes / 8)).setMaxWriteBufferNumber(2)
        .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache).setCacheIndexAndFilterBlocks(true));
  }

  @Override
  public void close() {
    writeBuffers.close();
    cache.close();
  }
}
