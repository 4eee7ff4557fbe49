package io.sluice.storage;

import io.sluice.record.RecordBatch;
import java.nio.ByteBuffer;

/**
 * Finds, inside one batch, the first record at or after a timestamp. Decodes only each record's frame
 * (length, attributes, timestamp delta, offset delta) of an uncompressed batch; a compressed batch answers its
 * first offset, which is what a consumer seeking there receives anyway (it gets the whole batch).
 */
final class RecordTimestamps {
  private RecordTimestamps() {}

  /**
   * @param batch one whole batch, from position 0
   * @return the first offset {@code >= minOffset} whose timestamp is {@code >= timestampMs}, or -1
   */
  static long firstOffsetAtOrAfter(ByteBuffer batch, long timestampMs, long minOffset) {
    RecordBatch header = RecordBatch.wrap(batch);
    long base = header.baseOffset();
    if (header.maxTimestamp() < timestampMs) {
      return -1;
    }
    if ((header.attributes() & RecordBatch.COMPRESSION_CODEC_MASK) != 0
        || (header.attributes() & RecordBatch.TIMESTAMP_TYPE_MASK) != 0) {
      // compressed: the batch is the unit; log-append time: every record has the batch's max timestamp
      return Math.max(base, minOffset) <= header.lastOffset() ? Math.max(base, minOffset) : -1;
    }
    ByteBuffer b = batch.duplicate();
    b.position(RecordBatch.RECORDS_OFFSET);
    int count = header.recordCount();
    for (int i = 0; i < count && b.hasRemaining(); i++) {
      int length = (int) readVarlong(b);
      int next = b.position() + length;
      b.get(); // attributes
      long timestamp = header.baseTimestamp() + readVarlong(b);
      long offset = base + readVarlong(b);
      if (offset >= minOffset && timestamp >= timestampMs) {
        return offset;
      }
      b.position(next);
    }
    return -1;
  }

  /** A zig-zag encoded varint or varlong, as Kafka's records use. */
  static long readVarlong(ByteBuffer b) {
    long raw = 0;
    int shift = 0;
    while (true) {
      byte x = b.get();
      raw |= (long) (x & 0x7f) << shift;
      if ((x & 0x80) == 0) {
        break;
      }
      shift += 7;
      if (shift > 63) {
        throw new IllegalArgumentException("varint longer than 10 bytes");
      }
    }
    return (raw >>> 1) ^ -(raw & 1);
  }
}
