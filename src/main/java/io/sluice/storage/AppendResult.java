package io.sluice.storage;

import java.util.List;

/**
 * What an append did: the offsets given to each appended batch, in order, and the log end after it.
 *
 * @param firstOffset the first offset written
 * @param lastOffset the last offset written
 * @param batchBaseOffsets the base offset of each batch, in the order they were given
 * @param maxTimestamp the largest record timestamp among the appended batches
 * @param logEndOffset the log end offset after the append
 */
public record AppendResult(long firstOffset, long lastOffset, List<Long> batchBaseOffsets, long maxTimestamp,
    long logEndOffset) {

  public int recordCount() {
    return (int) (lastOffset - firstOffset + 1);
  }
}
