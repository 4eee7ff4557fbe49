package io.sluice.streams.state;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * One state store of a task: its contents ({@link Kv}), the changes of the record being processed ({@link Tx}),
 * and for a windowed store the stream time and the indexes of windows to close and to expire.
 *
 * <p>Key layout (bytes; see {@link #windowKey}):
 * <pre>
 * 'K' key                                  an aggregate without windows         (logged)
 * 'W' len(4) key start(8) end(8)            a window's aggregate                 (logged)
 * 'R' len(4) key time(8) offset(8)          a record a sliding window folds      (logged)
 * 'C' closesAt(8) windowKey                 a window to emit when it closes      (local)
 * 'X' at(8) windowKey|recordKey              what to delete once closeTime >= at  (local)
 * </pre>
 * Logged entries are the store's content and go to its changelog; local ones are indexes rebuilt from the content
 * when the store is restored. Not thread-safe: one task's records, one at a time.
 */
public final class StoreState implements AutoCloseable {
  public static final byte GROUP = 'K';
  public static final byte WINDOW = 'W';
  public static final byte RAW = 'R';
  public static final byte CLOSE = 'C';
  public static final byte EXPIRE = 'X';

  private final String name;
  private final Kv kv;
  private Tx tx;
  private long streamTime = Long.MIN_VALUE;
  private long pendingStreamTime = Long.MIN_VALUE;
  private long lateRecords;
  /** Entries a TTL removed: {@code expired} committed, {@code pendingExpired} the record's (gone on a rollback). */
  private long expired;
  private long pendingExpired;
  /**
   * The stream time of the last committed record (or of the restore), for readers on other threads: an interactive
   * query hides an entry whose TTL this time has passed though no record has deleted it yet (expiry deletes a bounded
   * number of keys per record, so due keys may wait for later records).
   */
  private volatile long committedStreamTime = Long.MIN_VALUE;
  /**
   * Per index kind ({@link #CLOSE}, {@link #EXPIRE}): no entry of an earlier time is left, so a scan may start there.
   * Without it every scan would seek from the kind's first key over the tombstones of every entry already processed
   * (RocksDB keeps them until compaction): a cost growing with the deletes, per record. In memory only (a restored
   * store's indexes are new); {@code pendingFloors} is the record's, applied when it commits.
   */
  private final long[] floors = {Long.MIN_VALUE, Long.MIN_VALUE};
  private final long[] pendingFloors = {Long.MIN_VALUE, Long.MIN_VALUE};
  /**
   * Per index kind: no entry left has an earlier time ({@code Long.MIN_VALUE}: not known), so a record whose scan
   * would end before it has nothing to do and skips the scan. Without it every record of a windowed store opened a
   * RocksDB iterator to find, nearly always, nothing: a tumbling window's entries come due once per window, not once
   * per record. Lowered by every entry added; {@code pendingNextAt} is the record's, applied when it commits.
   */
  private final long[] nextAt = {Long.MIN_VALUE, Long.MIN_VALUE};
  private final long[] pendingNextAt = {Long.MIN_VALUE, Long.MIN_VALUE};

  /** A table with a TTL holds rows without an update time, stored before it had one (see {@code TableTtl}). */
  private boolean unstampedRows;

  public StoreState(String name, Kv kv) {
    this.name = name;
    this.kv = kv;
    this.tx = new Tx(kv);
  }

  public String name() {
    return name;
  }

  public Kv kv() {
    return kv;
  }

  /** The changes of the record being processed. */
  public Tx tx() {
    return tx;
  }

  /** The highest record time seen (this record's included), or Long.MIN_VALUE before any. */
  public long streamTime() {
    return Math.max(streamTime, pendingStreamTime);
  }

  public void observe(long time) {
    pendingStreamTime = Math.max(pendingStreamTime, time);
  }

  public boolean unstampedRows() {
    return unstampedRows;
  }

  public void unstampedRows(boolean any) {
    unstampedRows = any;
  }

  public void countLate() {
    lateRecords++;
  }

  public long lateRecords() {
    return lateRecords;
  }

  /** An entry is removed for its TTL (counted once this record commits). */
  public void countExpired() {
    pendingExpired++;
  }

  /** Entries removed for their TTL, by the records committed so far. */
  public long expiredEntries() {
    return expired;
  }

  /** {@link #streamTime()} as of the last committed record; thread-safe (see {@link #committedStreamTime}). */
  public long committedStreamTime() {
    return committedStreamTime;
  }

  /** Applies the record's changes; answers the logged ones for the changelog. */
  public List<Kv.Change> commit() {
    streamTime = streamTime();
    expired += pendingExpired;
    pendingExpired = 0;
    List<Kv.Change> changes = tx.commit();
    // After the store's write: a reader that reads the time before the entries never pairs this record's time with
    // an entry as it was before the record refreshed it (which it would take for expired).
    committedStreamTime = streamTime;
    System.arraycopy(pendingFloors, 0, floors, 0, floors.length);
    System.arraycopy(pendingNextAt, 0, nextAt, 0, nextAt.length);
    return changes;
  }

  public void rollback() {
    pendingStreamTime = Long.MIN_VALUE;
    pendingExpired = 0;
    System.arraycopy(floors, 0, pendingFloors, 0, floors.length);
    System.arraycopy(nextAt, 0, pendingNextAt, 0, nextAt.length);
    tx.rollback();
  }

  private static int floorSlot(byte kind) {
    return kind == CLOSE ? 0 : 1;
  }

  /** Where a scan of the index {@code kind} may start: no entry before it is left. */
  public byte[] indexStart(byte kind) {
    long floor = pendingFloors[floorSlot(kind)];
    if (floor == Long.MIN_VALUE) {
      return indexFrom(kind);
    }
    ByteBuffer b = ByteBuffer.allocate(9).put(kind);
    Bytes.putLong(b, floor);
    return b.array();
  }

  /** Every entry of index {@code kind} with a time at or before {@code at} is processed (once this record commits). */
  public void indexDoneThrough(byte kind, long at) {
    int i = floorSlot(kind);
    pendingFloors[i] = Math.max(pendingFloors[i], at == Long.MAX_VALUE ? at : at + 1);
  }

  /** An entry of index {@code kind} at time {@code at} is added: a scan must start at or before it. */
  public void indexAdded(byte kind, long at) {
    int i = floorSlot(kind);
    floors[i] = Math.min(floors[i], at);
    pendingFloors[i] = Math.min(pendingFloors[i], at);
    nextAt[i] = Math.min(nextAt[i], at);
    pendingNextAt[i] = Math.min(pendingNextAt[i], at);
  }

  /** Whether index {@code kind} may hold an entry at or before {@code at} (false: a scan would find none). */
  public boolean indexMayHold(byte kind, long at) {
    return pendingNextAt[floorSlot(kind)] <= at;
  }

  /** No entry of index {@code kind} is left before {@code at} (once this record commits). */
  public void indexNextAt(byte kind, long at) {
    pendingNextAt[floorSlot(kind)] = at;
  }

  // ---- keys ----

  public static byte[] groupKey(byte[] key) {
    return ByteBuffer.allocate(1 + key.length).put(GROUP).put(key).array();
  }

  public static byte[] windowKey(byte[] key, long start, long end) {
    ByteBuffer b = ByteBuffer.allocate(1 + 4 + key.length + 16).put(WINDOW).putInt(key.length).put(key);
    Bytes.putLong(b, start);
    Bytes.putLong(b, end);
    return b.array();
  }

  /** All windows of {@code key}: the prefix of their store keys. */
  public static byte[] windowPrefix(byte[] key) {
    return ByteBuffer.allocate(1 + 4 + key.length).put(WINDOW).putInt(key.length).put(key).array();
  }

  public static byte[] rawKey(byte[] key, long time, long offset) {
    ByteBuffer b = ByteBuffer.allocate(1 + 4 + key.length + 16).put(RAW).putInt(key.length).put(key);
    Bytes.putLong(b, time);
    Bytes.putLong(b, offset);
    return b.array();
  }

  public static byte[] rawPrefix(byte[] key, long time) {
    ByteBuffer b = ByteBuffer.allocate(1 + 4 + key.length + 8).put(RAW).putInt(key.length).put(key);
    Bytes.putLong(b, time);
    return b.array();
  }

  /** An index entry: {@code kind} (CLOSE or EXPIRE), the time, and the key it points at. */
  public static byte[] indexKey(byte kind, long at, byte[] target) {
    ByteBuffer b = ByteBuffer.allocate(1 + 8 + target.length).put(kind);
    Bytes.putLong(b, at);
    return b.put(target).array();
  }

  public static byte[] indexFrom(byte kind) {
    return new byte[] {kind};
  }

  /** The first index key of {@code kind} past time {@code at}. */
  public static byte[] indexUpTo(byte kind, long at) {
    ByteBuffer b = ByteBuffer.allocate(9).put(kind);
    Bytes.putLong(b, at == Long.MAX_VALUE ? at : at + 1);
    return b.array();
  }

  public static long indexTime(byte[] indexKey) {
    return Bytes.getLong(ByteBuffer.wrap(indexKey, 1, 8));
  }

  public static byte[] indexTarget(byte[] indexKey) {
    return java.util.Arrays.copyOfRange(indexKey, 9, indexKey.length);
  }

  /** A window or raw key's parts. */
  public record Parsed(byte kind, byte[] key, long a, long b) {
  }

  public static Parsed parse(byte[] storeKey) {
    ByteBuffer b = ByteBuffer.wrap(storeKey);
    byte kind = b.get();
    if (kind == GROUP) {
      byte[] key = new byte[storeKey.length - 1];
      b.get(key);
      return new Parsed(kind, key, 0, 0);
    }
    byte[] key = new byte[b.getInt()];
    b.get(key);
    return new Parsed(kind, key, Bytes.getLong(b), Bytes.getLong(b));
  }

  @Override
  public void close() {
    kv.close();
  }

  @Override
  public String toString() {
    return name + " (" + kv.size() + " entries)";
  }

  /** Sets the stream time after a restore. */
  public void restoredStreamTime(long t) {
    streamTime = Math.max(streamTime, t);
    committedStreamTime = streamTime;
  }
}
