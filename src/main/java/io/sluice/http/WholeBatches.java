package io.sluice.http;

import io.sluice.api.Batches;
import io.sluice.record.RecordBatch;
import java.nio.ByteBuffer;

/**
 * Reads the first whole batches of a fetched slice that fit in a budget, always at least the first (as Kafka answers
 * at least one batch, so a consumer never sticks behind one larger than its room). Blocking for a file region (only
 * the prefix is read): call it on a worker.
 */
final class WholeBatches {
  private WholeBatches() {
  }

  /** The prefix, positioned at 0. */
  static ByteBuffer read(Batches batches, long budget) {
    int size = batches.sizeInBytes();
    if (budget >= size || batches.fileRegion().isEmpty()) {
      ByteBuffer all = batches.readBytes();
      return all.limit(prefix(all, budget));
    }
    Batches.FileRegion file = batches.fileRegion().get();
    int first = (int) Math.min(size, Math.max(budget, RecordBatch.HEADER_SIZE));
    ByteBuffer head = region(file, first).readBytes();
    int whole = prefix(head, budget);
    return whole <= head.limit() ? head.limit(whole) : region(file, Math.min(whole, size)).readBytes();
  }

  private static Batches.FileRegion region(Batches.FileRegion file, int length) {
    return new Batches.FileRegion(file.file(), file.channel(), file.position(), length);
  }

  /**
   * The length of the whole batches from 0 that fit in {@code budget}, but at least the first batch's size (which
   * may be beyond {@code bytes}' limit when only its header was read); {@code bytes}' limit if its headers are cut.
   */
  static int prefix(ByteBuffer bytes, long budget) {
    int position = 0;
    while (position + RecordBatch.HEADER_SIZE <= bytes.limit()) {
      long next = position + RecordBatch.LOG_OVERHEAD + (long) bytes.getInt(position + RecordBatch.LENGTH_OFFSET);
      if (next <= position + RecordBatch.LOG_OVERHEAD) {
        return bytes.limit(); // a corrupt length: left whole for the decoder to refuse
      }
      if (position > 0 && (next > budget || next > bytes.limit())) {
        return position;
      }
      if (position == 0 && next > bytes.limit()) {
        return (int) Math.min(next, Integer.MAX_VALUE);
      }
      position = (int) next;
    }
    return position == 0 ? bytes.limit() : position;
  }
}
