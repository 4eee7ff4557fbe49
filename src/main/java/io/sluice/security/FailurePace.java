package io.sluice.security;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Paces failed authentications per client host: each failure is answered {@code delayMs} after the previous one
 * from that host was, so a host fails at most once per {@code delayMs} however many connections it opens. Bounded:
 * hosts whose pace is in the past are forgotten once many are tracked.
 */
final class FailurePace {
  private static final int SWEEP_AT = 10_000;
  static final long MAX_BACKLOG_MS = 10_000;
  private final long delayMs;
  private final ConcurrentHashMap<String, Long> nextAnswer = new ConcurrentHashMap<>();

  private final java.util.function.LongSupplier clockMs;

  FailurePace(long delayMs) {
    this(delayMs, System::currentTimeMillis);
  }

  FailurePace(long delayMs, java.util.function.LongSupplier clockMs) {
    this.delayMs = delayMs;
    this.clockMs = clockMs;
  }

  /** How long to wait before answering this failure from {@code host}, in ms (at least {@code delayMs}). */
  long delayFor(String host) {
    long now = clockMs.getAsLong();
    if (nextAnswer.size() > SWEEP_AT) {
      nextAnswer.values().removeIf(t -> t < now);
    }
    // Capped, so a flood from one address (or from the clients behind one NAT) delays its answers by at most
    // MAX_BACKLOG_MS instead of locking the address out for ever longer; past it the bound is the address's
    // connection limit over that delay.
    long at = nextAnswer.merge(host, now + delayMs,
        (previous, fresh) -> Math.min(Math.max(previous + delayMs, fresh), now + MAX_BACKLOG_MS));
    return Math.max(1, at - now);
  }
}
