package io.sluice.streams.state;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The changes one input record makes to a store, seen by its own reads, applied only if the whole record is
 * processed: a record that fails (and goes to the dead-letter topic) leaves the store as it was. Changes are
 * <i>logged</i> (they go to the changelog) or <i>local</i> (indexes rebuilt from the logged content on restore).
 */
public final class Tx {
  private static final byte[] DELETED = new byte[0];

  private final Kv kv;
  private final TreeMap<byte[], byte[]> pending = new TreeMap<>(Bytes.ORDER);
  /** Logged keys in the order first written, so the changelog records come in a deterministic order. */
  private final Map<ByteBuffer, byte[]> logged = new LinkedHashMap<>();
  private long pendingBytes;
  private long maxPendingBytes = Long.MAX_VALUE;

  public Tx(Kv kv) {
    this.kv = kv;
  }

  public byte[] get(byte[] key) {
    byte[] v = pending.get(key);
    if (v != null) {
      return v == DELETED ? null : v;
    }
    return kv.get(key);
  }

  /**
   * Bounds the bytes of keys and values one record's changes may hold ({@code streams.max.bytes.per.record}): a
   * hopping window of 1,000 windows over a 900 KB record took the heap before its changes were ever committed.
   */
  public void limit(long maxBytes) {
    this.maxPendingBytes = maxBytes;
  }

  /** Bytes of the keys and values written since the last commit or rollback (a key written twice counts twice). */
  public long pendingBytes() {
    return pendingBytes;
  }

  public void put(byte[] key, byte[] value) {
    charge(key, value);
    pending.put(key, value);
    logged.putIfAbsent(ByteBuffer.wrap(key), key);
  }

  public void delete(byte[] key) {
    pending.put(key, DELETED);
    logged.putIfAbsent(ByteBuffer.wrap(key), key);
  }

  public void putLocal(byte[] key, byte[] value) {
    charge(key, value);
    pending.put(key, value);
  }

  public void deleteLocal(byte[] key) {
    pending.put(key, DELETED);
  }

  private void charge(byte[] key, byte[] value) {
    pendingBytes += key.length + (long) value.length;
    if (pendingBytes > maxPendingBytes) {
      throw new TooLarge("the record's state changes take more than " + maxPendingBytes
          + " bytes (streams.max.bytes.per.record)");
    }
  }

  /** A record's changes past the limit; the record is rolled back and is the processing error. */
  public static final class TooLarge extends RuntimeException {
    TooLarge(String message) {
      super(message, null, false, false);
    }
  }

  /** Up to {@code limit} entries with {@code from <= key < to}, this record's changes included. */
  public List<Kv.Entry> scan(byte[] from, byte[] to, int limit) {
    Map<byte[], byte[]> pend = pending.subMap(from, true, to, false);
    // Pending deletes can hide at most pend.size() stored entries: read that many more.
    long want = Math.min(Integer.MAX_VALUE, (long) limit + pend.size());
    TreeMap<byte[], byte[]> merged = new TreeMap<>(Bytes.ORDER);
    for (Kv.Entry e : kv.scan(from, to, (int) want)) {
      merged.put(e.key(), e.value());
    }
    byte[] last = merged.isEmpty() || merged.size() < want ? null : merged.lastKey();
    pend.forEach((k, v) -> {
      if (last == null || Bytes.ORDER.compare(k, last) <= 0) {
        if (v == DELETED) {
          merged.remove(k);
        } else {
          merged.put(k, v);
        }
      }
    });
    List<Kv.Entry> out = new ArrayList<>(Math.min(limit, merged.size()));
    for (Map.Entry<byte[], byte[]> e : merged.entrySet()) {
      if (out.size() >= limit) {
        break;
      }
      out.add(new Kv.Entry(e.getKey(), e.getValue()));
    }
    return out;
  }

  /**
   * The entries with {@code from <= key < to}, this record's changes included, read one at a time: the store's
   * cursor merged with the pending changes as it goes, so a key's long range (a hot key's sliding window, its
   * sessions, a join's other side) is never held whole. A change this record makes while walking shows when the
   * walk reaches its key (a change behind the walk does not). Close it on every path (try-with-resources).
   */
  public Scan scan(byte[] from, byte[] to) {
    return new Scan(from, to, kv.cursor(from, to));
  }

  /** A walk over a range of the store as this record changed it; see {@link #scan(byte[], byte[])}. */
  public final class Scan implements AutoCloseable {
    private final byte[] from;
    private final byte[] to;
    private final Kv.Cursor stored;
    private Kv.Entry nextStored;
    private boolean storedDone;
    /** The last key handed out or passed (null before the first): the walk resumes after it. */
    private byte[] after;

    private Scan(byte[] from, byte[] to, Kv.Cursor stored) {
      this.from = from;
      this.to = to;
      this.stored = stored;
    }

    /** The next entry, or null past the range. */
    public Kv.Entry next() {
      while (true) {
        if (nextStored == null && !storedDone) {
          nextStored = stored.next();
          storedDone = nextStored == null;
        }
        // Looked up afresh each time (not an iterator): the caller may change the pending map between calls.
        Map.Entry<byte[], byte[]> p = after == null ? pending.ceilingEntry(from) : pending.higherEntry(after);
        if (p != null && Bytes.ORDER.compare(p.getKey(), to) >= 0) {
          p = null;
        }
        if (p == null && nextStored == null) {
          return null;
        }
        int c = p == null ? 1 : nextStored == null ? -1 : Bytes.ORDER.compare(p.getKey(), nextStored.key());
        if (c > 0) {
          Kv.Entry e = nextStored;
          nextStored = null;
          after = e.key();
          return e;
        }
        if (c == 0) {
          nextStored = null; // this record's change replaces the stored value
        }
        after = p.getKey();
        if (p.getValue() != DELETED) {
          return new Kv.Entry(p.getKey(), p.getValue());
        }
      }
    }

    @Override
    public void close() {
      stored.close();
    }
  }

  /** Applies the changes to the store; answers the logged ones (value null: deleted), in first-written order. */
  public List<Kv.Change> commit() {
    List<Kv.Change> all = new ArrayList<>(pending.size());
    pending.forEach((k, v) -> all.add(new Kv.Change(k, v == DELETED ? null : v)));
    kv.write(all);
    List<Kv.Change> out = new ArrayList<>(logged.size());
    for (byte[] k : logged.values()) {
      byte[] v = pending.get(k);
      out.add(new Kv.Change(k, v == DELETED ? null : v));
    }
    pending.clear();
    logged.clear();
    pendingBytes = 0;
    return out;
  }

  /** Logged keys changed so far (changelog records a commit will make). */
  public int loggedCount() {
    return logged.size();
  }

  public void rollback() {
    pending.clear();
    logged.clear();
    pendingBytes = 0;
  }
}
