package io.sluice.storage;

import io.sluice.api.TopicPartition;

import io.sluice.errors.CorruptRecordException;
import io.sluice.errors.InvalidRecordException;
import io.sluice.errors.RecordTooLargeException;
import io.sluice.errors.UnsupportedCompressionException;
import io.sluice.record.RecordBatch;
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
  final long maxTimestamp;

  private AppendBatches(ByteBuffer buffer, List<RecordBatch> batches, long recordCount, long maxTimestamp) {
    this.buffer = buffer;
    this.batches = batches;
    this.sizeInBytes = buffer.remaining();
    this.recordCount = recordCount;
    this.maxTimestamp = maxTimestamp;
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
    long records = 0;
    long maxTimestamp = RecordBatch.NO_TIMESTAMP;
    int pos = buffer.position();
    while (pos < buffer.limit()) {
      RecordBatch batch = checkBatch(buffer.duplicate().position(pos), tp, pos - buffer.position(),
          maxMessageBytes, fromLeader);
      batches.add(batch);
      records += batch.recordCount();
      maxTimestamp = Math.max(maxTimestamp, batch.maxTimestamp());
      pos += batch.sizeInBytes();
    }
    return new AppendBatches(buffer, batches, records, maxTimestamp);
  }

  private static RecordBatch checkBatch(ByteBuffer at, TopicPartition tp, int requestPos, int maxMessageBytes,
      boolean fromLeader) {
    // built only for an error: every batch of every append (leader's and follower's) passes here
    Supplier<String> where = () -> "Batch at byte " + requestPos + " of the append to partition " + tp;
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
    if (fromLeader) {
      try {
        batch.validateRecords();
      } catch (CorruptRecordException e) {
        throw new CorruptRecordException(where.get() + ": " + e.getMessage(), e);
      } catch (InvalidRecordException e) {
        throw new InvalidRecordException(where.get() + ": " + e.getMessage(), e);
      } catch (UnsupportedCompressionException e) {
        throw new UnsupportedCompressionException(where.get() + ": " + e.getMessage(), e);
      }
    }
    return batch;
  }
}
