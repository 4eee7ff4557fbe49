package io.sluice.storage;

import io.sluice.api.TopicPartition;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.TreeMap;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
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
 * <p>Thread-safe (RocksDB is). Lookups may run on reader threads while the owner writes.
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

  // ---- writes, batched by the caller ----

  void putOffset(WriteBatch batch, long offset, long segmentBaseOffset, int position) throws RocksDBException {
    batch.put(store.offsetCf, longKey(offset),
        ByteBuffer.allocate(12).putLong(segmentBaseOffset).putInt(position).array());
  }

  void putTime(WriteBatch batch, long maxTimestampBelow, long offset) throws RocksDBException {
    batch.put(store.timeCf, longKey(timeKey(maxTimestampBelow)), ByteBuffer.allocate(8).putLong(offset).array());
  }

  void putSegmentMeta(WriteBatch batch, long baseOffset, SegmentMeta meta) throws RocksDBException {
    batch.put(store.metaCf, segmentKey(baseOffset), ByteBuffer.allocate(32).putLong(meta.size())
        .putLong(meta.nextOffset()).putLong(meta.maxTimestamp()).putLong(meta.rollTimestamp()).array());
  }

  void deleteSegmentMeta(WriteBatch batch, long baseOffset) throws RocksDBException {
    batch.delete(store.metaCf, segmentKey(baseOffset));
  }

  void putRecoveryPoint(WriteBatch batch, RecoveryPoint rp) throws RocksDBException {
    batch.put(store.metaCf, metaKey(RECOVERY_POINT), ByteBuffer.allocate(36).putLong(rp.offset())
        .putLong(rp.segmentBaseOffset()).putInt(rp.position()).putLong(rp.maxTimestamp())
        .putLong(rp.rollTimestamp()).array());
  }

  void putCleanMarker(WriteBatch batch, long logEndOffset) throws RocksDBException {
    batch.put(store.metaCf, metaKey(CLEAN), ByteBuffer.allocate(8).putLong(logEndOffset).array());
  }

  void deleteCleanMarker(WriteBatch batch) throws RocksDBException {
    batch.delete(store.metaCf, metaKey(CLEAN));
  }

  /** Deletes offset index entries with keys in [{@code fromOffset}, {@code toOffset}). */
  void deleteOffsets(WriteBatch batch, long fromOffset, long toOffset) throws RocksDBException {
    batch.deleteRange(store.offsetCf, longKey(fromOffset), longKey(toOffset));
  }

  /** Deletes the time index entries whose offset is at or above {@code offset} (they are the last ones). */
  void deleteTimesFrom(WriteBatch batch, long offset) throws RocksDBException {
    try (RocksIterator it = store.db().newIterator(store.timeCf)) {
      for (it.seekForPrev(longKey(-1L)); it.isValid() && ours(it.key(), 8); it.prev()) {
        if (ByteBuffer.wrap(it.value()).getLong() < offset) {
          break;
        }
        batch.delete(store.timeCf, it.key());
      }
      it.status();
    }
  }

  /** Deletes the time index entries whose offset is below {@code offset} (they are the first ones). */
  void deleteTimesBelow(WriteBatch batch, long offset) throws RocksDBException {
    try (RocksIterator it = store.db().newIterator(store.timeCf)) {
      for (it.seek(prefix); it.isValid() && ours(it.key(), 8); it.next()) {
        if (ByteBuffer.wrap(it.value()).getLong() >= offset) {
          break;
        }
        batch.delete(store.timeCf, it.key());
      }
      it.status();
    }
  }

  /** Deletes every key of this partition in every column family. */
  void deleteAll(WriteBatch batch) throws RocksDBException {
    batch.deleteRange(store.offsetCf, prefix, upperBound);
    batch.deleteRange(store.timeCf, prefix, upperBound);
    batch.deleteRange(store.metaCf, prefix, upperBound);
  }

  void write(WriteBatch batch, boolean sync) throws RocksDBException {
    if (batch.count() > 0) {
      store.db().write(sync ? store.syncWrites : store.asyncWrites, batch);
    }
  }

  // ---- lookups ----

  /** The entry with the largest offset {@code <= offset}, or null if this partition has none. */
  OffsetEntry floorOffset(long offset) throws RocksDBException {
    try (RocksIterator it = store.db().newIterator(store.offsetCf)) {
      it.seekForPrev(longKey(offset));
      if (!it.isValid()) {
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
    }
  }

  /**
   * An offset below which no record has a timestamp {@code >= timestampMs}, or -1 if the index knows none.
   */
  long offsetBelowWhichTimestampsAreSmaller(long timestampMs) throws RocksDBException {
    if (timestampMs == Long.MIN_VALUE) {
      return -1;
    }
    try (RocksIterator it = store.db().newIterator(store.timeCf)) {
      it.seekForPrev(longKey(timeKey(timestampMs - 1)));
      if (!it.isValid()) {
        it.status();
        return -1;
      }
      return ours(it.key(), 8) && it.value().length == 8 ? ByteBuffer.wrap(it.value()).getLong() : -1;
    }
  }

  boolean hasCleanMarker() throws RocksDBException {
    return store.db().get(store.metaCf, metaKey(CLEAN)) != null;
  }

  /** The stored recovery point, or {@link RecoveryPoint#NONE} when there is none (scan everything). */
  RecoveryPoint recoveryPoint() throws RocksDBException {
    byte[] v = store.db().get(store.metaCf, metaKey(RECOVERY_POINT));
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
    try (RocksIterator it = store.db().newIterator(store.metaCf)) {
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
    }
    return metas;
  }
}
