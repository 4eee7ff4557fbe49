package io.sluice.api;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;

/** How many replicas must have a produced batch before the producer is answered. */
public enum Acks {
  /** Answer at once, without waiting for the append. */
  NONE,
  /** Answer once the leader appended. */
  LEADER,
  /** Answer once every in-sync replica has the batch (min.insync.replicas enforced). */
  ALL;

  /** Parses {@code 0}, {@code 1}, {@code all} or {@code -1}. */
  public static Acks parse(String value) {
    return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "0" -> NONE;
      case "1" -> LEADER;
      case "all", "-1" -> ALL;
      default -> throw new SluiceException(ErrorCode.INVALID_REQUIRED_ACKS,
          "acks must be 0, 1 or all, got '" + value + "'");
    };
  }
}
