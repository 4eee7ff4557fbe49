package io.sluice.broker.replication;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a partition leader knows about its followers' progress, from their fetches: each follower's log end offset
 * and when it was last caught up. The leader derives the high watermark and ISR changes from it.
 *
 * <p>Caught up follows Kafka's rule: a fetch at or past the leader's log end makes the follower caught up now; a
 * fetch at or past the leader's log end as of the follower's previous fetch makes it caught up as of that previous
 * fetch. A follower not caught up for longer than {@code replica.lag.time.max.ms} leaves the ISR.
 *
 * <p>Each follower's progress belongs to the process that fetched it, named by its broker epoch: a fetch of an earlier
 * process (a smaller epoch, late on the wire) is ignored, and an ISR member whose last fetch carried another epoch
 * than the ISR recorded for it restarted since, so its progress is not counted toward the high watermark (it may have
 * lost a torn tail; the controller takes it out of the ISR, after which it joins again at its new epoch).
 *
 * <p>Pure and not thread-safe: the leader uses it on its own context. Times are passed in (milliseconds).
 */
public final class FollowerTracker {
  /** A follower's log end offset before it fetched from this leader. */
  public static final long UNKNOWN = -1;

  private static final class Progress {
    long logEndOffset = UNKNOWN;
    long lastCaughtUpMs;
    long lastFetchMs;
    long leaderEndAtLastFetch = Long.MAX_VALUE;
    long brokerEpoch = ReplicaFetchRequest.UNKNOWN_BROKER_EPOCH;
    long logStartOffset = ReplicaFetchRequest.UNKNOWN_LOG_START;
  }

  private final Map<Integer, Progress> followers = new HashMap<>();

  /** Starts tracking {@code followerIds}, each given a full lag period from {@code nowMs} to catch up. */
  public FollowerTracker(Collection<Integer> followerIds, long nowMs) {
    for (int id : followerIds) {
      Progress p = new Progress();
      p.lastCaughtUpMs = nowMs;
      p.lastFetchMs = nowMs;
      followers.put(id, p);
    }
  }

  /** Records a fetch by {@code follower} at {@code fetchOffset} while the leader's log ended at {@code leaderEnd}. */
  public void onFetch(int follower, long fetchOffset, long leaderEnd, long nowMs) {
    onFetch(follower, ReplicaFetchRequest.UNKNOWN_BROKER_EPOCH, fetchOffset, leaderEnd, nowMs);
  }

  /**
   * Records a fetch by {@code follower}'s process at {@code brokerEpoch}; returns false, recording nothing, for a
   * fetch of an earlier process than one already seen.
   */
  public boolean onFetch(int follower, long brokerEpoch, long fetchOffset, long leaderEnd, long nowMs) {
    Progress p = followers.computeIfAbsent(follower, id -> new Progress());
    if (brokerEpoch != ReplicaFetchRequest.UNKNOWN_BROKER_EPOCH && brokerEpoch < p.brokerEpoch) {
      return false;
    }
    p.brokerEpoch = brokerEpoch;
    p.logEndOffset = fetchOffset;
    if (fetchOffset >= leaderEnd) {
      p.lastCaughtUpMs = nowMs;
    } else if (fetchOffset >= p.leaderEndAtLastFetch) {
      p.lastCaughtUpMs = Math.max(p.lastCaughtUpMs, p.lastFetchMs);
    }
    p.leaderEndAtLastFetch = leaderEnd;
    p.lastFetchMs = nowMs;
    return true;
  }

  /** Records the log start offset {@code follower} reported with its last fetch (unknown: left as it was). */
  public void onLogStart(int follower, long logStartOffset) {
    Progress p = followers.get(follower);
    if (p != null && logStartOffset != ReplicaFetchRequest.UNKNOWN_LOG_START) {
      p.logStartOffset = logStartOffset;
    }
  }

  /**
   * Kafka's low watermark over {@code isr}: the smallest log start among them ({@code leader}'s own is
   * {@code leaderStart}); {@link #UNKNOWN} while an in-sync follower has not reported one.
   */
  public long lowWatermark(Collection<Integer> isr, int leader, long leaderStart) {
    long low = leaderStart;
    for (int id : isr) {
      if (id != leader) {
        Progress p = followers.get(id);
        low = Math.min(low, p == null ? UNKNOWN : p.logStartOffset);
      }
    }
    return low;
  }

  /** The broker epoch of the follower's last recorded fetch, {@link ReplicaFetchRequest#UNKNOWN_BROKER_EPOCH} if none. */
  public long brokerEpoch(int follower) {
    Progress p = followers.get(follower);
    return p == null ? ReplicaFetchRequest.UNKNOWN_BROKER_EPOCH : p.brokerEpoch;
  }

  /** The follower's log end offset as last fetched, or {@link #UNKNOWN}. */
  public long logEndOffset(int follower) {
    Progress p = followers.get(follower);
    return p == null ? UNKNOWN : p.logEndOffset;
  }

  /**
   * The smallest log end offset among {@code isr} ({@code leader}'s own is {@code leaderEnd}): every in-sync replica
   * holds every record below it. {@link #UNKNOWN} while an in-sync follower has not fetched yet, or last fetched at
   * another broker epoch than {@code isrEpochs} records for it.
   */
  public long highWatermark(Collection<Integer> isr, int leader, long leaderEnd, Map<Integer, Long> isrEpochs) {
    long hw = leaderEnd;
    for (int id : isr) {
      if (id != leader) {
        hw = Math.min(hw, restartedSince(id, isrEpochs.get(id)) ? UNKNOWN : logEndOffset(id));
      }
    }
    return hw;
  }

  public long highWatermark(Collection<Integer> isr, int leader, long leaderEnd) {
    return highWatermark(isr, leader, leaderEnd, Map.of());
  }

  /** Whether the follower's last fetch came from another process than the one {@code recorded} names. */
  private boolean restartedSince(int follower, Long recorded) {
    long fetched = brokerEpoch(follower);
    return recorded != null && recorded != ReplicaFetchRequest.UNKNOWN_BROKER_EPOCH
        && fetched != ReplicaFetchRequest.UNKNOWN_BROKER_EPOCH && fetched != recorded;
  }

  /** Members of {@code isr} (the leader excluded) not caught up for more than {@code maxLagMs}. */
  public List<Integer> laggingInSync(Collection<Integer> isr, int leader, long nowMs, long maxLagMs) {
    List<Integer> lagging = new ArrayList<>();
    for (int id : isr) {
      Progress p = followers.get(id);
      if (id != leader && p != null && nowMs - p.lastCaughtUpMs > maxLagMs) {
        lagging.add(id);
      }
    }
    return lagging;
  }
}
