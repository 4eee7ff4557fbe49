package io.sluice.client.impl;

import io.sluice.errors.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps a group consumer's membership while its application is busy, and gives it up once the application stops
 * asking, as Kafka's consumer does with its heartbeat thread: here a Vert.x periodic timer on the client's context (no
 * thread of its own), every {@code heartbeat.interval.ms}:
 * <ul>
 *   <li>the application asked for records or took some since the last tick: it is alive;
 *   <li>it has done neither for {@code max.poll.interval.ms}: the member leaves the group (Kafka's "consumer poll
 *       timeout has expired"), and its next request rejoins;
 *   <li>else, unless a poll went out since the last tick (a poll is a heartbeat) or a heartbeat is still out, a
 *       heartbeat goes out; an answer that says the member must rejoin (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION,
 *       UNKNOWN_MEMBER_ID) rejoins it at once, without waiting for the application's next request. Any other failure
 *       (no broker answered within the request timeout, after the consumer's failover) waits for the next tick.
 * </ul>
 * Before this, the session was counted from polls only: a subscriber without demand made no request, the session
 * expired and the group rebalanced under a live member.
 *
 * <p><b>Threading:</b> confined to the client's context; {@link #start} must be called there.
 */
final class MemberLiveness {
  private static final Logger LOG = Logger.getLogger(MemberLiveness.class.getName());

  /** The consumer kept alive, called on the client's context. */
  interface Member {
    /** A number that changes whenever the application asks for records or is handed one. */
    long activity();

    /** The polls sent so far. */
    long pollRequests();

    /** Whether the consumer is in its group now: joined by a poll, not evicted, not left, not closed. */
    boolean joined();

    /** One heartbeat request; fails with the broker's error. */
    Future<Void> heartbeat();

    /** Takes the group's current assignment at once (the heartbeat said the group moved on). */
    void rejoin();

    /** Leaves the group; the application's next request joins again. */
    void leave();
  }

  private final Vertx vertx;
  private final Member member;
  private final long heartbeatIntervalMs;
  private final long maxPollIntervalMs;
  private final LongSupplier nanoTime;
  private long timer = -1;
  private long lastActivity;
  private long activeAtNanos;
  private long pollsAtLastTick;
  private boolean heartbeatOut;
  private boolean stopped;

  MemberLiveness(Vertx vertx, Member member, long heartbeatIntervalMs, long maxPollIntervalMs, LongSupplier nanoTime) {
    this.vertx = vertx;
    this.member = member;
    this.heartbeatIntervalMs = heartbeatIntervalMs;
    this.maxPollIntervalMs = maxPollIntervalMs;
    this.nanoTime = nanoTime;
  }

  /** Starts the timer, once; later calls do nothing. */
  void start() {
    if (timer >= 0 || stopped) {
      return;
    }
    lastActivity = member.activity();
    activeAtNanos = nanoTime.getAsLong();
    pollsAtLastTick = member.pollRequests();
    timer = vertx.setPeriodic(heartbeatIntervalMs, id -> tick());
  }

  /** Stops the timer for good (the consumer closed, or its stream ended): {@link #start} does not restart it. */
  void stop() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** One tick of the timer; see the class comment. */
  void tick() {
    long now = nanoTime.getAsLong();
    long activity = member.activity();
    if (activity != lastActivity) {
      lastActivity = activity;
      activeAtNanos = now;
    }
    long polls = member.pollRequests();
    boolean polled = polls != pollsAtLastTick;
    pollsAtLastTick = polls;
    if (!member.joined()) {
      return;
    }
    if (now - activeAtNanos >= maxPollIntervalMs * 1_000_000) {
      LOG.log(Level.INFO, "Consumer poll timeout has expired: the application asked for no record for "
          + maxPollIntervalMs + " ms (max.poll.interval.ms); leaving the group until its next request");
      member.leave();
      return;
    }
    if (polled || heartbeatOut) {
      return;
    }
    heartbeatOut = true;
    member.heartbeat().onComplete(ar -> {
      heartbeatOut = false;
      if (ar.failed()) {
        answered(ar.cause());
      }
    });
  }

  private void answered(Throwable t) {
    ErrorCode code = ErrorCodes.codeOf(t);
    if (code == ErrorCode.REBALANCE_IN_PROGRESS || code == ErrorCode.ILLEGAL_GENERATION
        || code == ErrorCode.UNKNOWN_MEMBER_ID) {
      LOG.log(Level.FINE, "Heartbeat answered " + code + ": rejoining");
      if (member.joined()) {
        member.rejoin();
      }
    } else {
      LOG.log(Level.FINE, "Heartbeat failed; the next one is due in " + heartbeatIntervalMs + " ms", t);
    }
  }
}
