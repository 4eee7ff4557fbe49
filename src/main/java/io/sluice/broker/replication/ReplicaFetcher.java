package io.sluice.broker.replication;

import io.sluice.errors.ErrorCode;
import io.sluice.storage.LeaderEpochCache;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.lang.System.Logger.Level;
import java.util.function.LongSupplier;

/**
 * Copies one partition from its leader to this follower: a loop of {@link ReplicaFetchRequest}s, request/reply over a
 * {@link ReplicaTransport} (the broker's {@link ReplicaLinks}, or the clustered event bus), exactly one in flight (so
 * nothing is ever streamed: a follower's pace is its own back-pressure). Each reply's batches are appended before the next request goes out, carrying the new log end
 * offset, which is how the leader learns the follower's progress.
 *
 * <p>When the leader answers with a diverging epoch (the follower holds batches of an epoch the leader's log does not
 * have up to that point) the follower truncates to where the leader's epoch ends, capped by where its own copy of that
 * epoch ends (KIP-101/KIP-279/KIP-320), never merely to its high watermark.
 *
 * <p>When the leader answers OFFSET_OUT_OF_RANGE with a log start above the follower's log end (the leader deleted
 * segments the follower had not copied yet, by retention or deleted records), the follower empties its log and
 * restarts it at the leader's log start, then copies from there.
 *
 * <p>One fetcher serves one (leader, leader epoch): a leadership change stops it and starts another. Replies that
 * arrive after {@link #stop} are dropped, so a stale leader's bytes are never appended.
 *
 * <p><b>Threading</b>: start, stop and every callback run on the partition's context.
 */
public final class ReplicaFetcher {
  private static final System.Logger LOG = System.getLogger(ReplicaFetcher.class.getName());

  /**
   * Tunables.
   *
   * @param maxBytes bytes per fetch at most
   * @param maxWaitMs how long the leader may park a fetch that finds nothing
   * @param backoffMs pause after an error before fetching again
   */
  public record Options(int maxBytes, long maxWaitMs, long backoffMs) {
    public static final Options DEFAULT = new Options(1 << 20, 500, 100);
  }

  private final Vertx vertx;
  private final TopicPartition tp;
  private final int followerId;
  private final LongSupplier brokerEpoch;
  private final int leaderId;
  private final int leaderEpoch;
  private final FollowerLog log;
  private final Options options;
  private final ReplicaTransport transport;
  private boolean stopped;
  private long backoffTimer = -1;

  /** @param brokerEpoch this follower's broker epoch, read for every fetch (a lost session re-registers it) */
  public ReplicaFetcher(Vertx vertx, TopicPartition tp, int followerId, LongSupplier brokerEpoch, int leaderId,
      int leaderEpoch, FollowerLog log, Options options, ReplicaTransport transport) {
    this.vertx = vertx;
    this.tp = tp;
    this.followerId = followerId;
    this.brokerEpoch = brokerEpoch;
    this.leaderId = leaderId;
    this.leaderEpoch = leaderEpoch;
    this.log = log;
    this.options = options;
    this.transport = transport;
  }

  public int leaderId() {
    return leaderId;
  }

  public int leaderEpoch() {
    return leaderEpoch;
  }

  public void start() {
    LOG.log(Level.INFO, "Partition " + tp + ": broker " + followerId + " follows broker " + leaderId + " at epoch "
        + leaderEpoch + " from offset " + log.logEndOffset());
    fetchOnce();
  }

  public void stop() {
    stopped = true;
    vertx.cancelTimer(backoffTimer);
  }

  private void fetchOnce() {
    if (stopped) {
      return;
    }
    ReplicaFetchRequest request = new ReplicaFetchRequest(tp, followerId, leaderEpoch, log.logEndOffset(),
        log.lastFetchedEpoch(), options.maxBytes(), options.maxWaitMs(), brokerEpoch.getAsLong(),
        log.logStartOffset());
    transport.fetch(vertx, leaderId, ReplicaFetchCodec.encode(request), options.maxWaitMs() + 5_000)
        .compose(reply -> handleReply(request, reply))
        .onComplete(ok -> {
          if (ok) {
            fetchOnce();
          } else {
            backOff();
          }
        }, t -> {
          LOG.log(Level.DEBUG, "Partition " + tp + ": fetch from broker " + leaderId + " failed: " + t);
          backOff();
        });
  }

  private void backOff() {
    if (!stopped) {
      backoffTimer = vertx.setTimer(options.backoffMs(), id -> fetchOnce());
    }
  }

  /** Applies one encoded reply and then gives it back to the transport, whatever happened. */
  private Future<Boolean> handleReply(ReplicaFetchRequest request, Buffer reply) {
    Future<Boolean> handled;
    try {
      handled = stopped ? Future.succeededFuture(true) : handle(request, ReplicaFetchCodec.decodeResponse(reply));
    } catch (RuntimeException e) {
      transport.release(reply);
      return Future.failedFuture(e);
    }
    return handled.andThen(done -> transport.release(reply));
  }

  /** Applies one reply; completes with whether to fetch again at once (false: back off first). */
  private Future<Boolean> handle(ReplicaFetchRequest request, ReplicaFetchResponse response) {
    if (response.error() == ErrorCode.OFFSET_OUT_OF_RANGE && response.logStartOffset() > log.logEndOffset()) {
      // What we lack was deleted on the leader (retention, deleted records): nothing below its start can be
      // copied, so our log restarts there, as Kafka's follower does (truncateFullyAndStartAt).
      LOG.log(Level.INFO, "Partition " + tp + ": our log ends at " + log.logEndOffset() + ", below leader "
          + leaderId + "'s log start " + response.logStartOffset() + "; restarting our log there");
      return log.truncateFullyAndStartAt(response.logStartOffset()).map(true);
    }
    if (response.error() != null) {
      LOG.log(response.error() == ErrorCode.NOT_LEADER_OR_FOLLOWER ? Level.DEBUG : Level.INFO, "Partition " + tp
          + ": leader " + leaderId + " refused fetch at epoch " + leaderEpoch + ": " + response.error() + " "
          + response.message());
      return Future.succeededFuture(false);
    }
    if (response.isDiverging()) {
      long target = truncationOffset(response);
      LOG.log(Level.INFO, "Partition " + tp + ": log diverges from leader " + leaderId + " (its epoch "
          + response.divergingEpoch() + " ends at " + response.divergingEndOffset() + ", our last epoch "
          + request.lastFetchedEpoch() + ", our end " + request.fetchOffset() + "); truncating to " + target);
      return log.truncateTo(target).map(true);
    }
    Future<Void> appended = log.appendFromLeader(request.fetchOffset(), response.records(), response.highWatermark());
    long leaderStart = response.logStartOffset();
    if (leaderStart > log.logStartOffset()) { // rare (the leader deleted records): no extra step per reply otherwise
      appended = appended.compose(v -> log.followLogStart(leaderStart));
    }
    return appended.map(true);
  }

  private long truncationOffset(ReplicaFetchResponse response) {
    long target = Math.min(response.divergingEndOffset(), log.logEndOffset());
    if (response.divergingEpoch() >= 0) {
      LeaderEpochCache.EpochEnd own = log.endOffsetFor(response.divergingEpoch());
      if (own.epoch() == response.divergingEpoch()) {
        target = Math.min(target, own.endOffset());
      } else if (own.epoch() >= 0) {
        // Our largest epoch below theirs ends where it ends in our log: nothing past it can be theirs.
        target = Math.min(target, own.endOffset());
      }
    }
    return Math.max(0, target);
  }
}
