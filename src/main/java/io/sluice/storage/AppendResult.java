package io.sluice.storage;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * What an append did: the offsets given to each appended batch, in order, and the log end after it.
 *
 * @param firstOffset the first offset written
 * @param lastOffset the last offset written
 * @param batchBaseOffsets the base offset of each batch, in the order they were given
 * @param maxTimestamp the largest record timestamp among the appended batches
 * @param logEndOffset the log end offset after the append
 * @param written a read-only view of exactly the bytes this append wrote to the log (offsets and epochs stamped),
 *     from {@code firstOffset} to {@code logEndOffset}; null when it wrote nothing or did not keep them. It shares the
 *     caller's buffer, so it is valid only until the caller learns the append is done: copy what outlives that.
 * @param logAppendTimeMs the time a leader of a LogAppendTime topic stamped on the batches (Kafka's produce answer's
 *     {@code log_append_time_ms}), -1 when they keep the producer's CreateTime
 */
public record AppendResult(long firstOffset, long lastOffset, List<Long> batchBaseOffsets, long maxTimestamp,
    long logEndOffset, ByteBuffer written, long logAppendTimeMs) {

  /** An append of CreateTime batches. */
  public AppendResult(long firstOffset, long lastOffset, List<Long> batchBaseOffsets, long maxTimestamp,
      long logEndOffset, ByteBuffer written) {
    this(firstOffset, lastOffset, batchBaseOffsets, maxTimestamp, logEndOffset, written, -1L);
  }

  /** An append whose bytes are not kept. */
  public AppendResult(long firstOffset, long lastOffset, List<Long> batchBaseOffsets, long maxTimestamp,
      long logEndOffset) {
    this(firstOffset, lastOffset, batchBaseOffsets, maxTimestamp, logEndOffset, null);
  }

  /** This append as a leader of a LogAppendTime topic answers it, stamped at {@code nowMs}. */
  public AppendResult withLogAppendTime(long nowMs) {
    return new AppendResult(firstOffset, lastOffset, batchBaseOffsets, maxTimestamp, logEndOffset, written, nowMs);
  }

  public int recordCount() {
    return (int) (lastOffset - firstOffset + 1);
  }
}
