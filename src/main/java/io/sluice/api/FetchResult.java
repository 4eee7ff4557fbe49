package io.sluice.api;

import java.io.Serializable;
/**
 * What a fetch returned: whole batches at or after the asked offset ({@link Batches}: in memory or a region of a
 * segment file, which a front end may send zero-copy) and the partition's offsets when it was read.
 *
 * @param nextOffset the offset after the last batch returned (the asked offset when there is none)
 */
public record FetchResult(TopicPartition tp, long highWatermark, long logStartOffset, long nextOffset,
    Batches batches) implements Serializable {

  public int sizeInBytes() {
    return batches.sizeInBytes();
  }

  /** The same result with its bytes in memory: reads the file for a file region, so call it off the event loop. */
  public FetchResult inMemory() {
    return batches.inMemory() ? this
        : new FetchResult(tp, highWatermark, logStartOffset, nextOffset, Batches.of(batches.readBytes()));
  }
}
