package io.sluice.storage;

import io.sluice.api.TopicPartition;

import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * Finds the batch that holds an offset in a segment of a {@link LocalPartitionLog}: from the sparse offset index's
 * floor entry when that entry is trustworthy, else by scanning batch headers from the segment's start. A corrupt
 * entry (one that does not point at a batch header with the entry's base offset) makes it rebuild the segment's
 * entries from the batch headers: the log is the truth, the index is derived. Also the time index lookups of
 * {@code offsetForTimestamp}.
 *
 * <p><b>Threading</b>: any thread (readers and the owner). Index rebuilds hold the log's {@code indexLock}, which
 * the owner also holds while it deletes or truncates segments, so a rebuild never writes entries for a segment that
 * is going away.
 */
final class BatchLocator {
  private static final System.Logger LOG = System.getLogger(BatchLocator.class.getName());

  private final LocalPartitionLog log;
  private final TopicPartition tp;
  private final PartitionIndex index;
  private final int indexIntervalBytes;

  BatchLocator(LocalPartitionLog log, TopicPartition tp, PartitionIndex index, int indexIntervalBytes) {
    this.log = log;
    this.tp = tp;
    this.index = index;
    this.indexIntervalBytes = indexIntervalBytes;
  }

  /**
   * Positions {@code cursor} on the batch of {@code segment} that contains {@code offset}, starting from the
   * offset index's floor entry when that entry is trustworthy. An entry that points at something other than a
   * batch with the entry's base offset means a corrupt index: the segment is scanned from its start and its
   * index entries are rebuilt.
   *
   * @return false if no batch below {@code end} contains {@code offset}
   */
  boolean seekBatch(Segment segment, int end, long offset, BatchCursor cursor) throws IOException {
    long start = 0;
    boolean corrupt = false;
    PartitionIndex.OffsetEntry entry = floorEntry(offset);
    if (entry != null && entry.offset() >= segment.baseOffset) { // the entry claims a batch of this segment
      if (entry.segmentBaseOffset() == segment.baseOffset && cursor.loadAt(entry.position())
          && cursor.baseOffset == entry.offset()) {
        start = entry.position();
      } else {
        corrupt = true;
      }
    }
    boolean found = scanTo(cursor, start, offset);
    if (corrupt) {
      LOG.log(Level.WARNING, "Partition {0}: offset index entry {1} does not point at a batch of {2}; scanning"
          + " the segment and rebuilding its index entries", tp, entry, segment.file);
      rebuildIndex(segment, end);
    }
    return found;
  }

  private static boolean scanTo(BatchCursor cursor, long start, long offset) throws IOException {
    if (!cursor.loadAt(start)) {
      return false;
    }
    while (cursor.lastOffset() < offset) {
      if (!cursor.next()) {
        return false;
      }
    }
    return true;
  }

  /** The offset index entry with the largest offset {@code <= offset}: the newest ones in memory, else RocksDB's. */
  PartitionIndex.OffsetEntry floorEntry(long offset) {
    PartitionIndex.OffsetEntry recent = log.pendingIndex.floor(offset);
    if (recent != null) {
      return recent; // at the log's tail: no RocksDB iterator and seek
    }
    try {
      return index.floorOffset(offset);
    } catch (RocksDBException e) {
      LOG.log(Level.WARNING, "Partition {0}: offset index lookup failed, scanning instead: {1}", tp, e);
      return null;
    }
  }

  /** Rewrites the offset index entries of {@code segment} from its batch headers, up to {@code end}. */
  private void rebuildIndex(Segment segment, int end) {
    synchronized (log.indexLock) {
      LogState s = log.state;
      if (Arrays.stream(s.segments()).noneMatch(x -> x == segment)) {
        return; // deleted or truncated meanwhile
      }
      BatchCursor cursor = new BatchCursor(segment.channel, Math.min(end, s.readableSize(segment)));
      try (WriteBatch writes = new WriteBatch()) {
        List<long[]> entries = new ArrayList<>();
        long nextOffset = segment.baseOffset;
        int sinceEntry = 0;
        for (boolean ok = cursor.loadAt(0); ok; ok = cursor.next()) {
          if (sinceEntry >= indexIntervalBytes) {
            entries.add(new long[] {cursor.baseOffset, cursor.position});
            sinceEntry = 0;
          }
          sinceEntry += cursor.sizeInBytes;
          nextOffset = cursor.nextOffset();
        }
        index.deleteOffsets(writes, segment.baseOffset, nextOffset);
        for (long[] e : entries) {
          index.putOffset(writes, e[0], segment.baseOffset, (int) e[1]);
        }
        index.write(writes, false);
      } catch (IOException | RocksDBException e) {
        LOG.log(Level.WARNING, "Partition {0}: rebuilding the index of {1} failed: {2}", tp, segment.file, e);
      }
    }
  }

  /** An offset below which every record timestamp is below {@code timestampMs} (time index), or -1. */
  long timeIndexHint(long timestampMs) {
    try {
      return index.offsetBelowWhichTimestampsAreSmaller(timestampMs);
    } catch (RocksDBException e) {
      LOG.log(Level.WARNING, "Partition {0}: time index lookup failed, scanning instead: {1}", tp, e);
      return -1;
    }
  }

  /** The first offset at or after {@code minOffset} in the cursor's batch with a timestamp at or after the given. */
  static long findInBatch(Segment segment, BatchCursor cursor, long timestampMs, long minOffset)
      throws IOException {
    ByteBuffer batch = ByteBuffer.allocate(cursor.sizeInBytes);
    if (Segment.readFully(segment.channel, batch, cursor.position) < cursor.sizeInBytes) {
      return -1;
    }
    Iterator<Record> records = RecordBatch.wrap(batch.flip()).iterator();
    while (records.hasNext()) {
      Record record = records.next();
      if (record.offset() >= minOffset && record.timestamp() >= timestampMs) {
        return record.offset();
      }
    }
    return -1;
  }
}
