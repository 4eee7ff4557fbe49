package io.sluice.client.impl;

import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A consumer's retries through one streak of retriable failures (its group's coordinator moving, a rebalance, a
 * leader election), logged so that a stall can be read from the application's log: each retry's cause and wait,
 * and how long the streak has lasted; then one line when it ends. Rate-limited: the first retry of a streak, then
 * at most one line per {@link #INTERVAL_MS} (saying how many were not logged), since a streak may retry every 50 ms.
 * Not thread-safe: one consumer's retries are serial.
 */
final class RetryLog {
  static final long INTERVAL_MS = 5_000;

  private final Logger log;
  private final String who;
  private final LongSupplier clockMs;
  private long streakStartMs = -1;
  private long lastLoggedMs;
  private int retries;
  private int unlogged;

  RetryLog(Logger log, String who, LongSupplier clockMs) {
    this.log = log;
    this.who = who;
    this.clockMs = clockMs;
  }

  /** A retriable failure {@code cause}, retried after {@code waitMs}. */
  void retrying(Throwable cause, long waitMs) {
    long now = clockMs.getAsLong();
    retries++;
    if (streakStartMs < 0) {
      streakStartMs = now;
    } else if (now - lastLoggedMs < INTERVAL_MS) {
      unlogged++;
      return;
    }
    lastLoggedMs = now;
    log.log(Level.INFO, who + ": retry " + retries + " in " + waitMs + " ms, " + (now - streakStartMs)
        + " ms into the failures" + (unlogged > 0 ? " (" + unlogged + " retries not logged)" : "") + ": "
        + describe(cause));
    unlogged = 0;
  }

  /** A request succeeded: a streak in progress ends (logged). */
  void succeeded() {
    if (streakStartMs < 0) {
      return;
    }
    log.log(Level.INFO, who + ": resumed after " + retries + " retr" + (retries == 1 ? "y" : "ies") + " in "
        + (clockMs.getAsLong() - streakStartMs) + " ms");
    streakStartMs = -1;
    retries = 0;
    unlogged = 0;
  }

  private static String describe(Throwable t) {
    return ErrorCodes.codeOf(t).name() + ": " + t.getMessage();
  }
}
