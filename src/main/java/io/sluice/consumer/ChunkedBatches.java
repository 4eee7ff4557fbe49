package io.sluice.consumer;

import io.sluice.api.Batches;
import io.sluice.errors.CorruptRecordException;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatches;
import java.util.List;

/**
 * Walks the batch headers of {@link Batches.Chunks}, where a batch or even its header may span two arrays, with the
 * same checks as {@link RecordBatches#split}: the chunks are never joined into one array.
 */
final class ChunkedBatches {
  private ChunkedBatches() {
  }

  /**
   * The offset after the last batch (-1 when there is none).
   *
   * @throws CorruptRecordException if the bytes end inside a batch or a batch's length is smaller than a header
   */
  static long nextOffset(Batches.Chunks batches) {
    List<byte[]> chunks = batches.chunks();
    long limit = batches.sizeInBytes();
    long next = -1;
    long position = 0;
    while (position < limit) {
      long remaining = limit - position;
      RecordBatches.requireHeader(position, remaining);
      long size = RecordBatches.batchSize(position, remaining,
          (int) bigEndian(chunks, position + RecordBatch.LENGTH_OFFSET, 4));
      long lastOffset = bigEndian(chunks, position + RecordBatch.BASE_OFFSET_OFFSET, 8)
          + (int) bigEndian(chunks, position + RecordBatch.LAST_OFFSET_DELTA_OFFSET, 4);
      next = Math.max(next, lastOffset + 1);
      position += size;
    }
    return next;
  }

  /** {@code n} bytes from {@code at} as a big-endian number; all chunks but the last are CHUNK_BYTES long. */
  private static long bigEndian(List<byte[]> chunks, long at, int n) {
    long value = 0;
    for (int i = 0; i < n; i++) {
      long p = at + i;
      value = (value << 8) | (chunks.get((int) (p / Batches.Chunks.CHUNK_BYTES))[(int) (p % Batches.Chunks.CHUNK_BYTES)]
          & 0xFF);
    }
    return value;
  }
}
