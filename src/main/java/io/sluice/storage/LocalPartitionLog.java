package io.sluice.storage;

import io.sluice.errors.OffsetOutOfRangeException;
import io.sluice.errors.StorageException;
import io.sluice.errors.InvalidRecordException;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import io.sluice.storage.PartitionIndex.RecoveryPoint;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * A {@link PartitionLog} kept in segment files under {@code <data-dir>/<topic>-<partition>/}, indexed in the
 * broker's RocksDB (see {@link IndexStore}). Loading and crash recovery are {@link LogLoader}'s.
 *
 * <p><b>Visibility.</b> The owner writes a batch's bytes, then its index entries, then publishes a new
 * {@link LogState} through a volatile field; readers take that snapshot once and read only below its sizes,
 * with positional reads. So a reader sees whole batches whose append returned, never a partial one.
 *
 * <p><b>Durability.</b> Appends land in the page cache. The active segment is fsynced by {@link #flush()}
 * (called by the {@code flush.messages} / {@code flush.ms} policy, if set), when it rolls and at close; each of
 * these moves the recovery point. Index writes are not synced (the log is the truth).
 *
 * <p><b>Failure.</b> An I/O or RocksDB error in a write path sets {@link #isFailed()}; later writes throw
 * {@link StorageException} until the log is closed and reopened, which runs recovery.
 */
final class LocalPartitionLog implements PartitionLog {
  private static final System.Logger LOG = System.getLogger(LocalPartitionLog.class.getName());

  private record PendingClose(Segment segment, long closeAtMs) {}

  private final TopicPartition tp;
  private final Path dir;
  private final LogConfig config;
  private final SegmentFiles files;
  private final PartitionIndex index;
  private final LongSupplier clock;
  private final Runnable onClose;
  private final LogStartCheckpoint checkpoint;
  private final long recoveryScannedBytes;
  /** Serializes reader-side index rebuilds with the owner's index deletions. */
  private final Object indexLock = new Object();
  private final List<PendingClose> pendingClose = new ArrayList<>();

  private volatile LogState state;
  /** Idempotent producers' sequence state; owner thread only. */
  private final ProducerStateTracker producers;
  private volatile boolean failed;
  private boolean closed;
  private long runningMaxTimestamp;
  private long unflushedRecords;
  private long lastFlushMs;

  private LocalPartitionLog(TopicPartition tp, Path dir, LogConfig config, SegmentFiles files,
      PartitionIndex index, LongSupplier clock, Runnable onClose, LogLoader.Loaded loaded) {
    this.tp = tp;
    this.dir = dir;
    this.config = config;
    this.files = files;
    this.index = index;
    this.clock = clock;
    this.onClose = onClose;
    this.checkpoint = new LogStartCheckpoint(dir);
    this.recoveryScannedBytes = loaded.scannedBytes();
    this.runningMaxTimestamp = loaded.runningMaxTimestamp();
    Segment[] segments = loaded.segments().toArray(new Segment[0]);
    Segment active = segments[segments.length - 1];
    this.state = new LogState(loaded.logStartOffset(), active.nextOffset, segments, active.size);
    this.producers = ProducerStateTracker.rebuild(tp, state);
    this.lastFlushMs = clock.getAsLong();
  }

  /** Opens (creating or recovering) the log of {@code tp} in {@code dir}. */
  static LocalPartitionLog open(TopicPartition tp, Path dir, LogConfig config, SegmentFiles files,
      PartitionIndex index, LongSupplier clock, Runnable onClose) {
    try {
      LogLoader.Loaded loaded = new LogLoader(tp, dir, files, index, config, clock.getAsLong()).load();
      return new LocalPartitionLog(tp, dir, config, files, index, clock, onClose, loaded);
    } catch (IOException | RocksDBException e) {
      throw new StorageException("Cannot open the log of partition " + tp + " in " + dir + ": " + e, e);
    }
  }

  @Override
  public TopicPartition topicPartition() {
    return tp;
  }

  @Override
  public long logStartOffset() {
    return state.logStartOffset();
  }

  @Override
  public long logEndOffset() {
    return state.logEndOffset();
  }

  @Override
  public long sizeInBytes() {
    return state.sizeInBytes();
  }

  @Override
  public int segmentCount() {
    return state.segments().length;
  }

  @Override
  public boolean isFailed() {
    return failed;
  }

  /** Bytes of segment files that recovery read when this log was opened (0 after a clean shutdown). */
  long recoveryScannedBytes() {
    return recoveryScannedBytes;
  }

  /** The segment files, oldest first (for tests and tools). */
  List<Path> segmentFiles() {
    return Arrays.stream(state.segments()).map(s -> s.file).toList();
  }

  Path dir() {
    return dir;
  }

  // ---------------------------------------------------------------- appends

  @Override
  public AppendResult append(ByteBuffer batches, int leaderEpoch) {
    checkWritable();
    AppendBatches request = AppendBatches.validate(batches, tp, config.maxMessageBytes(), true);
    AppendResult duplicate = producers.checkLeaderAppend(request.batches, state.logEndOffset());
    if (duplicate != null) {
      return duplicate; // a producer's retry of batches already written: answer as the first time, write nothing
    }
    long next = state.logEndOffset();
    for (RecordBatch batch : request.batches) {
      batch.setBaseOffset(next);
      batch.setPartitionLeaderEpoch(leaderEpoch);
      next += batch.lastOffsetDelta() + 1L;
    }
    AppendResult result = write(request);
    producers.onAppended(request.batches);
    return result;
  }

  @Override
  public AppendResult appendAsFollower(ByteBuffer batches) {
    checkWritable();
    AppendBatches request = AppendBatches.validate(batches, tp, config.maxMessageBytes(), false);
    long expected = state.logEndOffset();
    for (RecordBatch batch : request.batches) {
      if (batch.baseOffset() != expected) {
        throw new InvalidRecordException("Follower append to partition " + tp + " has a batch at offset "
            + batch.baseOffset() + " where offset " + expected + " was expected (log end "
            + state.logEndOffset() + ")");
      }
      expected = batch.nextOffset();
    }
    AppendResult result = write(request);
    producers.onAppended(request.batches);
    return result;
  }

  private AppendResult write(AppendBatches request) {
    maybeRoll(request.sizeInBytes, request.maxTimestamp);
    LogState before = state;
    Segment active = before.active();
    int startPosition = active.size;
    try {
      active.write(request.buffer.duplicate());
    } catch (IOException e) {
      throw fail("writing " + request.sizeInBytes + " bytes to " + active.file, e);
    }
    List<Long> baseOffsets = new ArrayList<>(request.batches.size());
    int position = startPosition;
    long maxTimestamp = active.maxTimestamp;
    try (IndexAppender appender = new IndexAppender(index, config.indexIntervalBytes(), runningMaxTimestamp)) {
      for (RecordBatch batch : request.batches) {
        appender.onBatch(active, batch.baseOffset(), position, batch.sizeInBytes(), batch.maxTimestamp());
        baseOffsets.add(batch.baseOffset());
        position += batch.sizeInBytes();
        maxTimestamp = Math.max(maxTimestamp, batch.maxTimestamp());
      }
      appender.commit();
      runningMaxTimestamp = appender.runningMaxTimestamp;
    } catch (RocksDBException e) {
      throw fail("indexing " + request.batches.size() + " batches of " + active.file, e);
    }
    RecordBatch last = request.batches.get(request.batches.size() - 1);
    if (startPosition == 0) {
      active.rollTimestamp = request.batches.get(0).maxTimestamp();
    }
    active.size = position;
    active.maxTimestamp = maxTimestamp;
    active.nextOffset = last.nextOffset();
    state = new LogState(before.logStartOffset(), last.nextOffset(), before.segments(), position);
    unflushedRecords += request.recordCount;
    if (unflushedRecords >= config.flushMessages()) {
      flush();
    }
    return new AppendResult(baseOffsets.get(0), last.lastOffset(), baseOffsets, request.maxTimestamp,
        last.nextOffset());
  }

  /** Rolls when the request would overflow {@code segment.bytes} or the active segment is older than {@code segment.ms}. */
  private void maybeRoll(int requestBytes, long requestMaxTimestamp) {
    Segment active = state.active();
    if (active.isEmpty()) {
      return;
    }
    long ageMs = active.rollTimestamp >= 0 ? requestMaxTimestamp - active.rollTimestamp
        : clock.getAsLong() - active.createdMs;
    if (active.size > config.segmentBytes() - requestBytes || ageMs > config.segmentMs()) {
      roll();
    }
  }

  /**
   * Closes the active segment for appends: fsyncs it, records its metadata and the new recovery point, and
   * starts a new empty segment at the log end.
   */
  private void roll() {
    LogState before = state;
    Segment old = before.active();
    long newBase = before.logEndOffset();
    Path file = dir.resolve(Segment.fileName(newBase));
    Segment fresh;
    try {
      old.channel.force(false);
      fresh = new Segment(newBase, file, files.open(file, true), clock.getAsLong());
      AtomicFile.fsyncDirectory(dir);
    } catch (IOException e) {
      throw fail("rolling " + old.file + " to a new segment at offset " + newBase, e);
    }
    try (WriteBatch writes = new WriteBatch()) {
      index.putSegmentMeta(writes, old.baseOffset, old.meta());
      index.putRecoveryPoint(writes, RecoveryPoint.startOf(newBase));
      index.write(writes, false);
    } catch (RocksDBException e) {
      throw fail("recording the roll of " + old.file, e);
    }
    Segment[] segments = Arrays.copyOf(before.segments(), before.segments().length + 1);
    segments[segments.length - 1] = fresh;
    state = new LogState(before.logStartOffset(), before.logEndOffset(), segments, 0);
    unflushedRecords = 0;
    LOG.log(Level.DEBUG, "Partition {0}: rolled to new segment {1}", tp, file);
  }

  // ---------------------------------------------------------------- reads

  @Override
  public ReadResult read(long offset, int maxBytes, long maxOffset) {
    LogState s = state;
    checkInRange(s, offset);
    int i = s.floorIndex(offset);
    try {
      for (; i < s.segments().length && offset < s.logEndOffset() && offset < maxOffset; i++) {
        Segment segment = s.segments()[i];
        int end = s.readableSize(segment);
        BatchCursor cursor = new BatchCursor(segment.channel, end);
        if (!seekBatch(segment, end, offset, cursor)) {
          continue; // offset is past this segment's batches (e.g. just at its end): try the next one
        }
        if (cursor.nextOffset() > maxOffset) {
          break;
        }
        long position = cursor.position;
        long length = cursor.sizeInBytes;
        long nextOffset = cursor.nextOffset();
        while (cursor.next() && length + cursor.sizeInBytes <= maxBytes && cursor.nextOffset() <= maxOffset) {
          length += cursor.sizeInBytes;
          nextOffset = cursor.nextOffset();
        }
        return new ReadResult(offset, segment.file, segment.channel, position, (int) length, nextOffset,
            s.logStartOffset(), s.logEndOffset());
      }
    } catch (IOException e) {
      throw new StorageException("Cannot read partition " + tp + " at offset " + offset + ": " + e, e);
    }
    Segment active = s.active();
    return new ReadResult(offset, active.file, active.channel, s.activeSize(), 0, offset, s.logStartOffset(),
        s.logEndOffset());
  }

  private void checkInRange(LogState s, long offset) {
    if (offset < s.logStartOffset() || offset > s.logEndOffset()) {
      throw new OffsetOutOfRangeException("Offset " + offset + " is out of range for partition " + tp
          + ": the log holds offsets [" + s.logStartOffset() + ", " + s.logEndOffset() + ")");
    }
  }

  /**
   * Positions {@code cursor} on the batch of {@code segment} that contains {@code offset}, starting from the
   * offset index's floor entry when that entry is trustworthy. An entry that points at something other than a
   * batch with the entry's base offset means a corrupt index: the segment is scanned from its start and its
   * index entries are rebuilt.
   *
   * @return false if no batch below {@code end} contains {@code offset}
   */
  private boolean seekBatch(Segment segment, int end, long offset, BatchCursor cursor) throws IOException {
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

  private PartitionIndex.OffsetEntry floorEntry(long offset) {
    try {
      return index.floorOffset(offset);
    } catch (RocksDBException e) {
      LOG.log(Level.WARNING, "Partition {0}: offset index lookup failed, scanning instead: {1}", tp, e);
      return null;
    }
  }

  /** Rewrites the offset index entries of {@code segment} from its batch headers, up to {@code end}. */
  private void rebuildIndex(Segment segment, int end) {
    synchronized (indexLock) {
      LogState s = state;
      if (Arrays.stream(s.segments()).noneMatch(x -> x == segment)) {
        return; // deleted or truncated meanwhile
      }
      BatchCursor cursor = new BatchCursor(segment.channel, Math.min(end, s.readableSize(segment)));
      try (WriteBatch writes = new WriteBatch()) {
        List<long[]> entries = new ArrayList<>();
        long nextOffset = segment.baseOffset;
        int sinceEntry = 0;
        for (boolean ok = cursor.loadAt(0); ok; ok = cursor.next()) {
          if (sinceEntry >= config.indexIntervalBytes()) {
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

  @Override
  public OptionalLong offsetForTimestamp(long timestampMs) {
    LogState s = state;
    long hint = timeIndexHint(timestampMs);
    try {
      for (Segment segment : s.segments()) {
        if (segment.maxTimestamp < timestampMs || segment.nextOffset <= s.logStartOffset()) {
          continue;
        }
        int end = s.readableSize(segment);
        long from = Math.max(s.logStartOffset(), segment.baseOffset);
        if (hint > from && hint < segment.nextOffset) {
          from = hint;
        }
        BatchCursor cursor = new BatchCursor(segment.channel, end);
        if (!seekBatch(segment, end, from, cursor)) {
          continue;
        }
        do {
          if (cursor.maxTimestamp >= timestampMs && cursor.lastOffset() >= s.logStartOffset()) {
            long found = findInBatch(segment, cursor, timestampMs, s.logStartOffset());
            if (found >= 0) {
              return OptionalLong.of(found);
            }
          }
        } while (cursor.next());
      }
    } catch (IOException e) {
      throw new StorageException("Cannot search partition " + tp + " for timestamp " + timestampMs + ": " + e, e);
    }
    return OptionalLong.empty();
  }

  private long timeIndexHint(long timestampMs) {
    try {
      return index.offsetBelowWhichTimestampsAreSmaller(timestampMs);
    } catch (RocksDBException e) {
      LOG.log(Level.WARNING, "Partition {0}: time index lookup failed, scanning instead: {1}", tp, e);
      return -1;
    }
  }

  private static long findInBatch(Segment segment, BatchCursor cursor, long timestampMs, long minOffset)
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

  // ---------------------------------------------------------------- truncation and retention

  @Override
  public long truncateTo(long offset) {
    checkWritable();
    producers.truncateTo(offset);
    LogState s = state;
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
      if (!seekBatch(keep, s.readableSize(keep), offset, cursor)) {
        throw fail("truncating: no batch of " + keep.file + " holds offset " + offset, null);
      }
      long newEnd = cursor.baseOffset;
      int newSize = (int) cursor.position;
      List<Segment> removed = List.of(s.segments()).subList(i + 1, s.segments().length);
      Segment[] segments = Arrays.copyOf(s.segments(), i + 1);
      synchronized (indexLock) {
        state = new LogState(s.logStartOffset(), newEnd, segments, newSize);
        keep.channel.truncate(newSize);
        keep.size = newSize;
        keep.nextOffset = newEnd;
        recomputeTimestamps(keep);
        try (WriteBatch writes = new WriteBatch()) {
          index.deleteOffsets(writes, newEnd, Long.MAX_VALUE);
          index.deleteTimesFrom(writes, newEnd);
          index.deleteSegmentMeta(writes, keep.baseOffset);
          index.putRecoveryPoint(writes, RecoveryPoint.startOf(keep.baseOffset));
          unlink(removed, writes);
          index.write(writes, false);
        }
      }
      runningMaxTimestamp = Arrays.stream(segments).mapToLong(x -> x.maxTimestamp).max().orElse(-1);
      keep.bytesSinceIndexEntry = 0;
      LOG.log(Level.INFO, "Partition {0}: truncated to offset {1} (asked {2}), removed {3} later segment(s)",
          tp, newEnd, offset, removed.size());
      return newEnd;
    } catch (IOException | RocksDBException e) {
      throw fail("truncating to offset " + offset, e);
    }
  }

  @Override
  public long truncateFullyAndStartAt(long offset) {
    checkWritable();
    producers.clear();
    LogState s = state;
    Path file = dir.resolve(Segment.fileName(offset));
    try {
      List<Segment> removed = List.of(s.segments());
      synchronized (indexLock) {
        // Segments go before the new start is checkpointed: a crash in between leaves a suffix of the old log or an
        // empty log at the old start, never records below a start that was already recorded.
        try (WriteBatch writes = new WriteBatch()) {
          unlink(removed, writes);
          index.deleteOffsets(writes, 0, Long.MAX_VALUE);
          index.deleteTimesFrom(writes, Long.MIN_VALUE);
          index.putRecoveryPoint(writes, RecoveryPoint.startOf(offset));
          index.write(writes, false);
        }
        checkpoint.write(offset);
        Segment fresh = new Segment(offset, file, files.open(file, true), clock.getAsLong());
        AtomicFile.fsyncDirectory(dir);
        state = new LogState(offset, offset, new Segment[] {fresh}, 0);
      }
      runningMaxTimestamp = -1;
      LOG.log(Level.INFO, "Partition {0}: truncated fully, log now starts at offset {1}", tp, offset);
      return offset;
    } catch (IOException | RocksDBException e) {
      throw fail("truncating fully to offset " + offset, e);
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

  @Override
  public void deleteRecordsBefore(long offset) {
    checkWritable();
    LogState s = state;
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
      throw fail("writing the log start offset " + offset, e);
    }
    state = new LogState(offset, s.logEndOffset(), s.segments(), s.activeSize());
    deleteOldestSegments(segment -> segment.nextOffset <= offset, clock.getAsLong(), "below the log start "
        + offset);
  }

  @Override
  public int enforceRetention(long nowMs) {
    checkWritable();
    closeExpiredChannels(nowMs);
    int deleted = 0;
    if (config.retentionMs() >= 0) {
      deleted += deleteOldestSegments(
          segment -> nowMs - segment.retentionTimestamp() > config.retentionMs(), nowMs,
          "retention.ms " + config.retentionMs());
    }
    if (config.retentionBytes() >= 0) {
      long[] excess = {state.sizeInBytes() - config.retentionBytes()};
      deleted += deleteOldestSegments(segment -> {
        if (excess[0] - segment.size < 0) {
          return false;
        }
        excess[0] -= segment.size;
        return true;
      }, nowMs, "retention.bytes " + config.retentionBytes());
    }
    return deleted;
  }

  /**
   * Deletes the longest run of oldest non-empty segments that {@code deletable} accepts, rolling first if that
   * run includes the active segment (so the log end offset survives in a new empty segment).
   */
  private int deleteOldestSegments(java.util.function.Predicate<Segment> deletable, long nowMs, String reason) {
    LogState s = state;
    int count = 0;
    while (count < s.segments().length && !s.segments()[count].isEmpty()
        && deletable.test(s.segments()[count])) {
      count++;
    }
    if (count == 0) {
      return 0;
    }
    if (count == s.segments().length) {
      roll();
      s = state;
    }
    List<Segment> removed = List.of(s.segments()).subList(0, count);
    Segment[] remaining = Arrays.copyOfRange(s.segments(), count, s.segments().length);
    long newStart = Math.max(s.logStartOffset(), remaining[0].baseOffset);
    synchronized (indexLock) {
      state = new LogState(newStart, s.logEndOffset(), remaining, s.activeSize());
      try (WriteBatch writes = new WriteBatch()) {
        unlink(removed, writes);
        index.deleteOffsets(writes, 0, remaining[0].baseOffset);
        index.deleteTimesBelow(writes, remaining[0].baseOffset);
        index.write(writes, false);
      } catch (IOException | RocksDBException e) {
        throw fail("deleting " + count + " segment(s)", e);
      }
    }
    LOG.log(Level.INFO, "Partition {0}: deleted {1} segment(s) ({2}); log start offset is now {3}", tp, count,
        reason, newStart);
    return count;
  }

  /** Unlinks segment files now; their channels stay open for {@code file.delete.delay.ms} for readers. */
  private void unlink(List<Segment> segments, WriteBatch writes) throws IOException, RocksDBException {
    long closeAt = clock.getAsLong() + config.fileDeleteDelayMs();
    for (Segment segment : segments) {
      Files.deleteIfExists(segment.file);
      index.deleteSegmentMeta(writes, segment.baseOffset);
      pendingClose.add(new PendingClose(segment, closeAt));
    }
  }

  /** Closes the channels of deleted segments whose delay has passed. */
  void closeExpiredChannels(long nowMs) {
    pendingClose.removeIf(p -> {
      if (p.closeAtMs() > nowMs) {
        return false;
      }
      closeChannel(p.segment());
      return true;
    });
  }

  /** Number of deleted segments whose channels are still open (for tests). */
  int pendingCloseCount() {
    return pendingClose.size();
  }

  // ---------------------------------------------------------------- durability and lifecycle

  @Override
  public void flush() {
    checkWritable();
    LogState s = state;
    try {
      s.active().channel.force(false);
    } catch (IOException e) {
      throw fail("fsyncing " + s.active().file, e);
    }
    try (WriteBatch writes = new WriteBatch()) {
      index.putRecoveryPoint(writes, endOf(s));
      index.write(writes, false);
    } catch (RocksDBException e) {
      throw fail("recording the recovery point " + s.logEndOffset(), e);
    }
    unflushedRecords = 0;
    lastFlushMs = clock.getAsLong();
  }

  @Override
  public void maybeFlush(long nowMs) {
    closeExpiredChannels(nowMs);
    if (failed || closed) {
      return;
    }
    if (unflushedRecords > 0 && nowMs - lastFlushMs >= config.flushMs()) {
      flush();
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    LogState s = state;
    try {
      if (!failed) {
        Segment active = s.active();
        active.channel.force(false);
        try (WriteBatch writes = new WriteBatch()) {
          index.putSegmentMeta(writes, active.baseOffset, active.meta());
          index.putRecoveryPoint(writes, endOf(s));
          index.putCleanMarker(writes, s.logEndOffset());
          index.write(writes, true);
        }
      }
    } catch (IOException | RocksDBException e) {
      failed = true;
      LOG.log(Level.ERROR, "Partition " + tp + ": clean shutdown failed; the next open will recover", e);
    } finally {
      for (Segment segment : s.segments()) {
        closeChannel(segment);
      }
      pendingClose.forEach(p -> closeChannel(p.segment()));
      pendingClose.clear();
      onClose.run();
    }
  }

  /**
   * Drops the log as a crash would: closes the files without fsync, metadata or clean marker (tests use this
   * to simulate {@code kill -9}; the page cache keeps what was written, as it does for a killed process).
   */
  void abandon() {
    if (closed) {
      return;
    }
    closed = true;
    for (Segment segment : state.segments()) {
      closeChannel(segment);
    }
    pendingClose.forEach(p -> closeChannel(p.segment()));
    pendingClose.clear();
    onClose.run();
  }

  private void closeChannel(Segment segment) {
    try {
      segment.channel.close();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "Partition {0}: closing {1} failed: {2}", tp, segment.file, e);
    }
  }

  /** A recovery point at the end of {@code s}. */
  static RecoveryPoint endOf(LogState s) {
    Segment active = s.active();
    return new RecoveryPoint(s.logEndOffset(), active.baseOffset, s.activeSize(), active.maxTimestamp,
        active.rollTimestamp);
  }

  private void checkWritable() {
    if (closed) {
      throw new StorageException("The log of partition " + tp + " is closed");
    }
    if (failed) {
      throw new StorageException("The log of partition " + tp + " refuses writes after an earlier I/O failure;"
          + " close and reopen it to recover");
    }
  }

  /** Enters the failed state and returns the exception to throw. */
  private StorageException fail(String what, Exception cause) {
    failed = true;
    LOG.log(Level.ERROR, "Partition " + tp + ": failed " + what + "; the log refuses writes until reopened",
        cause);
    return new StorageException("Partition " + tp + ": failed " + what
        + (cause == null ? "" : ": " + cause.getMessage()), cause);
  }
}
