package io.sluice.storage;

import io.sluice.record.AbortedTransaction;
import io.sluice.api.ProducerState;
import io.sluice.api.TopicPartition;

import io.sluice.errors.OffsetOutOfRangeException;
import io.sluice.errors.StorageException;
import io.sluice.errors.InvalidRecordException;
import io.sluice.record.CompressionType;
import io.sluice.record.ControlRecords;
import io.sluice.record.RecordBatch;
import io.sluice.record.TimestampType;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
 *
 * <p><b>Parts.</b> This class appends, rolls, reads, flushes and closes; {@link BatchLocator} finds the batch holding
 * an offset (and repairs corrupt index entries), {@link LogTruncation} and {@link LogRetention} remove batches from
 * the end and from the start, {@link DeletedSegments} keeps deleted segments' channels open for their delay. They
 * share this log's package-private state ({@code state}, {@code producers}, {@code indexLock}, ...) under the same
 * rule: only the owner thread writes it.
 */
final class LocalPartitionLog implements PartitionLog {
  private static final System.Logger LOG = System.getLogger(LocalPartitionLog.class.getName());

  private final TopicPartition tp;
  private final Path dir;
  /** Written by the owner thread only ({@link #reconfigure}); volatile for readers of {@link #config()}. */
  private volatile LogConfig config;
  private final SegmentFiles files;
  private final PartitionIndex index;
  /** The active segment's newest index entries, written to RocksDB every few appends; see {@link PendingIndex}. */
  final PendingIndex pendingIndex;
  private final LongSupplier clock;
  private final Runnable onClose;
  private final LogStartCheckpoint checkpoint;
  private final long recoveryScannedBytes;
  /** Serializes reader-side index rebuilds with the owner's index deletions. */
  final Object indexLock = new Object();
  final DeletedSegments deleted;
  final BatchLocator locator;
  private final LogTruncation truncation;
  private final LogRetention retention;

  /** What readers see; written by the owner only, after the bytes and index entries it covers. */
  volatile LogState state;
  /** Idempotent producers' sequence state; owner thread only. */
  final ProducerStateTracker producers;
  /** Ongoing and aborted transactions; changed by the owner thread only, read by any. */
  final TransactionState txns;
  /** The producer-state snapshot files (written at roll and clean close, read at open and truncation). */
  final ProducerSnapshots snapshots;
  /** Compaction of closed segments ({@code cleanup.policy=compact}); owner thread only. */
  private final LogCleaner cleaner;
  private volatile boolean failed;
  private boolean closed;
  /** The largest record timestamp in the log, for the time index; owner thread only. */
  long runningMaxTimestamp;
  private long unflushedRecords;
  private long lastFlushMs;

  private LocalPartitionLog(TopicPartition tp, Path dir, LogConfig config, SegmentFiles files,
      PartitionIndex index, LongSupplier clock, Runnable onClose, LogLoader.Loaded loaded,
      ProducerIdBudget producerIds) {
    this.tp = tp;
    this.dir = dir;
    this.config = config;
    this.files = files;
    this.index = index;
    this.pendingIndex = new PendingIndex(index);
    this.clock = clock;
    this.onClose = onClose;
    this.checkpoint = new LogStartCheckpoint(dir);
    this.recoveryScannedBytes = loaded.scannedBytes();
    this.runningMaxTimestamp = loaded.runningMaxTimestamp();
    Segment[] segments = loaded.segments().toArray(new Segment[0]);
    Segment active = segments[segments.length - 1];
    this.state = new LogState(loaded.logStartOffset(), active.nextOffset, segments, active.size);
    TransactionState transactions = TransactionState.open(tp, dir, state.logEndOffset());
    this.snapshots = new ProducerSnapshots(tp, dir);
    snapshots.deleteAbove(state.logEndOffset()); // recovery cut the log below them: they name lost batches
    this.producers = ProducerStateTracker.load(tp, state, clock.getAsLong(), config.producerIdMaxPerPartition(),
        producerIds, transactions, snapshots.newestAtOrBelow(state.logEndOffset()));
    this.txns = transactions.opened();
    this.cleaner = new LogCleaner(tp, dir, this::config, files, index, txns, producers::remembers);
    this.lastFlushMs = clock.getAsLong();
    this.deleted = new DeletedSegments(tp, index, clock, config.fileDeleteDelayMs());
    this.locator = new BatchLocator(this, tp, index, config.indexIntervalBytes());
    this.truncation = new LogTruncation(this, tp, dir, files, index, clock, checkpoint);
    this.retention = new LogRetention(this, tp, index, clock, checkpoint);
  }

