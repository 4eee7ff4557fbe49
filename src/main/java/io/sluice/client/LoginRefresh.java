package io.sluice.client;

/**
 * When a client asks for its next bearer token, Kafka's {@code sasl.login.refresh.*} settings with their defaults and
 * bounds: at {@code windowFactor} of the token's lifetime plus up to {@code windowJitter} more at random (so that many
 * clients started together do not ask at once), but not sooner than {@code minPeriodSeconds} after getting it nor
 * later than {@code bufferSeconds} before it expires; a token living less than those two together is refreshed at the
 * window's point of what is left of it.
 */
public record LoginRefresh(double windowFactor, double windowJitter, int minPeriodSeconds, int bufferSeconds) {
  /** Kafka's defaults: 0.8, 0.05, 60 s, 300 s. */
  public static final LoginRefresh DEFAULTS = new LoginRefresh(0.8, 0.05, 60, 300);

  public LoginRefresh {
    if (!(windowFactor >= 0.5 && windowFactor <= 1.0)) {
      throw new IllegalArgumentException("sasl.login.refresh.window.factor must be in [0.5, 1.0], got " + windowFactor);
    }
    if (!(windowJitter >= 0 && windowJitter <= 0.25)) {
      throw new IllegalArgumentException("sasl.login.refresh.window.jitter must be in [0, 0.25], got " + windowJitter);
    }
    if (minPeriodSeconds < 0 || minPeriodSeconds > 900) {
      throw new IllegalArgumentException("sasl.login.refresh.min.period.seconds must be in [0, 900], got "
          + minPeriodSeconds);
    }
    if (bufferSeconds < 0 || bufferSeconds > 3600) {
      throw new IllegalArgumentException("sasl.login.refresh.buffer.seconds must be in [0, 3600], got " + bufferSeconds);
    }
  }

  /**
   * When to ask for the next token, for one valid from {@code startMs} to {@code expiresAtMs} got at {@code nowMs};
   * {@code random} in [0, 1) draws the jitter.
   */
  public long refreshAtMs(long startMs, long expiresAtMs, long nowMs, double random) {
    double pct = windowFactor + windowJitter * random;
    if (nowMs + 1000L * (minPeriodSeconds + bufferSeconds) > expiresAtMs) {
      return nowMs + (long) (Math.max(0, expiresAtMs - nowMs) * pct);
    }
    long proposed = startMs + (long) ((expiresAtMs - startMs) * pct);
    long bufferStart = expiresAtMs - bufferSeconds * 1000L;
    if (proposed > bufferStart) {
      return bufferStart;
    }
    return Math.max(proposed, nowMs + minPeriodSeconds * 1000L);
  }
}
