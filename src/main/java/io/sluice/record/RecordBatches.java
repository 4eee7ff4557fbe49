package io.sluice.record;

import io.sluice.errors.CorruptRecordException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a run of concatenated v2 batches, as found in a produce request body or a log segment, into
 * {@link RecordBatch} views. Each batch's extent comes from its {@code batchLength} field; nothing else is
 * checked here (not magic, not CRC): callers call {@link RecordBatch#ensureValid()} on each. Stateless.
 */
public final class RecordBatches {
  private RecordBatches() {}

  /**
   * Splits {@code buffer} from its position to its limit, without moving its position. Each returned batch wraps
   * a slice holding exactly that batch's bytes and sharing content with {@code buffer}.
   *
   * @throws CorruptRecordException if the bytes end inside a batch or a batch's length is smaller than a header
   */
  public static List<RecordBatch> split(ByteBuffer buffer) {
    List<RecordBatch> batches = new ArrayList<>();
    int position = buffer.position();
    int limit = buffer.limit();
    while (position < limit) {
      int remaining = limit - position;
      requireHeader(position, remaining);
      int size = (int) batchSize(position, remaining, buffer.getInt(position + RecordBatch.LENGTH_OFFSET));
      batches.add(RecordBatch.wrap(buffer.slice(position, size)));
      position += size;
    }
    return batches;
  }

  /**
   * Whether a batch of {@code buffer} (position to limit, not moved) has the transactional flag. Reads only the
   * headers and stops at the first frame whose header is cut or whose length is not positive: a request is checked
   * (authorized) before its frames are, and the log refuses broken frames later.
   */
  public static boolean anyTransactional(ByteBuffer buffer) {
    int limit = buffer.limit();
    for (int pos = buffer.position(); pos + RecordBatch.HEADER_SIZE <= limit; ) {
      if ((buffer.getShort(pos + RecordBatch.ATTRIBUTES_OFFSET) & RecordBatch.TRANSACTIONAL_FLAG_MASK) != 0) {
        return true;
      }
      int length = buffer.getInt(pos + RecordBatch.LENGTH_OFFSET);
      if (length <= 0) {
        return false;
      }
      pos += RecordBatch.LOG_OVERHEAD + length;
    }
    return false;
  }

  /**
   * Checks that a batch header fits in the {@code remaining} bytes from {@code position} of a run of batches.
   *
   * @throws CorruptRecordException if it does not
   */
  public static void requireHeader(long position, long remaining) {
    if (remaining < RecordBatch.HEADER_SIZE) {
      throw new CorruptRecordException("Truncated record batch at byte " + position + ": " + remaining
          + " bytes left, a header needs " + RecordBatch.HEADER_SIZE);
    }
  }

  /**
   * The whole size of the batch at {@code position} whose length field says {@code length}, checked against its
   * header and the {@code remaining} bytes of the run.
   *
   * @throws CorruptRecordException if the length is smaller than a header or the run ends inside the batch
   */
  public static long batchSize(long position, long remaining, long length) {
    if (length < RecordBatch.HEADER_SIZE - RecordBatch.LOG_OVERHEAD) {
      throw new CorruptRecordException(
          "Record batch at byte " + position + " has length " + length + ", smaller than its header");
    }
    if (length > remaining - RecordBatch.LOG_OVERHEAD) {
      throw new CorruptRecordException("Truncated record batch at byte " + position + ": length " + length
          + " but only " + (remaining - RecordBatch.LOG_OVERHEAD) + " bytes follow the length field");
    }
    return RecordBatch.LOG_OVERHEAD + length;
  }
}