  /** Opens (creating or recovering) the log of {@code tp} in {@code dir}. */
  static LocalPartitionLog open(TopicPartition tp, Path dir, LogConfig config, SegmentFiles files,
      PartitionIndex index, LongSupplier clock, Runnable onClose, ProducerIdBudget producerIds) {
    try {
      LogLoader.Loaded loaded = new LogLoader(tp, dir, files, index, config, clock.getAsLong()).load();
      return new LocalPartitionLog(tp, dir, config, files, index, clock, onClose, loaded, producerIds);
    } catch (IOException | RocksDBException e) {
      throw new StorageException("Cannot open the log of partition " + tp + " in " + dir + ": " + e, e);
    }
  }

  @Override
  public TopicPartition topicPartition() {
    return tp;
  }

  @Override
  public LogConfig config() {
    return config;
  }

  @Override
  public void reconfigure(LogConfig next) {
    if (next.indexIntervalBytes() != config.indexIntervalBytes()) {
      throw new IllegalArgumentException("index.interval.bytes cannot change while the log of " + tp + " is open ("
          + config.indexIntervalBytes() + " to " + next.indexIntervalBytes() + ")");
    }
    if (config.compact() && !next.compact()) {
      throw new IllegalArgumentException("The log of " + tp + " is compacted: it cannot become cleanup.policy=delete");
    }
    deleted.fileDeleteDelayMs(next.fileDeleteDelayMs());
    config = next;
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
    List<RecordBatch> kept = producers.dropWritten(request.batches);
    return kept == null ? appendAsLeader(request, leaderEpoch) : appendKept(kept, leaderEpoch);
  }

  /**
   * Appends what is left of a request after sequenced records already written were taken out ({@code kept}: per
   * request batch the batch to write, or null): the answer names -1 as the base offset of a batch with nothing left.
   */
  private AppendResult appendKept(List<RecordBatch> kept, int leaderEpoch) {
    List<RecordBatch> left = kept.stream().filter(java.util.Objects::nonNull).toList();
    long end = state.logEndOffset();
    if (left.isEmpty()) {
      return new AppendResult(end, end - 1, kept.stream().map(b -> -1L).toList(), RecordBatch.NO_TIMESTAMP, end);
    }
    ByteBuffer joined = ByteBuffer.allocate(left.stream().mapToInt(RecordBatch::sizeInBytes).sum());
    left.forEach(b -> joined.put(b.buffer()));
    AppendResult r = appendAsLeader(AppendBatches.validate(joined.flip(), tp, config.maxMessageBytes(), true),
        leaderEpoch);
    List<Long> bases = new ArrayList<>(kept.size());
    int next = 0;
    for (RecordBatch b : kept) {
      bases.add(b == null ? -1L : r.batchBaseOffsets().get(next++));
    }
    return new AppendResult(r.firstOffset(), r.lastOffset(), bases, r.maxTimestamp(), r.logEndOffset(), r.written(),
        r.logAppendTimeMs());
  }

  private AppendResult appendAsLeader(AppendBatches producerRequest, int leaderEpoch) {
    AppendResult duplicate = producers.checkLeaderAppend(producerRequest.batches, state.logEndOffset());
    if (duplicate != null) {
      // a producer's retry of batches already written: answer as the first time (its stamp too), write nothing
      long stamp = stampOf(duplicate.lastOffset());
      return stamp < 0 ? duplicate : duplicate.withLogAppendTime(stamp);
    }
    txns.checkLeaderAppend(producerRequest.batches);
    long now = clock.getAsLong();
    LogConfig config = this.config;
    MessageTimestamps timestamps = config.timestamps();
    producerRequest.checkTimestamps(timestamps, now, tp);
    CompressionType codec = config.recompressTo();
    AppendBatches request = codec == null ? producerRequest
        : producerRequest.recompressed(codec, config.maxMessageBytes(), tp);
    boolean stamped = timestamps.type() == TimestampType.LOG_APPEND_TIME;
    if (stamped) {
      request.stampLogAppendTime(now);
    }
    long next = state.logEndOffset();
    for (RecordBatch batch : request.batches) {
      batch.setBaseOffset(next);
      batch.setPartitionLeaderEpoch(leaderEpoch);
      next += batch.lastOffsetDelta() + 1L;
    }
    AppendResult result = write(request);
    producers.onAppended(request.batches, now);
    txns.onAppended(request.batches);
    return stamped ? result.withLogAppendTime(now) : result;
  }

