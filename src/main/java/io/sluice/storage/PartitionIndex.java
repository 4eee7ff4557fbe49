package io.sluice.storage;

import io.sluice.api.TopicPartition;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.TreeMap;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;

/**
 * One partition's slice of the {@link IndexStore}: the key codec and the operations a {@link LocalPartitionLog}
 * needs. See {@link IndexStore} for the layout.
 *
 * <p>Offset index: a sparse map from a batch's base offset to (segment base offset, file position of the batch),
 * one entry per {@code index.interval.bytes} of log. Time index: a sparse map from "the largest record timestamp
 * of every batch below offset {@code o}" to {@code o}; both keys and values grow with the log, so
 * {@code seekForPrev(t - 1)} gives an offset below which no record has a timestamp {@code >= t}.
 *
 * <p>Thread-safe (RocksDB is). Lookups may run on reader threads while the owner writes. Every use of the database,
 * including putting a column family handle into a write batch, goes through {@link IndexStore#use}: once the store
 * is closed they fail with a {@link RocksDBException} instead of touching freed native handles.
 */
final class PartitionIndex {
  /** One offset index entry: the batch with base offset {@code offset} starts at {@code position}. */
  record OffsetEntry(long offset, long segmentBaseOffset, int position) {}

  /** What {@code log_meta} remembers about a segment that is not being written. */
  record SegmentMeta(long size, long nextOffset, long maxTimestamp, long rollTimestamp) {}

  /**
   * The point up to which the log is known to be on disk: {@code offset} is the first offset not known flushed,
   * found at {@code position} of segment {@code segmentBaseOffset}, whose bytes before it have the given max and
   * roll timestamps. Recovery scans from here.
   */
  record RecoveryPoint(long offset, long segmentBaseOffset, int position, long maxTimestamp, long rollTimestamp) {
    static final RecoveryPoint NONE = new RecoveryPoint(0, -1, 0, -1, -1);

    static RecoveryPoint startOf(long segmentBaseOffset) {
      return new RecoveryPoint(segmentBaseOffset, segmentBaseOffset, 0, -1, -1);
    }
  }

  private static final byte CLEAN = 'c';
  private static final byte RECOVERY_POINT = 'r';
  private static final byte SEGMENT = 's';

  private final IndexStore store;
  private final byte[] prefix;
  private final byte[] upperBound;

  PartitionIndex(IndexStore store, TopicPartition tp) {
    this.store = store;
    byte[] dir = IndexStore.bytes(tp.dirName());
    this.prefix = Arrays.copyOf(dir, dir.length + 1);
    this.upperBound = Arrays.copyOf(prefix, prefix.length);
    upperBound[upperBound.length - 1] = 1;
  }

  // ---- key codec ----

  private byte[] longKey(long value) {
    return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(value).array();
  }

  private byte[] metaKey(byte type) {
    return ByteBuffer.allocate(prefix.length + 1).put(prefix).put(type).array();
  }

  private byte[] segmentKey(long baseOffset) {
    return ByteBuffer.allocate(prefix.length + 9).put(prefix).put(SEGMENT).putLong(baseOffset).array();
  }

  private static long timeKey(long timestamp) {
    return timestamp ^ Long.MIN_VALUE;
  }

  private boolean ours(byte[] key, int suffixLength) {
    return key.length == prefix.length + suffixLength && Arrays.equals(key, 0, prefix.length, prefix, 0,
        prefix.length);
  }

  private static long suffixLong(byte[] key) {
    return ByteBuffer.wrap(key, key.length - 8, 8).getLong();
  }

  /** A use of an iterator over one column family, bounded to this partition's keys. */
  @FunctionalInterface
  private interface IteratorCall<T> {
    T call(RocksIterator it) throws RocksDBException;
  }

  /**
   * Runs {@code call} with an iterator of {@code cf} bounded to {@code [prefix, upperBound)}: a seek that finds
   * nothing of this partition stops at the bound instead of going on through the neighbouring partitions' keys. The
   * bounds do not keep a backward seek from stepping over the keys earlier range deletions cover: see
   * {@link #seekFloor}.
   */
  private <T> T iterate(ColumnFamilyHandle cf, IteratorCall<T> call) throws RocksDBException {
    return store.use(db -> {
      try (Slice lower = new Slice(prefix); Slice upper = new Slice(upperBound);
          ReadOptions options = new ReadOptions().setIterateLowerBound(lower).setIterateUpperBound(upper);
          RocksIterator it = db.newIterator(cf, options)) {
        return call.call(it);
      }
    });
  }

