package io.sluice.storage;

import io.sluice.api.TopicPartition;

import io.sluice.errors.CorruptRecordException;
import io.sluice.errors.InvalidRecordException;
import io.sluice.errors.RecordTooLargeException;
import io.sluice.errors.UnsupportedCompressionException;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatch;
import io.sluice.record.TimestampType;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The batches of one append request, every one validated before any is written, so a request with one bad batch
 * appends nothing. Checks per batch: a whole header, magic 2, size within {@code max.message.bytes}, a length
 * that fits the request, CRC-32C; for a leader append also the records themselves
 * ({@link RecordBatch#validateRecords()}: framing, count, offset deltas, max timestamp), without building them.
 */
final class AppendBatches {
  final ByteBuffer buffer;
  final List<RecordBatch> batches;
  final int sizeInBytes;
  final long recordCount;
  /** The largest batch max timestamp; the leader's clock once {@link #stampLogAppendTime} ran. */
  long maxTimestamp;
  /** Per batch, its smallest record timestamp; null for a follower's append (not walked record by record). */
  private final long[] minTimestamps;

  private AppendBatches(ByteBuffer buffer, List<RecordBatch> batches, long recordCount, long maxTimestamp,
      long[] minTimestamps) {
    this.buffer = buffer;
    this.batches = batches;
    this.sizeInBytes = buffer.remaining();
    this.recordCount = recordCount;
    this.maxTimestamp = maxTimestamp;
    this.minTimestamps = minTimestamps;
  }

  /**
   * Validates {@code request} (from its position to its limit) without moving its position.
   *
   * @param fromLeader whether the batches come from a producer (stricter record-count check)
   */
  static AppendBatches validate(ByteBuffer request, TopicPartition tp, int maxMessageBytes, boolean fromLeader) {
    ByteBuffer buffer = request.duplicate();
    if (!buffer.hasRemaining()) {
      throw new InvalidRecordException("Append to partition " + tp + " carries no record batch");
    }
    List<RecordBatch> batches = new ArrayList<>(2);
    long[] mins = fromLeader ? new long[2] : null;
    long records = 0;
    long maxTimestamp = RecordBatch.NO_TIMESTAMP;
    int pos = buffer.position();
    while (pos < buffer.limit()) {
      Supplier<String> where = where(tp, pos - buffer.position());
      RecordBatch batch = checkBatch(buffer.duplicate().position(pos), maxMessageBytes, where);
      if (fromLeader) {
        mins = batches.size() < mins.length ? mins : java.util.Arrays.copyOf(mins, mins.length * 2);
        mins[batches.size()] = checkRecords(batch, where);
      }
      batches.add(batch);
      records += batch.recordCount();
      maxTimestamp = Math.max(maxTimestamp, batch.maxTimestamp());
      pos += batch.sizeInBytes();
    }
    return new AppendBatches(buffer, batches, records, maxTimestamp, mins);
  }

  /**
   * Checks a producer's batches' timestamps against the topic's rules at {@code nowMs} (a leader's append only).
   *
   * @throws io.sluice.errors.SluiceException INVALID_TIMESTAMP naming the batch and the bound
   */
  void checkTimestamps(MessageTimestamps rules, long nowMs, TopicPartition tp) {
    int requestPos = 0;
    for (int i = 0; i < batches.size(); i++) {
      RecordBatch batch = batches.get(i);
      rules.check(batch, minTimestamps[i], nowMs, where(tp, requestPos));
      requestPos += batch.sizeInBytes();
    }
  }

  /**
   * These batches in codec {@code target} (a topic's {@code compression.type}): this when every batch is in it
   * already, else a new request over a new buffer. Sizes are checked again, as Kafka does after recompressing.
   */
  AppendBatches recompressed(CompressionType target, int maxMessageBytes, TopicPartition tp) {
    if (batches.stream().allMatch(b -> b.compressionType() == target)) {
      return this;
    }
    List<ByteBuffer> parts = new ArrayList<>(batches.size());
    int total = 0;
    for (RecordBatch batch : batches) {
      ByteBuffer part = batch.recompressed(target);
      if (part.remaining() > maxMessageBytes) {
        throw new RecordTooLargeException(where(tp, total).get() + " is " + part.remaining() + " bytes once in the"
            + " topic's compression.type " + (target == CompressionType.NONE ? "uncompressed" : target.configName)
            + ", above max.message.bytes " + maxMessageBytes);
      }
      parts.add(part);
      total += part.remaining();
    }
    ByteBuffer joined = ByteBuffer.allocate(total);
    List<RecordBatch> rebuilt = new ArrayList<>(parts.size());
    for (ByteBuffer part : parts) {
      rebuilt.add(RecordBatch.wrap(joined.slice(joined.position(), part.remaining())));
      joined.put(part);
    }
    return new AppendBatches(joined.flip(), rebuilt, recordCount, maxTimestamp, minTimestamps);
  }

  /** Stamps every batch LogAppendTime at {@code nowMs}, as a leader of a LogAppendTime topic does (CRCs redone). */
  void stampLogAppendTime(long nowMs) {
    for (RecordBatch batch : batches) {
      batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, nowMs);
    }
    maxTimestamp = nowMs;
  }

  private static Supplier<String> where(TopicPartition tp, int requestPos) {
    // built only for an error: every batch of every append (leader's and follower's) passes here
    return () -> "Batch at byte " + requestPos + " of the append to partition " + tp;
  }

  private static RecordBatch checkBatch(ByteBuffer at, int maxMessageBytes, Supplier<String> where) {
    if (at.remaining() < RecordBatch.HEADER_SIZE) {
      throw new CorruptRecordException(where.get() + " is cut short: " + at.remaining() + " bytes, a header needs "
          + RecordBatch.HEADER_SIZE);
    }
    RecordBatch batch = RecordBatch.wrap(at);
    if (batch.magic() != RecordBatch.MAGIC) {
      throw new CorruptRecordException(where.get() + " has magic " + batch.magic() + ", only magic 2 is supported");
    }
    long size = RecordBatch.LOG_OVERHEAD + (long) batch.batchLength();
    if (size > maxMessageBytes) {
      throw new RecordTooLargeException(where.get() + " is " + size + " bytes, above max.message.bytes "
          + maxMessageBytes);
    }
    at.limit((int) Math.min(at.limit(), at.position() + Math.max(size, 0)));
    try {
      batch.ensureValid();
    } catch (CorruptRecordException e) {
      throw new CorruptRecordException(where.get() + ": " + e.getMessage(), e);
    }
    return batch;
  }

  /** The records of a producer's batch, walked: returns their smallest timestamp. */
  private static long checkRecords(RecordBatch batch, Supplier<String> where) {
    try {
      return batch.validateRecords();
    } catch (CorruptRecordException e) {
      throw new CorruptRecordException(where.get() + ": " + e.getMessage(), e);
    } catch (InvalidRecordException e) {
      throw new InvalidRecordException(where.get() + ": " + e.getMessage(), e);
    } catch (UnsupportedCompressionException e) {
      throw new UnsupportedCompressionException(where.get() + ": " + e.getMessage(), e);
    }
  }
}
