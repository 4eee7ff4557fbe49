package io.sluice.broker.replication;

import io.sluice.api.TopicPartition;

/**
 * A follower's pull from its leader (Kafka's replica Fetch request, one partition).
 *
 * @param tp the partition
 * @param followerId the fetching broker
 * @param leaderEpoch the leader epoch the follower believes current: the leader refuses older (FENCED_LEADER_EPOCH)
 *     and newer (UNKNOWN_LEADER_EPOCH) ones
 * @param fetchOffset the follower's log end offset: where to read from, and what the leader records as the
 *     follower's progress for the ISR and the high watermark
 * @param lastFetchedEpoch the epoch of the last batch in the follower's log, -1 if it is empty; the leader answers
 *     with a diverging epoch when its log does not hold that epoch up to {@code fetchOffset} (KIP-320)
 * @param maxBytes at most this many bytes of batches (at least one whole batch)
 * @param maxWaitMs how long the leader may park the request when there is nothing to send
 * @param brokerEpoch the follower process's broker epoch (the zxid that created its registration), or
 *     {@link #UNKNOWN_BROKER_EPOCH}: the leader records it when it adds the follower to the ISR, and does not count
 *     the progress of an ISR member whose epoch differs from the recorded one (it restarted: KIP-903)
 * @param logStartOffset the follower's log start offset, or {@link #UNKNOWN_LOG_START}: a leader deleting records
 *     waits for its in-sync followers to report a start at or past the deletion (Kafka's low watermark)
 */
public record ReplicaFetchRequest(TopicPartition tp, int followerId, int leaderEpoch, long fetchOffset,
    int lastFetchedEpoch, int maxBytes, long maxWaitMs, long brokerEpoch, long logStartOffset) {
  public static final long UNKNOWN_BROKER_EPOCH = -1;
  public static final long UNKNOWN_LOG_START = -1;

  public ReplicaFetchRequest(TopicPartition tp, int followerId, int leaderEpoch, long fetchOffset,
      int lastFetchedEpoch, int maxBytes, long maxWaitMs, long brokerEpoch) {
    this(tp, followerId, leaderEpoch, fetchOffset, lastFetchedEpoch, maxBytes, maxWaitMs, brokerEpoch,
        UNKNOWN_LOG_START);
  }

  public ReplicaFetchRequest(TopicPartition tp, int followerId, int leaderEpoch, long fetchOffset,
      int lastFetchedEpoch, int maxBytes, long maxWaitMs) {
    this(tp, followerId, leaderEpoch, fetchOffset, lastFetchedEpoch, maxBytes, maxWaitMs, UNKNOWN_BROKER_EPOCH);
  }
}
