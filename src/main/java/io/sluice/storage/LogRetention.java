package io.sluice.storage;

import io.sluice.api.TopicPartition;

import io.sluice.errors.OffsetOutOfRangeException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * Deletion of a {@link LocalPartitionLog}'s oldest segments: by {@code retention.ms} (against a segment's newest
 * record timestamp) and {@code retention.bytes}, and below a log start moved by {@link #deleteRecordsBefore}. Only
 * whole segments go, oldest first; when every segment goes, an empty segment is rolled first so the log end offset
 * survives. Files are unlinked at once and their channels closed later ({@link DeletedSegments}).
 *
 * <p><b>Threading</b>: the log's owner thread only. Each deletion publishes the new {@link LogState} (log start
 * moved, segments dropped) before the files go, under the log's {@code indexLock}.
 */
final class LogRetention {
  private static final System.Logger LOG = System.getLogger(LogRetention.class.getName());

  private final LocalPartitionLog log;
  private final TopicPartition tp;
  private final PartitionIndex index;
  private final LongSupplier clock;
  private final LogStartCheckpoint checkpoint;

  LogRetention(LocalPartitionLog log, TopicPartition tp, PartitionIndex index, LongSupplier clock,
      LogStartCheckpoint checkpoint) {
    this.log = log;
    this.tp = tp;
    this.index = index;
    this.clock = clock;
    this.checkpoint = checkpoint;
  }

  void deleteRecordsBefore(long offset) {
    log.checkWritable();
    LogState s = log.state;
    if (offset > s.logEndOffset()) {
      throw new OffsetOutOfRangeException("Cannot delete records of partition " + tp + " before offset " + offset
          + ": the log ends at " + s.logEndOffset());
    }
    if (offset <= s.logStartOffset()) {
      return;
    }
    try {
      checkpoint.write(offset);
    } catch (IOException e) {
      throw log.fail("writing the log start offset " + offset, e);
    }
    log.state = new LogState(offset, s.logEndOffset(), s.segments(), s.activeSize());
    deleteOldestSegments(segment -> segment.nextOffset <= offset, Long.MAX_VALUE, clock.getAsLong(),
        "below the log start " + offset);
  }

  int enforceRetention(long nowMs, long maxDeletableOffset) {
    log.checkWritable();
    log.deleted.closeExpired(nowMs);
    int deleted = 0;
    LogConfig config = log.config(); // read at each check: an altered retention applies at the next one
    if (config.retentionMs() >= 0) {
      deleted += deleteOldestSegments(
          segment -> nowMs - segment.retentionTimestamp() > config.retentionMs(), maxDeletableOffset, nowMs,
          "retention.ms " + config.retentionMs());
    }
    if (config.retentionBytes() >= 0) {
      long[] excess = {log.state.sizeInBytes() - config.retentionBytes()};
      deleted += deleteOldestSegments(segment -> {
        if (excess[0] - segment.size < 0) {
          return false;
        }
        excess[0] -= segment.size;
        return true;
      }, maxDeletableOffset, nowMs, "retention.bytes " + config.retentionBytes());
    }
    return deleted;
  }

  /**
   * Deletes the longest run of oldest non-empty segments wholly below {@code maxOffset} that {@code deletable}
   * accepts, rolling first if that run includes the active segment (so the log end offset survives in a new empty
   * segment).
   */
  private int deleteOldestSegments(Predicate<Segment> deletable, long maxOffset, long nowMs, String reason) {
    LogState s = log.state;
    int count = 0;
    while (count < s.segments().length && !s.segments()[count].isEmpty()
        && s.segments()[count].nextOffset <= maxOffset && deletable.test(s.segments()[count])) {
      count++;
    }
    if (count == 0) {
      return 0;
    }
    if (count == s.segments().length) {
      log.roll();
      s = log.state;
    }
    List<Segment> removed = List.of(s.segments()).subList(0, count);
    Segment[] remaining = Arrays.copyOfRange(s.segments(), count, s.segments().length);
    long newStart = Math.max(s.logStartOffset(), remaining[0].baseOffset);
    synchronized (log.indexLock) {
      log.state = new LogState(newStart, s.logEndOffset(), remaining, s.activeSize());
      try (WriteBatch writes = new WriteBatch()) {
        log.deleted.unlink(removed, writes);
        index.deleteOffsets(writes, 0, remaining[0].baseOffset);
        index.deleteTimesBelow(writes, remaining[0].baseOffset);
        index.write(writes, false);
      } catch (IOException | RocksDBException e) {
        throw log.fail("deleting " + count + " segment(s)", e);
      }
    }
    log.snapshots.deleteBelow(remaining[0].baseOffset); // they went with their segments
    LOG.log(Level.INFO, "Partition {0}: deleted {1} segment(s) ({2}); log start offset is now {3}", tp, count,
        reason, newStart);
    return count;
  }
}