  @Override
  public AppendResult appendTxnMarker(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
      int leaderEpoch) {
    checkWritable();
    producers.checkMarker(producerId, producerEpoch, coordinatorEpoch);
    long now = clock.getAsLong();
    ByteBuffer marker = ControlRecords.marker(producerId, producerEpoch, coordinatorEpoch, commit, now);
    RecordBatch batch = RecordBatch.wrap(marker);
    batch.setBaseOffset(state.logEndOffset());
    batch.setPartitionLeaderEpoch(leaderEpoch);
    // not a producer's batch: the frame and CRC checks only (a producer's control batch is refused)
    AppendBatches request = AppendBatches.validate(marker, tp, Integer.MAX_VALUE, false);
    AppendResult result = write(request);
    producers.onAppended(request.batches, now);
    txns.onAppended(request.batches);
    return result;
  }

  @Override
  public List<ProducerState> describeProducers() {
    return producers.describe(txns::ongoingStart);
  }

  @Override
  public long firstUnstableOffset() {
    return txns.firstUnstableOffset();
  }

  @Override
  public List<AbortedTransaction> abortedTransactions(long from, long upTo) {
    return txns.abortedIn(from, upTo);
  }

  /**
   * Reads the ongoing transactions back after a truncation to {@code newEnd}: from the newest snapshot at or below
   * it (those above are deleted) and the batches after it; without one, from the segments a rebuild reads.
   */
  void transactionsTruncatedTo(long newEnd) {
    snapshots.deleteAbove(newEnd);
    LogState s = state;
    Segment[] all = s.segments();
    ProducerSnapshots.Snapshot snapshot = snapshots.newestAtOrBelow(newEnd);
    if (snapshot == null) {
      Segment[] window = Arrays.copyOfRange(all, Math.max(0, all.length - ProducerStateTracker.REBUILD_SEGMENTS),
          all.length);
      txns.truncateTo(newEnd, s, window, Map.of(), s.logStartOffset());
    } else {
      Segment[] after = Arrays.copyOfRange(all, Math.max(0, s.floorIndex(snapshot.offset())), all.length);
      txns.truncateTo(newEnd, s, after, snapshot.ongoingTxns(), snapshot.offset());
    }
  }

  /** Writes the producer state below {@code offset}, the log end, whose batches are fsynced. */
  private void writeSnapshot(long offset) throws IOException {
    snapshots.write(new ProducerSnapshots.Snapshot(offset, producers.snapshot(), txns.ongoing()));
  }

  @Override
  public AppendResult appendAsFollower(ByteBuffer batches) {
    checkWritable();
    AppendBatches request = AppendBatches.validate(batches, tp, config.maxMessageBytes(), false);
    long expected = state.logEndOffset();
    for (RecordBatch batch : request.batches) {
      // a compacted leader's log has gaps between batches (LogCleaner); otherwise offsets are contiguous
      if (batch.baseOffset() != expected && !(config.compact() && batch.baseOffset() > expected)) {
        throw new InvalidRecordException("Follower append to partition " + tp + " has a batch at offset "
            + batch.baseOffset() + " where offset " + expected + " was expected (log end "
            + state.logEndOffset() + ")");
      }
      expected = batch.nextOffset();
    }
    AppendResult result = write(request);
    producers.onAppended(request.batches, clock.getAsLong());
    txns.onAppended(request.batches);
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
    try (IndexAppender appender = new IndexAppender(index, config.indexIntervalBytes(), runningMaxTimestamp,
        pendingIndex.writes())) {
      for (RecordBatch batch : request.batches) {
        if (appender.onBatch(active, batch.baseOffset(), position, batch.sizeInBytes(), batch.maxTimestamp())) {
          pendingIndex.add(batch.baseOffset(), active.baseOffset, position);
        }
        baseOffsets.add(batch.baseOffset());
        position += batch.sizeInBytes();
        maxTimestamp = Math.max(maxTimestamp, batch.maxTimestamp());
      }
      runningMaxTimestamp = appender.runningMaxTimestamp;
      if (pendingIndex.due()) {
        pendingIndex.commit();
      }
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
        last.nextOffset(), request.buffer.asReadOnlyBuffer());
  }

