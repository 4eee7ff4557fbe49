package io.sluice.api;

import io.sluice.record.AbortedTransaction;
import java.io.Serializable;
import java.util.List;
/**
 * What a fetch returned: whole batches at or after the asked offset ({@link Batches}: in memory or a region of a
 * segment file, which a front end may send zero-copy) and the partition's offsets when it was read.
 *
 * @param nextOffset the offset after the last batch returned (the asked offset when there is none)
 * @param lastStableOffset the end for read_committed readers (the high watermark, or an ongoing transaction's start)
 * @param abortedTransactions a read_committed read's aborted transactions overlapping its batches (Kafka's
 *     FetchResponse.AbortedTransactions); empty for read_uncommitted
 * @param readReplica the broker whose follower replica answered (a consumer's {@code client.rack} read, KIP-392),
 *     -1 when the leader did; its high watermark is the one the follower knew, never past the leader's
 */
public record FetchResult(TopicPartition tp, long highWatermark, long logStartOffset, long nextOffset,
    Batches batches, long lastStableOffset, List<AbortedTransaction> abortedTransactions, int readReplica)
    implements Serializable {

  /** A read_uncommitted read's result the leader answered: no aborted transactions are named. */
  public FetchResult(TopicPartition tp, long highWatermark, long logStartOffset, long nextOffset, Batches batches) {
    this(tp, highWatermark, logStartOffset, nextOffset, batches, highWatermark, List.of(), -1);
  }

  /** A result the leader answered. */
  public FetchResult(TopicPartition tp, long highWatermark, long logStartOffset, long nextOffset, Batches batches,
      long lastStableOffset, List<AbortedTransaction> abortedTransactions) {
    this(tp, highWatermark, logStartOffset, nextOffset, batches, lastStableOffset, abortedTransactions, -1);
  }

  /** A read_uncommitted read's result answered by broker {@code readReplica}'s replica. */
  public FetchResult(TopicPartition tp, long highWatermark, long logStartOffset, long nextOffset, Batches batches,
      int readReplica) {
    this(tp, highWatermark, logStartOffset, nextOffset, batches, highWatermark, List.of(), readReplica);
  }

  public int sizeInBytes() {
    return batches.sizeInBytes();
  }

  /** The same result with its bytes in memory: reads the file for a file region, so call it off the event loop. */
  public FetchResult inMemory() {
    return batches.inMemory() ? this
        : new FetchResult(tp, highWatermark, logStartOffset, nextOffset, Batches.of(batches.readBytes()),
            lastStableOffset, abortedTransactions, readReplica);
  }
}