  /**
   * Positions {@code it} (from {@link #iterate}) at this partition's last key {@code <= target}; false, and {@code it}
   * invalid or past the target, if there is none. It seeks forward first, to this partition's first key: a backward
   * seek that finds nothing of this partition in the memtable steps back over every key that earlier partitions'
   * range deletions cover, one by one, whatever the lower bound (RocksDB checks it above the memtable's iterator),
   * while a forward seek jumps over a range deletion's keys. After a thousand deleted topics a new log's open stepped
   * over some 27,000 keys per partition (docs/benchmarks.md, issue 16, seventeenth session, h-tomb).
   */
  private boolean seekFloor(RocksIterator it, byte[] target) {
    it.seek(prefix);
    if (!it.isValid() || Arrays.compareUnsigned(it.key(), target) > 0) {
      return false;
    }
    it.seekForPrev(target);
    return it.isValid();
  }

  // ---- writes, batched by the caller ----

  void putOffset(WriteBatch batch, long offset, long segmentBaseOffset, int position) throws RocksDBException {
    byte[] key = longKey(offset);
    byte[] value = ByteBuffer.allocate(12).putLong(segmentBaseOffset).putInt(position).array();
    store.use(db -> {
      batch.put(store.offsetCf, key, value);
      return null;
    });
  }

  void putTime(WriteBatch batch, long maxTimestampBelow, long offset) throws RocksDBException {
    byte[] key = longKey(timeKey(maxTimestampBelow));
    byte[] value = ByteBuffer.allocate(8).putLong(offset).array();
    store.use(db -> {
      batch.put(store.timeCf, key, value);
      return null;
    });
  }

  void putSegmentMeta(WriteBatch batch, long baseOffset, SegmentMeta meta) throws RocksDBException {
    putMeta(batch, segmentKey(baseOffset), ByteBuffer.allocate(32).putLong(meta.size())
        .putLong(meta.nextOffset()).putLong(meta.maxTimestamp()).putLong(meta.rollTimestamp()).array());
  }

  void deleteSegmentMeta(WriteBatch batch, long baseOffset) throws RocksDBException {
    deleteMeta(batch, segmentKey(baseOffset));
  }

  void putRecoveryPoint(WriteBatch batch, RecoveryPoint rp) throws RocksDBException {
    putMeta(batch, metaKey(RECOVERY_POINT), ByteBuffer.allocate(36).putLong(rp.offset())
        .putLong(rp.segmentBaseOffset()).putInt(rp.position()).putLong(rp.maxTimestamp())
        .putLong(rp.rollTimestamp()).array());
  }

  void putCleanMarker(WriteBatch batch, long logEndOffset) throws RocksDBException {
    putMeta(batch, metaKey(CLEAN), ByteBuffer.allocate(8).putLong(logEndOffset).array());
  }

  private void putMeta(WriteBatch batch, byte[] key, byte[] value) throws RocksDBException {
    store.use(db -> {
      batch.put(store.metaCf, key, value);
      return null;
    });
  }

  private void deleteMeta(WriteBatch batch, byte[] key) throws RocksDBException {
    store.use(db -> {
      batch.delete(store.metaCf, key);
      return null;
    });
  }

  void deleteCleanMarker(WriteBatch batch) throws RocksDBException {
    deleteMeta(batch, metaKey(CLEAN));
  }

  /** Deletes offset index entries with keys in [{@code fromOffset}, {@code toOffset}). */
  void deleteOffsets(WriteBatch batch, long fromOffset, long toOffset) throws RocksDBException {
    byte[] from = longKey(fromOffset);
    byte[] to = longKey(toOffset);
    store.use(db -> {
      batch.deleteRange(store.offsetCf, from, to);
      return null;
    });
  }

  /**
   * Deletes the offset index entries at or above {@code fromOffset}. Writes no range deletion when there are none
   * (as for a log just created): each one is a tombstone that the next iterator of the column family fragments
   * again, with all the others still in the memtable.
   */
  void deleteOffsetsFrom(WriteBatch batch, long fromOffset) throws RocksDBException {
    byte[] from = longKey(fromOffset);
    boolean any = iterate(store.offsetCf, it -> {
      it.seek(from);
      it.status();
      return it.isValid();
    });
    if (any) {
      store.use(db -> {
        batch.deleteRange(store.offsetCf, from, upperBound);
        return null;
      });
    }
  }

  /** Deletes the time index entries whose offset is at or above {@code offset} (they are the last ones). */
  void deleteTimesFrom(WriteBatch batch, long offset) throws RocksDBException {
    iterate(store.timeCf, it -> {
      for (boolean any = seekFloor(it, longKey(-1L)); any && it.isValid() && ours(it.key(), 8); it.prev()) {
        if (ByteBuffer.wrap(it.value()).getLong() < offset) {
          break;
        }
        batch.delete(store.timeCf, it.key());
      }
      it.status();
      return null;
    });
  }