  /**
   * Rolls when the request would overflow {@code segment.bytes} or the active segment is older than {@code segment.ms}
   * (for a compacted log, or {@code max.compaction.lag.ms}: {@link LogConfig#rollAgeMs()}).
   */
  private void maybeRoll(int requestBytes, long requestMaxTimestamp) {
    Segment active = state.active();
    if (active.isEmpty()) {
      return;
    }
    long ageMs = active.rollTimestamp >= 0 ? requestMaxTimestamp - active.rollTimestamp
        : clock.getAsLong() - active.createdMs;
    if (active.size > config.segmentBytes() - requestBytes || ageMs > config.rollAgeMs()) {
      roll();
    }
  }

  /**
   * Closes the active segment for appends: fsyncs it, records its metadata and the new recovery point, and
   * starts a new empty segment at the log end.
   */
  void roll() {
    commitIndex();
    LogState before = state;
    Segment old = before.active();
    long newBase = before.logEndOffset();
    Path file = dir.resolve(Segment.fileName(newBase));
    Segment fresh;
    try {
      old.channel.force(false);
      writeSnapshot(newBase); // at every roll: a restart replays at most the active segment's batches
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
        if (!locator.seekBatch(segment, end, offset, cursor)) {
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

  /**
   * The LogAppendTime stamp of the written batch holding {@code offset}, -1 for a CreateTime batch or one no longer
   * in the log: one batch header read, for the rare retry answered from a producer's sequence.
   */
  private long stampOf(long offset) {
    LogState s = state;
    if (offset < s.logStartOffset() || offset >= s.logEndOffset()) {
      return -1L;
    }
    Segment segment = s.segments()[s.floorIndex(offset)];
    int end = s.readableSize(segment);
    BatchCursor cursor = new BatchCursor(segment.channel, end);
    try {
      return locator.seekBatch(segment, end, offset, cursor)
          && (cursor.attributes & RecordBatch.TIMESTAMP_TYPE_MASK) != 0 ? cursor.maxTimestamp : -1L;
    } catch (IOException e) {
      throw new StorageException("Cannot read partition " + tp + " at offset " + offset + ": " + e, e);
    }
  }

  private void checkInRange(LogState s, long offset) {
    if (offset < s.logStartOffset() || offset > s.logEndOffset()) {
      throw new OffsetOutOfRangeException("Offset " + offset + " is out of range for partition " + tp
          + ": the log holds offsets [" + s.logStartOffset() + ", " + s.logEndOffset() + ")");
    }
  }

  @Override
  public OptionalLong offsetForTimestamp(long timestampMs) {
    LogState s = state;
    long hint = locator.timeIndexHint(timestampMs);
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
        if (!locator.seekBatch(segment, end, from, cursor)) {
          continue;
        }
        do {
          if (cursor.maxTimestamp >= timestampMs && cursor.lastOffset() >= s.logStartOffset()) {
            long found = BatchLocator.findInBatch(segment, cursor, timestampMs, s.logStartOffset());
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

  // ---------------------------------------------------------------- truncation and retention (LogTruncation, LogRetention)

  @Override
  public long truncateTo(long offset) {
    commitIndex();
    return truncation.truncateTo(offset);
  }

  @Override
  public long truncateFullyAndStartAt(long offset) {
    commitIndex();
    return truncation.truncateFullyAndStartAt(offset);
  }

  @Override
  public void deleteRecordsBefore(long offset) {
    commitIndex();
    retention.deleteRecordsBefore(offset);
  }

  @Override
  public int enforceRetention(long nowMs, long maxDeletableOffset) {
    commitIndex();
    return retention.enforceRetention(nowMs, maxDeletableOffset);
  }

  /**
   * Writes the index entries that wait in memory to RocksDB and forgets them: before anything deletes index entries
   * or starts a new segment, so those see every entry in one place, as before {@link PendingIndex}.
   */
  private void commitIndex() {
    if (failed || closed) {
      return; // nothing more is written; the next open recovers past the recovery point
    }
    try {
      pendingIndex.commit();
    } catch (RocksDBException e) {
      throw fail("writing the index entries of partition " + tp, e);
    }
    pendingIndex.clear();
  }

  /** Closes the channels of deleted segments whose delay has passed. */
  void closeExpiredChannels(long nowMs) {
    deleted.closeExpired(nowMs);
  }

  /** Number of deleted segments whose channels are still open (for tests). */
  int pendingCloseCount() {
    return deleted.count();
  }

  @Override
  public int expireProducers(long nowMs) {
    txns.dropBelow(state.logStartOffset()); // on the same timer: aborts retention removed leave the index
    return producers.expire(nowMs, config.producerIdExpirationMs());
  }

  /** How many idempotent producers the partition remembers (for tests). */
  int producerCount() {
    return producers.producerCount();
  }

  /** The producers this log remembers, as last published by its owner: any thread ({@link ProducerIdBudget}). */
  int producersHeld() {
    return producers.published();
  }

  // ---------------------------------------------------------------- compaction

  @Override
  public int compact(long nowMs, long highWatermark) {
    checkWritable();
    try {
      return cleaner.clean(() -> state, nowMs, highWatermark, this::replaceCleaned);
    } catch (IOException | RocksDBException e) {
      throw fail("compacting", e);
    }
  }

  /** Publishes {@code cleaned} in place of {@code group} (consecutive closed segments) with its index writes. */
  private void replaceCleaned(List<Segment> group, Segment cleaned, WriteBatch indexWrites) throws RocksDBException {
    LogState s = state;
    int from = Arrays.asList(s.segments()).indexOf(group.get(0));
    Segment[] segments = new Segment[s.segments().length - group.size() + 1];
    System.arraycopy(s.segments(), 0, segments, 0, from);
    segments[from] = cleaned;
    System.arraycopy(s.segments(), from + group.size(), segments, from + 1, segments.length - from - 1);
    synchronized (indexLock) {
      index.write(indexWrites, false);
      state = new LogState(s.logStartOffset(), s.logEndOffset(), segments, s.activeSize());
    }
    deleted.closeLater(group);
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
      pendingIndex.commit(); // the recovery point passes them: recovery will not write them again
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
    deleted.closeExpired(nowMs);
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
        pendingIndex.commit(); // ordered before the synced write below, which makes both durable
        try (WriteBatch writes = new WriteBatch()) {
          index.putSegmentMeta(writes, active.baseOffset, active.meta());
          index.putRecoveryPoint(writes, endOf(s));
          index.putCleanMarker(writes, s.logEndOffset());
          index.write(writes, true);
        }
        closeSnapshot(s.logEndOffset());
      }
    } catch (IOException | RocksDBException e) {
      failed = true;
      LOG.log(Level.ERROR, "Partition " + tp + ": clean shutdown failed; the next open will recover", e);
    } finally {
      for (Segment segment : s.segments()) {
        deleted.closeChannel(segment);
      }
      deleted.closeAll();
      pendingIndex.close();
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
      deleted.closeChannel(segment);
    }
    deleted.closeAll();
    pendingIndex.close(); // its entries are lost, as a crash loses them: recovery writes them again
    onClose.run();
  }

  /** A snapshot at the log end, so a clean restart replays nothing; without it the next open replays more. */
  private void closeSnapshot(long logEnd) {
    try {
      writeSnapshot(logEnd);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.WARNING, "Partition " + tp + ": no producer snapshot at close; the next open reads back more"
          + " batches", e);
    }
  }

  /** A recovery point at the end of {@code s}. */
  static RecoveryPoint endOf(LogState s) {
    Segment active = s.active();
    return new RecoveryPoint(s.logEndOffset(), active.baseOffset, s.activeSize(), active.maxTimestamp,
        active.rollTimestamp);
  }

  void checkWritable() {
    if (closed) {
      throw new StorageException("The log of partition " + tp + " is closed");
    }
    if (failed) {
      throw new StorageException("The log of partition " + tp + " refuses writes after an earlier I/O failure;"
          + " close and reopen it to recover");
    }
  }

  /** Enters the failed state and returns the exception to throw. */
  StorageException fail(String what, Exception cause) {
    failed = true;
    LOG.log(Level.ERROR, "Partition " + tp + ": failed " + what + "; the log refuses writes until reopened",
        cause);
    return new StorageException("Partition " + tp + ": failed " + what
        + (cause == null ? "" : ": " + cause.getMessage()), cause);
  }
}
