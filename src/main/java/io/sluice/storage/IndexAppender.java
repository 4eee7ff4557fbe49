package io.sluice.storage;

import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * Decides which batches get index entries and collects them in one RocksDB {@link WriteBatch}, so an append call
 * costs at most one RocksDB write. A batch gets an offset entry (and a time entry) when at least
 * {@code index.interval.bytes} of its segment were written since the previous entry; the first batch of a
 * segment needs none (position 0 is known). The same rule serves appends and recovery, so a rebuilt index
 * matches the one appends wrote.
 *
 * <p>Owner thread only. Close it to free the native batch (one it made; a batch it was given is its owner's).
 */
final class IndexAppender implements AutoCloseable {
  private final PartitionIndex index;
  private final int indexIntervalBytes;
  private final WriteBatch batch;
  private final boolean ownBatch;
  /** Largest timestamp of every batch seen so far in the log, -1 if none. */
  long runningMaxTimestamp;

  IndexAppender(PartitionIndex index, int indexIntervalBytes, long runningMaxTimestamp) {
    this(index, indexIntervalBytes, runningMaxTimestamp, new WriteBatch(), true);
  }

  /** Collects into {@code batch}, which its owner writes and frees (the log's {@link PendingIndex}). */
  IndexAppender(PartitionIndex index, int indexIntervalBytes, long runningMaxTimestamp, WriteBatch batch) {
    this(index, indexIntervalBytes, runningMaxTimestamp, batch, false);
  }

  private IndexAppender(PartitionIndex index, int indexIntervalBytes, long runningMaxTimestamp, WriteBatch batch,
      boolean ownBatch) {
    this.index = index;
    this.indexIntervalBytes = indexIntervalBytes;
    this.runningMaxTimestamp = runningMaxTimestamp;
    this.batch = batch;
    this.ownBatch = ownBatch;
  }

  /** @return whether the batch got an offset (and time) entry */
  boolean onBatch(Segment segment, long baseOffset, int position, int sizeInBytes, long maxTimestamp)
      throws RocksDBException {
    boolean entry = segment.bytesSinceIndexEntry >= indexIntervalBytes;
    if (entry) {
      index.putOffset(batch, baseOffset, segment.baseOffset, position);
      index.putTime(batch, runningMaxTimestamp, baseOffset);
      segment.bytesSinceIndexEntry = 0;
    }
    segment.bytesSinceIndexEntry += sizeInBytes;
    runningMaxTimestamp = Math.max(runningMaxTimestamp, maxTimestamp);
    return entry;
  }

  WriteBatch batch() {
    return batch;
  }

  /** Writes what was collected (without fsync) and starts a new collection. */
  void commit() throws RocksDBException {
    index.write(batch, false);
    batch.clear();
  }

  @Override
  public void close() {
    if (ownBatch) {
      batch.close();
    }
  }
}
