package io.sluice.streams.state;

import java.util.List;

/**
 * A sorted key-value store of bytes (keys compare as unsigned bytes), as a stream task's state stores keep their
 * contents: {@link RocksKv} on a broker, {@link MemoryKv} for preview. Blocking: call from a worker thread, one
 * caller at a time (a task processes one record at a time).
 */
public interface Kv extends AutoCloseable {
  /** A key and its value. */
  record Entry(byte[] key, byte[] value) {
  }

  /** A change: a put, or a delete when {@code value} is null. */
  record Change(byte[] key, byte[] value) {
  }

  byte[] get(byte[] key);

  /** Up to {@code limit} entries with {@code from <= key < to}, in key order. */
  List<Entry> scan(byte[] from, byte[] to, int limit);

  /**
   * The entries with {@code from <= key < to}, in key order, read one at a time as {@link Cursor#next} asks: a range
   * of unknown size walked without holding it. Close it on every path (try-with-resources): it holds a RocksDB
   * iterator, and keeps the store from closing under it.
   */
  Cursor cursor(byte[] from, byte[] to);

  /** A range read one entry at a time; not thread-safe. */
  interface Cursor extends AutoCloseable {
    /** The next entry, or null past the last. */
    Entry next();

    /** Releases what the cursor holds; idempotent. */
    @Override
    void close();
  }

  /**
   * Hands the entries with {@code from <= key < to} to {@code visitor} in key order, one at a time, until it answers
   * false: a range of unknown size read without holding it.
   */
  void forEach(byte[] from, byte[] to, java.util.function.Predicate<Entry> visitor);

  /** Applies {@code changes} in order, atomically. */
  void write(List<Change> changes);

  /** Entries stored (an estimate for RocksDB). */
  long size();

  @Override
  void close();
}