  /** Deletes the time index entries whose offset is below {@code offset} (they are the first ones). */
  void deleteTimesBelow(WriteBatch batch, long offset) throws RocksDBException {
    iterate(store.timeCf, it -> {
      for (it.seek(prefix); it.isValid() && ours(it.key(), 8); it.next()) {
        if (ByteBuffer.wrap(it.value()).getLong() >= offset) {
          break;
        }
        batch.delete(store.timeCf, it.key());
      }
      it.status();
      return null;
    });
  }

  /** Whether this partition has no key in any column family. */
  boolean isEmpty() throws RocksDBException {
    for (ColumnFamilyHandle cf : new ColumnFamilyHandle[] {store.offsetCf, store.timeCf, store.metaCf}) {
      boolean any = iterate(cf, it -> {
        it.seek(prefix);
        it.status();
        return it.isValid();
      });
      if (any) {
        return false;
      }
    }
    return true;
  }

  /** Deletes every key of this partition in every column family. */
  void deleteAll(WriteBatch batch) throws RocksDBException {
    store.use(db -> {
      batch.deleteRange(store.offsetCf, prefix, upperBound);
      batch.deleteRange(store.timeCf, prefix, upperBound);
      batch.deleteRange(store.metaCf, prefix, upperBound);
      return null;
    });
  }

  void write(WriteBatch batch, boolean sync) throws RocksDBException {
    if (batch.count() > 0) {
      store.use(db -> {
        db.write(sync ? store.syncWrites : store.asyncWrites, batch);
        return null;
      });
    }
  }

  // ---- lookups ----

  /** The entry with the largest offset {@code <= offset}, or null if this partition has none. */
  OffsetEntry floorOffset(long offset) throws RocksDBException {
    return iterate(store.offsetCf, it -> {
      if (!seekFloor(it, longKey(offset))) {
        it.status();
        return null;
      }
      byte[] key = it.key();
      byte[] value = it.value();
      if (!ours(key, 8) || value.length != 12) {
        return null;
      }
      ByteBuffer v = ByteBuffer.wrap(value);
      return new OffsetEntry(suffixLong(key), v.getLong(), v.getInt());
    });
  }

  /**
   * An offset below which no record has a timestamp {@code >= timestampMs}, or -1 if the index knows none.
   */
  long offsetBelowWhichTimestampsAreSmaller(long timestampMs) throws RocksDBException {
    if (timestampMs == Long.MIN_VALUE) {
      return -1;
    }
    return iterate(store.timeCf, it -> {
      if (!seekFloor(it, longKey(timeKey(timestampMs - 1)))) {
        it.status();
        return -1L;
      }
      return ours(it.key(), 8) && it.value().length == 8 ? ByteBuffer.wrap(it.value()).getLong() : -1L;
    });
  }

  boolean hasCleanMarker() throws RocksDBException {
    return getMeta(metaKey(CLEAN)) != null;
  }

  private byte[] getMeta(byte[] key) throws RocksDBException {
    return store.use(db -> db.get(store.metaCf, key));
  }

  /** The stored recovery point, or {@link RecoveryPoint#NONE} when there is none (scan everything). */
  RecoveryPoint recoveryPoint() throws RocksDBException {
    byte[] v = getMeta(metaKey(RECOVERY_POINT));
    if (v == null || v.length != 36) {
      return RecoveryPoint.NONE;
    }
    ByteBuffer b = ByteBuffer.wrap(v);
    return new RecoveryPoint(b.getLong(), b.getLong(), b.getInt(), b.getLong(), b.getLong());
  }

  /** Every segment's stored metadata, by base offset. */
  TreeMap<Long, SegmentMeta> segmentMetas() throws RocksDBException {
    TreeMap<Long, SegmentMeta> metas = new TreeMap<>();
    byte[] start = ByteBuffer.allocate(prefix.length + 1).put(prefix).put(SEGMENT).array();
    return iterate(store.metaCf, it -> {
      for (it.seek(start); it.isValid(); it.next()) {
        byte[] key = it.key();
        if (!ours(key, 9) || key[prefix.length] != SEGMENT) {
          break;
        }
        ByteBuffer v = ByteBuffer.wrap(it.value());
        if (v.remaining() == 32) {
          metas.put(suffixLong(key), new SegmentMeta(v.getLong(), v.getLong(), v.getLong(), v.getLong()));
        }
      }
      it.status();
      return metas;
    });
  }
}
