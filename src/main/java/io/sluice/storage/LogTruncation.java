package io.sluice.storage;

import io.sluice.api.TopicPartition;

import io.sluice.storage.PartitionIndex.RecoveryPoint;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * Truncation of a {@link LocalPartitionLog}, a follower's operations: {@link #truncateTo} cuts the log's tail at a
 * batch boundary (a follower whose log diverged from its leader's), {@link #truncateFullyAndStartAt} empties it and
 * restarts it at another offset (a follower below its leader's log start). See {@link PartitionLog} for the contracts
 * and crash behaviour.
 *
 * <p>Both publish the new {@link LogState} while holding the log's {@code indexLock}, so an index rebuild by a reader
 * cannot write entries for what is being removed. A reader racing a truncation may get bytes cut under it (a
 * follower-only operation, as in Kafka).
 *
 * <p><b>Threading</b>: the log's owner thread only.
 */
final class LogTruncation {
  private static final System.Logger LOG = System.getLogger(LogTruncation.class.getName());

  private final LocalPartitionLog log;
  private final TopicPartition tp;
  private final Path dir;
  private final SegmentFiles files;
  private final PartitionIndex index;
  private final LongSupplier clock;
  private final LogStartCheckpoint checkpoint;

  LogTruncation(LocalPartitionLog log, TopicPartition tp, Path dir, SegmentFiles files, PartitionIndex index,
      LongSupplier clock, LogStartCheckpoint checkpoint) {
    this.log = log;
    this.tp = tp;
    this.dir = dir;
    this.files = files;
    this.index = index;
    this.clock = clock;
    this.checkpoint = checkpoint;
  }

  long truncateTo(long offset) {
    log.checkWritable();
    log.snapshots.deleteAbove(offset); // first: a crash from here on must not find a snapshot past the cut
    log.producers.truncateTo(offset);
    LogState s = log.state;
    if (offset >= s.logEndOffset()) {
      return s.logEndOffset();
    }
    if (offset <= s.logStartOffset()) {
      return truncateFullyAndStartAt(offset);
    }
    int i = s.floorIndex(offset);
    Segment keep = s.segments()[i];
    try {
      BatchCursor cursor = new BatchCursor(keep.channel, s.readableSize(keep));
      if (!log.locator.seekBatch(keep, s.readableSize(keep), offset, cursor)) {
        throw log.fail("truncating: no batch of " + keep.file + " holds offset " + offset, null);
      }
      long newEnd = cursor.baseOffset;
      int newSize = (int) cursor.position;
      List<Segment> removed = List.of(s.segments()).subList(i + 1, s.segments().length);
      Segment[] segments = Arrays.copyOf(s.segments(), i + 1);
      synchronized (log.indexLock) {
        log.state = new LogState(s.logStartOffset(), newEnd, segments, newSize);
        keep.channel.truncate(newSize);
        keep.size = newSize;
        keep.nextOffset = newEnd;
        recomputeTimestamps(keep);
        try (WriteBatch writes = new WriteBatch()) {
          index.deleteOffsets(writes, newEnd, Long.MAX_VALUE);
          index.deleteTimesFrom(writes, newEnd);
          index.deleteSegmentMeta(writes, keep.baseOffset);
          index.putRecoveryPoint(writes, RecoveryPoint.startOf(keep.baseOffset));
          log.deleted.unlink(removed, writes);
          index.write(writes, false);
        }
      }
      log.transactionsTruncatedTo(newEnd);
      log.runningMaxTimestamp = Arrays.stream(segments).mapToLong(x -> x.maxTimestamp).max().orElse(-1);
      keep.bytesSinceIndexEntry = 0;
      LOG.log(Level.INFO, "Partition {0}: truncated to offset {1} (asked {2}), removed {3} later segment(s)",
          tp, newEnd, offset, removed.size());
      return newEnd;
    } catch (IOException | RocksDBException e) {
      throw log.fail("truncating to offset " + offset, e);
    }
  }

  long truncateFullyAndStartAt(long offset) {
    log.checkWritable();
    log.snapshots.deleteAll();
    log.producers.clear();
    log.txns.clear();
    LogState s = log.state;
    Path file = dir.resolve(Segment.fileName(offset));
    try {
      List<Segment> removed = List.of(s.segments());
      synchronized (log.indexLock) {
        // Segments go before the new start is checkpointed: a crash in between leaves a suffix of the old log or an
        // empty log at the old start, never records below a start that was already recorded.
        try (WriteBatch writes = new WriteBatch()) {
          log.deleted.unlink(removed, writes);
          index.deleteOffsets(writes, 0, Long.MAX_VALUE);
          index.deleteTimesFrom(writes, Long.MIN_VALUE);
          index.putRecoveryPoint(writes, RecoveryPoint.startOf(offset));
          index.write(writes, false);
        }
        checkpoint.write(offset);
        Segment fresh = new Segment(offset, file, files.open(file, true), clock.getAsLong());
        AtomicFile.fsyncDirectory(dir);
        log.state = new LogState(offset, offset, new Segment[] {fresh}, 0);
      }
      log.runningMaxTimestamp = -1;
      LOG.log(Level.INFO, "Partition {0}: truncated fully, log now starts at offset {1}", tp, offset);
      return offset;
    } catch (IOException | RocksDBException e) {
      throw log.fail("truncating fully to offset " + offset, e);
    }
  }

  private static void recomputeTimestamps(Segment segment) throws IOException {
    BatchCursor cursor = new BatchCursor(segment.channel, segment.size);
    long max = -1;
    segment.rollTimestamp = -1;
    for (boolean ok = cursor.loadAt(0); ok; ok = cursor.next()) {
      if (cursor.position == 0) {
        segment.rollTimestamp = cursor.maxTimestamp;
      }
      max = Math.max(max, cursor.maxTimestamp);
    }
    segment.maxTimestamp = max;
  }
}
