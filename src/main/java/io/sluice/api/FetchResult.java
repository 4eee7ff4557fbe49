package io.sluice.api;

import java.io.Serializable;
/**
 * What a fetch returned: whole batches at or after the asked offset ({@link Batches}: in memory or a region of a
 * segment file, which a front end may send zero-copy) and the partition's offsets when it was read.
 *
 * @param nextOffset the offset after the last batch returned (the asked offset when there is none)
 * @param readReplica the broker whose follower replica answered (a consumer's {@code client.rack} read, KIP-392),
 *     -1 when the leader did; its high watermark is the one the follower knew, never past the leader's
 */
public record FetchResult(TopicPartition tp, long highWatermark, long logStartOffset, long nextOffset,
    Batches batches, int readReplica) implements Serializable {

  /** A result the leader answered. */
  public FetchResult(TopicPartition tp, long highWatermark, long logStartOffset, long nextOffset, Batches batches) {
    this(tp, highWatermark, logStartOffset, nextOffset, batches, -1);
  }

  public int sizeInBytes() {
    return batches.sizeInBytes();
  }

  /** The same result with its bytes in memory: reads the file for a file region, so call it off the event loop. */
  public FetchResult inMemory() {
    return batches.inMemory() ? this
        : new FetchResult(tp, highWatermark, logStartOffset, nextOffset, Batches.of(batches.readBytes()), readReplica);
  }
}
