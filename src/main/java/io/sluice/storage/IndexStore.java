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
import java.util.stream.Stream;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
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
 * <p>Thread-safe: RocksDB serializes writes; each partition writes only its own key range.
 */
final class IndexStore implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(IndexStore.class.getName());
  static final String OFFSET_INDEX = "offset_index";
  static final String TIME_INDEX = "time_index";
  static final String LOG_META = "log_meta";

  static {
    RocksDB.loadLibrary();
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
  private volatile boolean closed;

  private IndexStore(Path dir, DBOptions dbOptions, ColumnFamilyOptions cfOptions, RocksDB db,
      List<ColumnFamilyHandle> handles) {
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

  /** Opens (creating if needed) the database in {@code dir}; a corrupt one is moved aside and replaced. */
  static IndexStore open(Path dir) {
    try {
      return tryOpen(dir);
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
        return tryOpen(dir);
      } catch (IOException | RocksDBException e2) {
        e2.addSuppressed(e);
        throw new StorageException("Cannot replace the corrupt index database " + dir, e2);
      }
    }
  }

  private static IndexStore tryOpen(Path dir) throws RocksDBException {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new StorageException("Cannot create the index directory " + dir, e);
    }
    DBOptions dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
        .setInfoLogLevel(InfoLogLevel.WARN_LEVEL).setKeepLogFileNum(2).setMaxTotalWalSize(64L << 20);
    ColumnFamilyOptions cfOptions = new ColumnFamilyOptions().setWriteBufferSize(16L << 20);
    List<ColumnFamilyDescriptor> descriptors = List.of(
        new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
        new ColumnFamilyDescriptor(bytes(OFFSET_INDEX), cfOptions),
        new ColumnFamilyDescriptor(bytes(TIME_INDEX), cfOptions),
        new ColumnFamilyDescriptor(bytes(LOG_META), cfOptions));
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try {
      RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
      return new IndexStore(dir, dbOptions, cfOptions, db, handles);
    } catch (RocksDBException | RuntimeException e) {
      handles.forEach(ColumnFamilyHandle::close);
      cfOptions.close();
      dbOptions.close();
      throw e;
    }
  }

  RocksDB db() {
    return db;
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

  @Override
  public void close() {
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
