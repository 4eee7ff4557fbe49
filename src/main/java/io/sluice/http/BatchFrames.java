package io.sluice.http;

import io.sluice.errors.CorruptRecordException;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatches;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Walks the frames of back-to-back v2 record batches by their headers only: magic and length, no CRC and no
 * record decoding. The HTTP layer needs that much to count records in a produced body and to find the next
 * offset of fetched bytes; the broker validates the content when it appends.
 */
final class BatchFrames {
  private BatchFrames() {
  }

  /**
   * Views of each batch in {@code buffer} from its position to its limit, in order ({@link RecordBatches#split}),
   * each also checked for magic 2 and a non-negative record count.
   *
   * @throws CorruptRecordException if a header is cut short, has another magic, or claims more bytes than remain
   */
  static List<RecordBatch> split(ByteBuffer buffer) {
    List<RecordBatch> batches = RecordBatches.split(buffer);
    for (int i = 0; i < batches.size(); i++) {
      RecordBatch batch = batches.get(i);
      if (batch.magic() != RecordBatch.MAGIC) {
        throw new CorruptRecordException("Batch " + i + " has magic " + batch.magic() + ", expected 2");
      }
      if (batch.recordCount() < 0) {
        throw new CorruptRecordException("Batch " + i + " has record count " + batch.recordCount());
      }
    }
    return batches;
  }

  /** The offset after the last batch in {@code buffer}, or {@code whenEmpty} if it holds none. */
  static long nextOffset(ByteBuffer buffer, long whenEmpty) {
    List<RecordBatch> batches = split(buffer);
    return batches.isEmpty() ? whenEmpty : batches.get(batches.size() - 1).nextOffset();
  }

  /**
   * The offset after the last whole batch in {@code bytes}, reading only the base offset, length and last offset
   * delta of each header; {@code whenEmpty} if no whole batch is there.
   */
  static long nextOffset(Buffer bytes, long whenEmpty) {
    long next = whenEmpty;
    long position = 0;
    while (position + RecordBatch.HEADER_SIZE <= bytes.length()) {
      int at = (int) position;
      int length = bytes.getInt(at + RecordBatch.LENGTH_OFFSET);
      if (length < RecordBatch.HEADER_SIZE - RecordBatch.LOG_OVERHEAD
          || position + RecordBatch.LOG_OVERHEAD + length > bytes.length()) {
        break;
      }
      next = bytes.getLong(at + RecordBatch.BASE_OFFSET_OFFSET)
          + bytes.getInt(at + RecordBatch.LAST_OFFSET_DELTA_OFFSET) + 1;
      position += RecordBatch.LOG_OVERHEAD + length;
    }
    return next;
  }
}
