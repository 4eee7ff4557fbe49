package io.sluice.storage;

import io.sluice.record.AbortedTransaction;
import io.sluice.api.TopicPartition;

import java.nio.ByteBuffer;
import java.util.OptionalLong;

/**
 * One partition's append-only log of Kafka v2 record batches: the contract between the storage engine and
 * the broker's partition verticle, its only caller.
 *
 * <p><b>Threading.</b> Writers ({@link #append}, {@link #appendAsFollower}, {@link #truncateTo},
 * {@link #truncateFullyAndStartAt}, {@link #deleteRecordsBefore}, {@link #enforceRetention}, {@link #flush}, {@link #maybeFlush},
 * {@link #close}) must be called by one thread at a time (the owner serializes them). Readers ({@link #read},
 * {@link #offsetForTimestamp} and the offset getters) may run on any thread concurrently with the owner; a
 * reader never sees a partly written batch: it only sees batches whose append returned. All methods may block
 * on disk or RocksDB: never call them on an event loop.
 *
 * <p><b>Failure.</b> A failed write, fsync or index update puts the log in a failed state in which every
 * write throws {@link io.sluice.errors.StorageException} until the log is closed and reopened, which runs
 * recovery. It never goes on silently.
 */
public interface PartitionLog extends AutoCloseable {

  TopicPartition topicPartition();

  /**
   * Validates {@code batches} (one or more whole v2 batches: magic, CRC, length, record count, offset deltas,
   * size limit), assigns them consecutive offsets from the log end and the given leader epoch (rewriting only
   * the base offset and epoch fields, outside the CRC) and appends them unchanged otherwise.
   *
   * @throws io.sluice.errors.CorruptRecordException if a batch fails its checks
   * @throws io.sluice.errors.RecordTooLargeException if a batch exceeds {@code max.message.bytes}
   * @throws io.sluice.errors.StorageException if the write fails, or the log failed before
   */
  AppendResult append(ByteBuffer batches, int leaderEpoch);

  /**
   * Appends batches that already carry their offsets and epochs (a follower copying its leader). The first
   * batch's base offset must equal {@link #logEndOffset()} and offsets must be contiguous.
   */
  AppendResult appendAsFollower(ByteBuffer batches);

  /**
   * Reads whole batches starting with the one that contains {@code offset}, up to {@code maxBytes} but always
   * at least one batch if any is there, and never past {@code maxOffset} (exclusive: pass the high watermark or
   * {@link #logEndOffset()}).
   *
   * @throws io.sluice.errors.OffsetOutOfRangeException if {@code offset} is below the log start offset or
   *     above the log end offset
   */
  ReadResult read(long offset, int maxBytes, long maxOffset);

  /** The first offset whose record timestamp is at or after {@code timestampMs}, or empty if none. */
  OptionalLong offsetForTimestamp(long timestampMs);

  /** The first offset still in the log. */
  long logStartOffset();

  /** The offset the next appended record will get. */
  long logEndOffset();

  /** Total bytes of all segments. */
  long sizeInBytes();

  /** Number of segments, the active one included. */
  int segmentCount();

  /**
   * Removes every batch at or after {@code offset}: whole segments above it, and the tail of the segment that
   * holds it, cut at a batch boundary (the batch containing {@code offset} goes too).
   *
   * @return the new log end offset
   */
  long truncateTo(long offset);

  /**
   * Deletes every batch and starts an empty log at {@code offset}, which becomes both the log start and the log end,
   * whether it lies below, inside or beyond the current log (Kafka's {@code truncateFullyAndStartAt}: a follower whose
   * log ended below its leader's log start restarts its copy there). Idempotent producers' state is forgotten.
   *
   * <p><b>Crash safety.</b> The segments are deleted (oldest first) before the new start is checkpointed (fsynced),
   * and the empty segment is created last. A crash part way leaves, on reopen, a suffix of the old log, an empty log
   * at the old start, or the empty log at {@code offset}; never a record that was deleted before. The caller (a
   * follower) then finds its log end below its leader's start again and repeats the truncation.
   *
   * @return {@code offset}, the new log start and end
   */
  long truncateFullyAndStartAt(long offset);

