package io.sluice.storage;

import io.sluice.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Walks batch headers in a segment file without reading batch bodies: reads go through a small window so a run
 * of small batches costs one read per window, a run of large ones one read per batch. Checks only the header's
 * shape (magic, a length that fits before {@code end}); the CRC is recovery's job. Not thread-safe: one per read.
 */
final class BatchCursor {
  private static final int WINDOW = 8192;
  private final FileChannel channel;
  private final long end;
  /**
   * Allocated at the first load, no larger than the bytes from there to {@code end}: a long poll's read of the
   * log's tail (one small batch) allocated the whole window on every wake-up.
   */
  private ByteBuffer window;
  private long windowStart = -1;
  private int windowLength;

  // the header at the current position, valid after next() returned true
  long position;
  long baseOffset;
  int sizeInBytes;
  int lastOffsetDelta;
  long maxTimestamp;
  long producerId;
  short producerEpoch;
  int baseSequence;
  short attributes;

  BatchCursor(FileChannel channel, long end) {
    this.channel = channel;
    this.end = end;
  }

  /**
   * Loads the header of the batch at {@code pos}.
   *
   * @return false if {@code pos} is at or past the end, or no plausible batch header is there
   */
  boolean loadAt(long pos) throws IOException {
    if (pos < 0 || pos + RecordBatch.HEADER_SIZE > end) {
      return false;
    }
    if (windowStart < 0 || pos < windowStart || pos + RecordBatch.HEADER_SIZE > windowStart + windowLength) {
      if (window == null) {
        window = ByteBuffer.allocate((int) Math.max(RecordBatch.HEADER_SIZE, Math.min(WINDOW, end - pos)));
      }
      window.clear();
      window.limit((int) Math.min(window.capacity(), end - pos));
      windowLength = Segment.readFully(channel, window, pos);
      windowStart = pos;
      if (windowLength < RecordBatch.HEADER_SIZE) {
        windowStart = -1;
        return false;
      }
    }
    int at = (int) (pos - windowStart);
    int length = window.getInt(at + RecordBatch.LENGTH_OFFSET);
    if (window.get(at + RecordBatch.MAGIC_OFFSET) != RecordBatch.MAGIC
        || length < RecordBatch.HEADER_SIZE - RecordBatch.LOG_OVERHEAD
        || pos + RecordBatch.LOG_OVERHEAD + length > end) {
      return false;
    }
    position = pos;
    baseOffset = window.getLong(at + RecordBatch.BASE_OFFSET_OFFSET);
    sizeInBytes = RecordBatch.LOG_OVERHEAD + length;
    lastOffsetDelta = window.getInt(at + RecordBatch.LAST_OFFSET_DELTA_OFFSET);
    maxTimestamp = window.getLong(at + RecordBatch.MAX_TIMESTAMP_OFFSET);
    producerId = window.getLong(at + RecordBatch.PRODUCER_ID_OFFSET);
    producerEpoch = window.getShort(at + RecordBatch.PRODUCER_EPOCH_OFFSET);
    baseSequence = window.getInt(at + RecordBatch.BASE_SEQUENCE_OFFSET);
    attributes = window.getShort(at + RecordBatch.ATTRIBUTES_OFFSET);
    return lastOffsetDelta >= 0;
  }

  /** Moves to the batch after the current one; false at the end or on a bad header. */
  boolean next() throws IOException {
    return loadAt(position + sizeInBytes);
  }

  long lastOffset() {
    return baseOffset + lastOffsetDelta;
  }

  long nextOffset() {
    return lastOffset() + 1;
  }

  long endPosition() {
    return position + sizeInBytes;
  }
}
