package io.sluice.storage;

import io.sluice.api.TopicPartition;

import io.sluice.errors.StorageException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.stream.Stream;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.WriteBufferManager;
import org.rocksdb.DBOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;
import org.rocksdb.WriteOptions;

/**
 * The broker's one RocksDB instance (per data directory), holding every partition's index and metadata in three
 * column families. The segment files are the truth: everything here can be rebuilt from them, so a deleted or
 * corrupt database costs a recovery scan, never data.
 *
 * <pre>
 * column family  key                                             value
 * offset_index   dir 0x00 offset(8, BE)                          segmentBaseOffset(8) position(4)
 * time_index     dir 0x00 (timestamp ^ Long.MIN_VALUE)(8, BE)    offset(8)
 * log_meta       dir 0x00 'c'                                    logEndOffset(8): clean-shutdown marker
 *                dir 0x00 'r'                                    recovery point: offset(8) segmentBase(8)
 *                                                                position(4) maxTimestamp(8) rollTimestamp(8)
 *                dir 0x00 's' segmentBaseOffset(8, BE)           size(8) nextOffset(8) maxTimestamp(8) rollTimestamp(8)
 * </pre>
 *
 * {@code dir} is the partition's directory name ({@code <topic>-<partition>}, UTF-8). Topic names never contain
 * 0x00, so {@code dir 0x00} is a prefix no other partition's keys share and {@code [dir 0x00, dir 0x01)} is the
 * partition's whole key range. Big-endian keys sort numerically; timestamps get their sign bit flipped so that
 * -1 (no timestamp) sorts below every real one.
 *
 * <p>If RocksDB refuses to open the database because it is corrupt, {@link #open} moves it aside to
 * {@code <dir>.corrupt} and starts empty: every partition then recovers by scanning its segments.
 *
 * <p>Thread-safe: RocksDB serializes writes; each partition writes only its own key range. Every use of the database
 * or its column family handles goes through {@link #use}, under the read side of a lock whose write side
 * {@link #close} takes: RocksDB crashes the process (SIGSEGV) on a closed handle instead of throwing, so a
 * partition still closing or writing when the store closes (a shutdown that ran out of time) must meet a
 * {@link RocksDBException} (a storage error to its log), never a freed handle. Close waits for the uses in flight.
 */
