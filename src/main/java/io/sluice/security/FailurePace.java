package io.sluice.security;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Paces failed authentications per client host: each failure is answered {@code delayMs} after the previous one
 * from that host was, so a host fails at most once per {@code delayMs} however many connections it opens. Bounded:
 * hosts whose pace is in the past are forgotten once many are tracked.
 */
final class FailurePace {
  private static final int SWEEP_AT = 10_000;
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
    long at = nextAnswer.merge(host, now + delayMs, (previous, fresh) -> Math.max(previous + delayMs, fresh));
    return Math.max(1, at - now);
  }
}
