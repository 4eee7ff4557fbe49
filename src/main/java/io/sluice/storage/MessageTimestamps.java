package io.sluice.storage;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.RecordBatch;
import io.sluice.record.TimestampType;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Kafka's {@code message.timestamp.*} topic configs: whose clock stamps a record, and how far a producer's clock may
 * stray from the broker's. Time-based retention, {@code segment.ms} and offset-by-time lookups all read record
 * timestamps, so a producer with a clock a year ahead would otherwise pin a segment for a year.
 *
 * @param type {@code message.timestamp.type}: {@code CreateTime} keeps the producer's timestamps (checked against
 *     the two bounds), {@code LogAppendTime} has the leader stamp every batch with its clock as it appends
 * @param beforeMaxMs {@code message.timestamp.before.max.ms}: how far a CreateTime record may lie behind the broker's
 *     clock ({@code Long.MAX_VALUE}, Kafka's default: any past)
 * @param afterMaxMs {@code message.timestamp.after.max.ms}: how far it may lie ahead (Kafka 4's default: one hour)
 */
public record MessageTimestamps(TimestampType type, long beforeMaxMs, long afterMaxMs) {
  public static final String TYPE = "message.timestamp.type";
  public static final String BEFORE_MAX_MS = "message.timestamp.before.max.ms";
  public static final String AFTER_MAX_MS = "message.timestamp.after.max.ms";
  public static final String CREATE_TIME = "CreateTime";
  public static final String LOG_APPEND_TIME = "LogAppendTime";
  public static final long DEFAULT_AFTER_MAX_MS = 3_600_000L;
  public static final MessageTimestamps DEFAULT = new MessageTimestamps(TimestampType.CREATE_TIME, Long.MAX_VALUE,
      DEFAULT_AFTER_MAX_MS);

  public MessageTimestamps {
    Objects.requireNonNull(type, "type");
    if (beforeMaxMs < 0 || afterMaxMs < 0) {
      throw new IllegalArgumentException(BEFORE_MAX_MS + " and " + AFTER_MAX_MS + " must not be negative: "
          + beforeMaxMs + ", " + afterMaxMs);
    }
  }

  /** Kafka's config value ({@code CreateTime} or {@code LogAppendTime}, exact case) as a type. */
  public static TimestampType parseType(String value) {
    String v = value.trim();
    if (v.equals(CREATE_TIME)) {
      return TimestampType.CREATE_TIME;
    }
    if (v.equals(LOG_APPEND_TIME)) {
      return TimestampType.LOG_APPEND_TIME;
    }
    throw new IllegalArgumentException(TYPE + " must be '" + CREATE_TIME + "' or '" + LOG_APPEND_TIME + "', got '"
        + value + "'");
  }

  /** The type as Kafka's config names it. */
  public String typeName() {
    return type == TimestampType.LOG_APPEND_TIME ? LOG_APPEND_TIME : CREATE_TIME;
  }

  /**
   * Checks a producer's batch before the leader appends it: a producer never sets LogAppendTime itself (only a
   * leader does, and then it chooses the time), and under CreateTime its records lie within the bounds of
   * {@code nowMs}.
   *
   * @param minTimestamp the smallest record timestamp of the batch (its max is in the header)
   * @param where names the batch, built only for a refusal (this runs for every batch a leader appends)
   * @throws SluiceException INVALID_TIMESTAMP (32) naming the batch's timestamp and the bound it breaks
   */
  public void check(RecordBatch batch, long minTimestamp, long nowMs, Supplier<String> where) {
    if (batch.timestampType() == TimestampType.LOG_APPEND_TIME) {
      throw invalid(where.get() + " has timestamp type LogAppendTime: a producer sends CreateTime, the leader sets"
          + " LogAppendTime when the topic's " + TYPE + " is " + LOG_APPEND_TIME);
    }
    if (type == TimestampType.LOG_APPEND_TIME) {
      return;
    }
    if (batch.maxTimestamp() - nowMs > afterMaxMs) {
      throw invalid(where.get() + " has a record with timestamp " + batch.maxTimestamp() + ", " + (batch.maxTimestamp()
          - nowMs) + " ms ahead of the broker's clock (" + nowMs + "); the topic's " + AFTER_MAX_MS + " allows "
          + afterMaxMs);
    }
    if (beforeMaxMs != Long.MAX_VALUE && nowMs - minTimestamp > beforeMaxMs) {
      throw invalid(where.get() + " has a record with timestamp " + minTimestamp + ", " + (nowMs - minTimestamp)
          + " ms behind the broker's clock (" + nowMs + "); the topic's " + BEFORE_MAX_MS + " allows " + beforeMaxMs);
    }
  }

  private static SluiceException invalid(String message) {
    return new SluiceException(ErrorCode.INVALID_TIMESTAMP, message);
  }
}