final class IndexStore implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(IndexStore.class.getName());
  static final String OFFSET_INDEX = "offset_index";
  static final String TIME_INDEX = "time_index";
  static final String LOG_META = "log_meta";

  static {
    RocksNative.load();
  }

  private final Path dir;
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final RocksDB db;
  private final List<ColumnFamilyHandle> handles;
  final ColumnFamilyHandle offsetCf;
  final ColumnFamilyHandle timeCf;
  final ColumnFamilyHandle metaCf;
  final WriteOptions asyncWrites;
  final WriteOptions syncWrites;
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  /** Guarded by {@link #lock}. */
  private boolean closed;

  /** The default of {@code log.index.memory.bytes}. */
  public static final long DEFAULT_MEMORY_BYTES = 32L << 20;
  /** The least {@code log.index.memory.bytes}: RocksDB needs a few memtables of some size to work. */
  public static final long MIN_MEMORY_BYTES = 4L << 20;
  /** One column family's memtable at most; below the budget's share, a flush comes sooner. */
  private static final long MAX_WRITE_BUFFER_BYTES = 16L << 20;

  private final Cache cache;
  private final WriteBufferManager writeBuffers;

  private IndexStore(Path dir, DBOptions dbOptions, ColumnFamilyOptions cfOptions, RocksDB db,
      List<ColumnFamilyHandle> handles, Cache cache, WriteBufferManager writeBuffers) {
    this.cache = cache;
    this.writeBuffers = writeBuffers;
    this.dir = dir;
    this.dbOptions = dbOptions;
    this.cfOptions = cfOptions;
    this.db = db;
    this.handles = handles;
    this.offsetCf = handles.get(1);
    this.timeCf = handles.get(2);
    this.metaCf = handles.get(3);
    this.asyncWrites = new WriteOptions().setSync(false);
    this.syncWrites = new WriteOptions().setSync(true);
  }

  /** Opens the database in {@code dir} with the default memory bound. */
  static IndexStore open(Path dir) {
    return open(dir, DEFAULT_MEMORY_BYTES);
  }

  /**
   * Opens (creating if needed) the database in {@code dir}; a corrupt one is moved aside and replaced. Its memory is
   * bounded by {@code memoryBytes}: one block cache of that size, shared by the column families (index and filter
   * blocks included), which their memtables are charged to, up to half of it (then RocksDB flushes them). Without it
   * each of the four column families had its own default cache and two 16 MiB memtables, up to about 260 MiB.
   */
  static IndexStore open(Path dir, long memoryBytes) {
    if (memoryBytes < MIN_MEMORY_BYTES) {
      throw new IllegalArgumentException("The index memory must be at least " + MIN_MEMORY_BYTES + " bytes");
    }
    try {
      return tryOpen(dir, memoryBytes);
    } catch (RocksDBException e) {
      Status status = e.getStatus();
      if (status == null || status.getCode() != Status.Code.Corruption) {
        throw new StorageException("Cannot open the index database " + dir + ": " + e.getMessage(), e);
      }
      Path aside = dir.resolveSibling(dir.getFileName() + ".corrupt");
      LOG.log(Level.WARNING, "Index database {0} is corrupt ({1}); moving it to {2} and rebuilding every"
          + " partition''s index from its segments", dir, e.getMessage(), aside);
      try {
        deleteRecursively(aside);
        Files.move(dir, aside);
        return tryOpen(dir, memoryBytes);
      } catch (IOException | RocksDBException e2) {
        e2.addSuppressed(e);
        throw new StorageException("Cannot replace the corrupt index database " + dir, e2);
      }
    }
  }

  private static IndexStore tryOpen(Path dir, long memoryBytes) throws RocksDBException {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new StorageException("Cannot create the index directory " + dir, e);
    }
    Cache cache = new LRUCache(memoryBytes);
    WriteBufferManager writeBuffers = new WriteBufferManager(memoryBytes / 2, cache);
    DBOptions dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
        .setInfoLogLevel(InfoLogLevel.WARN_LEVEL).setKeepLogFileNum(2).setMaxTotalWalSize(64L << 20)
        .setWriteBufferManager(writeBuffers);
    ColumnFamilyOptions cfOptions = new ColumnFamilyOptions()
        .setWriteBufferSize(Math.min(MAX_WRITE_BUFFER_BYTES, memoryBytes / 8)).setMaxWriteBufferNumber(2)
        .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(cache).setCacheIndexAndFilterBlocks(true));
    List<ColumnFamilyDescriptor> descriptors = List.of(
        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
        new ColumnFamilyDescriptor(bytes(OFFSET_INDEX), cfOptions),
        new ColumnFamilyDescriptor(bytes(TIME_INDEX), cfOptions),
        new ColumnFamilyDescriptor(bytes(LOG_META), cfOptions));
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try {
      RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
      return new IndexStore(dir, dbOptions, cfOptions, db, handles, cache, writeBuffers);
    } catch (RocksDBException | RuntimeException e) {
      handles.forEach(ColumnFamilyHandle::close);
      cfOptions.close();
      dbOptions.close();
      writeBuffers.close();
      cache.close();
      throw e;
    }
  }

  /** A use of the open database: RocksDB calls, and column family handles put into write batches. */
  @FunctionalInterface
  interface DbCall<T> {
    T call(RocksDB db) throws RocksDBException;
  }

  /**
   * Runs {@code call} while the store is open and cannot close. Iterators and other RocksDB objects the call
   * creates must be closed before it returns.
   *
   * @throws RocksDBException also if the store is closed (status {@code ShutdownInProgress}): callers already treat
   *     a failed index call as a storage error (a failed log, or a scan instead of a lookup)
   */
  <T> T use(DbCall<T> call) throws RocksDBException {
    lock.readLock().lock();
    try {
      if (closed) {
        throw new RocksDBException("The index database " + dir + " is closed",
            new Status(Status.Code.ShutdownInProgress, Status.SubCode.None, "closed"));
      }
      return call.call(db);
    } finally {
      lock.readLock().unlock();
    }
  }

  Path dir() {
    return dir;
  }

  /** The key-space view of one partition. */
  PartitionIndex partition(TopicPartition tp) {
    return new PartitionIndex(this, tp);
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Waits for the uses in flight, then closes; later uses fail with a {@link RocksDBException}. Idempotent. */
  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      asyncWrites.close();
      syncWrites.close();
      handles.forEach(ColumnFamilyHandle::close);
      db.close();
      cfOptions.close();
      dbOptions.close();
      writeBuffers.close();
      cache.close();
    } finally {
      lock.writeLock().unlock();
    }
  }

  /** The block cache's capacity: the bound of the database's memory (memtables are charged to it). */
  long cacheCapacity() throws RocksDBException {
    return use(d -> d.getLongProperty(offsetCf, "rocksdb.block-cache-capacity"));
  }

  static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

}
