package io.sluice.api;

import java.io.Serializable;

/**
 * A partition's first offset, its end offset as consumers see it (the high watermark), and its last stable offset
 * (Kafka's LSO: the end for read_committed consumers, the high watermark or the first offset of the oldest
 * transaction still ongoing, whichever is lower).
 */
public record OffsetRange(long beginningOffset, long endOffset, long lastStableOffset) implements Serializable {
  /** A range without an ongoing transaction: the last stable offset is the end. */
  public OffsetRange(long beginningOffset, long endOffset) {
    this(beginningOffset, endOffset, endOffset);
  }
}
