package io.sluice.client;

/**
 * Where a reader starts: an offset, the beginning (log start), the end (the next record to be written) or the
 * first record at or after a timestamp (the end if there is none).
 */
public sealed interface StartPosition {

  static StartPosition offset(long offset) {
    if (offset < 0) {
      throw new IllegalArgumentException("offset must not be negative, got " + offset);
    }
    return new Offset(offset);
  }

  static StartPosition beginning() {
    return Beginning.INSTANCE;
  }

  static StartPosition end() {
    return End.INSTANCE;
  }

  static StartPosition timestamp(long timestampMs) {
    return new Timestamp(timestampMs);
  }

  /** An exact offset. */
  record Offset(long offset) implements StartPosition {
  }

  /** The first record at or after {@code timestampMs}. */
  record Timestamp(long timestampMs) implements StartPosition {
  }

  /** The log start offset. */
  enum Beginning implements StartPosition { INSTANCE }

  /** The high watermark. */
  enum End implements StartPosition { INSTANCE }
}
