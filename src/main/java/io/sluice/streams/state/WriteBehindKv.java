package io.sluice.streams.state;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * A {@link Kv} that holds the writes made to it in memory, read back through it, until {@link #flush} applies them to
 * the store beneath in one atomic write. A stream task writes through it and flushes once per fetch: one RocksDB
 * write batch for a fetch's records instead of one per record (the JNI call, the batch and the memtable insert each
 * cost as much as a small record's whole processing). Nothing is lost that the changelog does not hold: a task whose
 * processing fails ends, and its successor restores its store from the changelog.
 *
 * <p>Readers of the store beneath (interactive queries, from other threads) see it as of the last flush. Not
 * thread-safe: the task's records, one at a time.
 */
public final class WriteBehindKv implements Kv {
  private final Kv base;
  private final TreeMap<byte[], byte[]> dirty = new TreeMap<>(Bytes.ORDER);

  public WriteBehindKv(Kv base) {
    this.base = base;
  }

  @Override
  public byte[] get(byte[] key) {
    byte[] v = dirty.get(key);
    if (v != null) {
      return v == Tx.DELETED ? null : v;
    }
    return base.get(key);
  }

  @Override
  public List<Entry> scan(byte[] from, byte[] to, int limit) {
    return dirty.isEmpty() ? base.scan(from, to, limit) : Tx.overlay(base, dirty, from, to, limit);
  }

  @Override
  public void write(List<Change> changes) {
    for (Change c : changes) {
      dirty.put(c.key(), c.value() == null ? Tx.DELETED : c.value());
    }
  }

  /** Applies the writes held to the store beneath, atomically. */
  public void flush() {
    if (dirty.isEmpty()) {
      return;
    }
    List<Change> all = new ArrayList<>(dirty.size());
    dirty.forEach((k, v) -> all.add(new Change(k, v == Tx.DELETED ? null : v)));
    base.write(all);
    dirty.clear();
  }

  /** Writes held, not yet flushed. */
  public int held() {
    return dirty.size();
  }

  @Override
  public long size() {
    return base.size();
  }

  /** Drops the writes held and closes the store beneath. */
  @Override
  public void close() {
    dirty.clear();
    base.close();
  }
}
