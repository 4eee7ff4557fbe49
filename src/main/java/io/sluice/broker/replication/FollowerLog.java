package io.sluice.broker.replication;

import io.sluice.storage.LeaderEpochCache;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;

/**
 * What a {@link ReplicaFetcher} needs from the follower partition it feeds. Called on the partition's context.
 */
public interface FollowerLog {
  /** The offset the next copied batch must start at. */
  long logEndOffset();

  /** The first offset this log holds (reported to the leader, which waits for it when deleting records). */
  long logStartOffset();

  /** The epoch of the last batch in the log, -1 if empty. */
  int lastFetchedEpoch();

  /** Where {@code epoch} (or the largest epoch below it this log knows) ends in this log. */
  LeaderEpochCache.EpochEnd endOffsetFor(int epoch);

  /**
   * Appends batches copied from the leader (already offset and epoch stamped) and applies its high watermark: the
   * answer to a fetch made at {@code fetchOffset}. It is dropped when the log no longer ends there (an earlier
   * leader's batches were still being appended when the fetch went out): the leader checked the follower's log as it
   * was at {@code fetchOffset}, not the batches that landed since.
   */
  Future<Void> appendFromLeader(long fetchOffset, Buffer records, long leaderHighWatermark);

  /** Removes every batch at or after {@code offset}. */
  Future<Void> truncateTo(long offset);

  /**
   * Empties the log and restarts it at {@code offset} (the leader's log start, above this log's end): every batch,
   * the leader epoch cache and producer state go.
   */
  Future<Void> truncateFullyAndStartAt(long offset);

  /**
   * Follows the leader's log start ({@code leaderLogStart}, from its answer), as Kafka's follower does: records the
   * leader deleted (retention, deleted records) go here too, up to this log's end. Nothing when it is not above
   * this log's start (the common case, without a storage task).
   */
  Future<Void> followLogStart(long leaderLogStart);
}
