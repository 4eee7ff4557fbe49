package io.sluice.streams.state;

import io.sluice.storage.RocksNative;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A {@link Kv} in RocksDB, in a directory of its own. Writes skip RocksDB's write-ahead log: the changelog topic is
 * the store's durable copy, and a task always rebuilds its stores from it when it starts, so the local files are a
 * cache that is wiped first. Blocking: workers only. Reads may come from other threads than the task's (interactive
 * queries): a read-write lock keeps them off a closed database, which would crash the process, not throw.
 */
public final class RocksKv implements Kv {
  static {
    RocksNative.load();
  }

  private final Path dir;
  private final Options options;
  private final RocksDB db;
  private final WriteOptions writeOptions;
  private final java.util.concurrent.locks.ReentrantReadWriteLock lock =
      new java.util.concurrent.locks.ReentrantReadWriteLock();
  private boolean closed;

  private RocksKv(Path dir, Options options, RocksDB db, boolean logged) {
    this.dir = dir;
    this.options = options;
    this.db = db;
    this.writeOptions = new WriteOptions().setDisableWAL(!logged);
  }

  /**
   * Opens an empty store in {@code dir}, deleting what a previous run left there; its memory is charged to
   * {@code memory}, which the broker's stores share.
   */
  public static RocksKv openEmpty(Path dir, StateMemory memory) {
    deleteRecursively(dir);
    return open(dir, memory, false);
  }

  /**
   * Opens the store in {@code dir} as a previous run left it (empty if none did), for a store that outlives its run
   * (a standby's, which a restarted broker resumes): its writes go through RocksDB's write-ahead log, so each write
   * acknowledged survives a {@code kill -9} of the process whole (a write is one batch: all of it or none). Close it
   * with {@link #closeKeeping} to keep it.
   */
  public static RocksKv openKept(Path dir, StateMemory memory) {
    return open(dir, memory, true);
  }

  private static RocksKv open(Path dir, StateMemory memory, boolean logged) {
    try {
      Files.createDirectories(dir);
      Options options = memory.options();
      return new RocksKv(dir, options, RocksDB.open(options, dir.toString()), logged);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (RocksDBException e) {
      throw new IllegalStateException("Cannot open the state store in " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The store's directory. */
  public Path dir() {
    return dir;
  }

  /** A RocksDB property of the open store, such as {@code rocksdb.block-cache-capacity}. */
  long property(String name) {
    lock.readLock().lock();
    try {
      open();
      return db.getLongProperty(name);
    } catch (RocksDBException e) {
      throw new IllegalStateException("State store property " + name + " failed in " + dir + ": " + e.getMessage(), e);
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public byte[] get(byte[] key) {
    lock.readLock().lock();
    try {
      open();
      return db.get(key);
    } catch (RocksDBException e) {
      throw new IllegalStateException("State store read failed in " + dir + ": " + e.getMessage(), e);
    } finally {
      lock.readLock().unlock();
    }
  }

  private void open() {
    if (closed) {
      throw new IllegalStateException("The state store in " + dir + " is closed");
    }
  }

  @Override
  public List<Entry> scan(byte[] from, byte[] to, int limit) {
    List<Entry> out = new ArrayList<>();
    try (Cursor c = cursor(from, to)) {
      for (Entry e = out.size() < limit ? c.next() : null; e != null; e = out.size() < limit ? c.next() : null) {
        out.add(e);
      }
    }
    return out;
  }

  @Override
  public void forEach(byte[] from, byte[] to, java.util.function.Predicate<Entry> visitor) {
    try (Cursor c = cursor(from, to)) {
      for (Entry e = c.next(); e != null && visitor.test(e); e = c.next()) {
        // the visitor decides
      }
    }
  }

  /** Holds the read lock until closed, so the database cannot close under its iterator (that would crash). */
  @Override
  public Cursor cursor(byte[] from, byte[] to) {
    lock.readLock().lock();
    try {
      open();
      return new RocksCursor(from, to);
    } catch (RuntimeException e) {
      lock.readLock().unlock();
      throw e;
    }
  }

  private final class RocksCursor implements Cursor {
    private final Slice upper;
    private final ReadOptions ro;
    private final RocksIterator it;
    private boolean started;
    private boolean closed;

    RocksCursor(byte[] from, byte[] to) {
      upper = new Slice(to);
      ro = new ReadOptions().setIterateUpperBound(upper);
      it = db.newIterator(ro);
      it.seek(from);
    }

    @Override
    public Entry next() {
      if (closed) {
        throw new IllegalStateException("The cursor over the state store in " + dir + " is closed");
      }
      if (started) {
        it.next();
      }
      started = true;
      return it.isValid() ? new Entry(it.key(), it.value()) : null;
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      it.close();
      ro.close();
      upper.close();
      lock.readLock().unlock();
    }
  }

  @Override
  public void write(List<Change> changes) {
    if (changes.isEmpty()) {
      return;
    }
    lock.readLock().lock(); // writes come from the task alone; the lock keeps them off a closed database too
    try (WriteBatch batch = new WriteBatch()) {
      open();
      for (Change c : changes) {
        if (c.value() == null) {
          batch.delete(c.key());
        } else {
          batch.put(c.key(), c.value());
        }
      }
      db.write(writeOptions, batch);
    } catch (RocksDBException e) {
      throw new IllegalStateException("State store write failed in " + dir + ": " + e.getMessage(), e);
    } finally {
      lock.readLock().unlock();
    }
  }

  @Override
  public long size() {
    lock.readLock().lock();
    try {
      return closed ? 0 : db.getLongProperty("rocksdb.estimate-num-keys");
    } catch (RocksDBException e) {
      return -1;
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Closes and deletes the files: the changelog is the copy that counts. */
  @Override
  public void close() {
    if (closeDb()) {
      deleteRecursively(dir);
    }
  }

  /** Closes and keeps the files, for the next run to open with {@link #openKept}. */
  public void closeKeeping() {
    closeDb();
  }

  /** Closes the database; false if it was closed already. */
  private boolean closeDb() {
    lock.writeLock().lock();
    try {
      if (closed) {
        return false;
      }
      closed = true;
      db.close();
      options.close();
      writeOptions.close();
      return true;
    } finally {
      lock.writeLock().unlock();
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
