package io.sluice.storage;

import io.sluice.errors.CorruptRecordException;
import io.sluice.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.rocksdb.RocksDBException;

/**
 * Reads a segment file from its start and verifies every batch: a length that fits the file, magic 2, a CRC
 * that matches, a base offset that continues the previous batch. Stops at the first batch that fails; what lies
 * before it is the segment's valid prefix. Used by recovery and by index rebuilds; the file is read sequentially
 * in large chunks so the scan runs at the speed of CRC-32C.
 *
 * <p>Not thread-safe: one scanner per thread. Its buffer is reused across segments.
 */
final class SegmentScanner {
  /** Receives every valid batch in file order. */
  interface BatchSink {
    void onBatch(long baseOffset, int position, int sizeInBytes, long maxTimestamp) throws RocksDBException;
  }

  /**
   * @param validBytes length of the valid prefix
   * @param nextOffset offset after the last valid batch
   * @param maxTimestamp largest batch max timestamp, -1 if none
   * @param rollTimestamp the first batch's max timestamp, -1 if none
   * @param problem why the scan stopped before the file's end, or null if the whole file is valid
   */
  record Result(int validBytes, long nextOffset, long maxTimestamp, long rollTimestamp, String problem) {}

  private static final int CHUNK = 4 << 20;
  private ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
  private long scannedBytes;
  /** Whether a batch may start past the previous one's end (a compacted log, see {@link LogCleaner}). */
  private final boolean allowGaps;

  SegmentScanner() {
    this(false);
  }

  SegmentScanner(boolean allowGaps) {
    this.allowGaps = allowGaps;
  }

  /** Total bytes read by this scanner. */
  long scannedBytes() {
    return scannedBytes;
  }

  /**
   * Scans from {@code startPosition}, where the batch with base offset {@code startOffset} must begin, to the
   * end of the file. The result's timestamps cover only the scanned part.
   */
  Result scan(FileChannel channel, long fileSize, int startPosition, long startOffset, BatchSink sink)
      throws IOException, RocksDBException {
    long expected = startOffset;
    long maxTimestamp = -1;
    long rollTimestamp = -1;
    long chunkStart = startPosition;
    fill(channel, startPosition, fileSize);
    int at = 0;
    while (true) {
      long pos = chunkStart + at;
      if (pos == fileSize) {
        return new Result((int) pos, expected, maxTimestamp, rollTimestamp, null);
      }
      if (buf.limit() - at < RecordBatch.HEADER_SIZE && buf.limit() - at < fileSize - pos) {
        chunkStart = pos;
        at = 0;
        fill(channel, pos, fileSize);
        continue;
      }
      String problem = checkFrame(at, pos, fileSize);
      if (problem != null) {
        return new Result((int) pos, expected, maxTimestamp, rollTimestamp, problem);
      }
      int size = RecordBatch.LOG_OVERHEAD + buf.getInt(at + RecordBatch.LENGTH_OFFSET);
      if (size > buf.limit() - at) {
        if (size > buf.capacity()) {
          buf = ByteBuffer.allocateDirect(size);
        }
        chunkStart = pos;
        at = 0;
        fill(channel, pos, fileSize);
        continue;
      }
      problem = checkBatch(at, size, expected);
      if (problem != null) {
        return new Result((int) pos, expected, maxTimestamp, rollTimestamp, problem);
      }
      long batchMax = buf.getLong(at + RecordBatch.MAX_TIMESTAMP_OFFSET);
      if (pos == 0) {
        rollTimestamp = batchMax;
      }
      maxTimestamp = Math.max(maxTimestamp, batchMax);
      long base = buf.getLong(at + RecordBatch.BASE_OFFSET_OFFSET);
      sink.onBatch(base, (int) pos, size, batchMax);
      expected = base + buf.getInt(at + RecordBatch.LAST_OFFSET_DELTA_OFFSET) + 1L;
      at += size;
    }
  }

  private void fill(FileChannel channel, long pos, long fileSize) throws IOException {
    buf.clear();
    buf.limit((int) Math.min(buf.capacity(), fileSize - pos));
    scannedBytes += Segment.readFully(channel, buf, pos);
    buf.flip();
  }

  /** Checks what the first 61 bytes say; null if the frame is plausible. */
  private String checkFrame(int at, long pos, long fileSize) {
    if (buf.limit() - at < RecordBatch.HEADER_SIZE) {
      return "torn batch header: " + (fileSize - pos) + " bytes left at the end of the file";
    }
    int length = buf.getInt(at + RecordBatch.LENGTH_OFFSET);
    if (length < RecordBatch.HEADER_SIZE - RecordBatch.LOG_OVERHEAD) {
      return "batch length " + length + " is smaller than a header";
    }
    if (pos + RecordBatch.LOG_OVERHEAD + length > fileSize) {
      return "batch of " + (RecordBatch.LOG_OVERHEAD + length) + " bytes is torn: only " + (fileSize - pos)
          + " bytes left in the file";
    }
    return null;
  }

  private String checkBatch(int at, int size, long expectedOffset) {
    ByteBuffer view = buf.duplicate().position(at).limit(at + size);
    RecordBatch batch = RecordBatch.wrap(view);
    try {
      batch.ensureValid();
    } catch (CorruptRecordException e) {
      return e.getMessage();
    }
    if (batch.baseOffset() != expectedOffset && !(allowGaps && batch.baseOffset() > expectedOffset)) {
      return "batch has base offset " + batch.baseOffset() + " where offset " + expectedOffset + " was expected";
    }
    return null;
  }
}