  /**
   * Moves the log start offset forward to {@code offset} (never back) and deletes whole segments that lie
   * entirely below it.
   */
  void deleteRecordsBefore(long offset);

  /**
   * Deletes the oldest whole segments that break {@code retention.ms} (against a segment's largest record
   * timestamp) or {@code retention.bytes}.
   *
   * @return the number of segments deleted
   */
  default int enforceRetention(long nowMs) {
    return enforceRetention(nowMs, Long.MAX_VALUE);
  }

  /**
   * As {@link #enforceRetention(long)}, but never deletes a segment holding an offset at or above
   * {@code maxDeletableOffset}: a replica passes its high watermark, so retention removes only committed records
   * (as Kafka does) and a follower is never made to skip records the ISR has not acknowledged yet.
   *
   * @return the number of segments deleted
   */
  int enforceRetention(long nowMs, long maxDeletableOffset);

  /** Forces every appended byte to disk (fsync) and advances the recovery point to the log end. */
  void flush();

  /** Flushes if the configured policy (messages since the last flush, time since it) says so. */
  void maybeFlush(long nowMs);

  /** The settings the log runs with now. Any thread. */
  LogConfig config();

  /**
   * Runs with {@code next} from now on (a topic config was altered): retention at its next check, segment size and
   * age at the next roll, the largest batch at the next append, flush policy, compaction and tombstone retention at
   * the next pass, the file delete delay for segments deleted later. {@code index.interval.bytes} keeps the value the
   * log opened with (its lookups rely on it), and a compacted log stays tolerant of the offset gaps compaction left
   * (a log once compacted cannot become a plain one): both are refused by the topic layer before they get here.
   * Owner thread only, like the other writes.
   *
   * @throws IllegalArgumentException if {@code next} changes either of those
   */
  void reconfigure(LogConfig next);

  /** Whether a write failed and the log now refuses appends. */
  boolean isFailed();

  /** Flushes, records a clean shutdown and releases files. Idempotent. */
  @Override
  void close();

  /**
   * For a {@code cleanup.policy=compact} log, runs a {@link LogCleaner} pass if the log may hold superseded
   * records: keeps the latest record per key in the closed segments wholly below {@code highWatermark} (records at
   * or above it are neither removed nor taken as superseding, since they may yet be truncated). Owner thread only,
   * like the other writes.
   *
   * @return the number of cleaned segments written; 0 when there was nothing to do or the log is not compacted
   */
  default int compact(long nowMs, long highWatermark) {
    return 0;
  }

  /**
   * Forgets idempotent producers that have not appended here for {@code producer.id.expiration.ms}. Owner thread
   * only, like the other writes.
   *
   * @return how many were forgotten
   */
  default int expireProducers(long nowMs) {
    return 0;
  }

  /**
   * Appends a transaction's COMMIT or ABORT marker (a control batch) as the leader at {@code leaderEpoch}, ending the
   * producer's ongoing transaction here (a marker for a producer with none is written and harmless, as Kafka's).
   *
   * @throws io.sluice.errors.InvalidProducerEpochException if the producer wrote here at a newer epoch
   */
  default AppendResult appendTxnMarker(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
      int leaderEpoch) {
    throw new UnsupportedOperationException("appendTxnMarker");
  }

  /** The producers this partition remembers (Kafka's DescribeProducers): owner thread. */
  default java.util.List<io.sluice.api.ProducerState> describeProducers() {
    throw new UnsupportedOperationException("describeProducers");
  }

  /** The first offset of the oldest ongoing transaction, or {@link Long#MAX_VALUE} if none: any thread. */
  default long firstUnstableOffset() {
    return Long.MAX_VALUE;
  }

  /** The aborted transactions overlapping offsets {@code [from, upTo)}, oldest first: any thread. */
  default java.util.List<AbortedTransaction> abortedTransactions(long from, long upTo) {
    return java.util.List.of();
  }
}
