package io.sluice.streams;

import io.sluice.streams.Expressions.Expression;
import java.util.List;

/**
 * One compiled step of a stream definition. {@code where} names it as the user wrote it ("steps[2].branch[0]"), for
 * errors, dead-letter headers and preview.
 */
public sealed interface Step {
  String where();

  /** Keeps a record when the predicate is true. */
  record Filter(String where, Expression predicate) implements Step {
  }

  /** A new key, value, headers and timestamp, each optional (absent: unchanged). */
  record MapStep(String where, Expression key, Expression value, Expression headers, Expression timestamp)
      implements Step {
  }

  /** One record to zero or more: the expression gives a list, each element a record's new value. */
  record FlatMap(String where, Expression values) implements Step {
  }

  /** A new key. */
  record SelectKey(String where, Expression key) implements Step {
  }

  /** The first arm whose {@code when} holds takes the record (an arm without one is the default). */
  record Branch(String where, List<Arm> arms) implements Step {
  }

  /** A branch's arm: its condition (null for the default) and its own steps. */
  record Arm(Expression when, List<Step> steps) {
  }

  /** Writes to a topic: partition by the key with Kafka's partitioner, or by an expression. */
  record To(String where, String topic, Expression partition) implements Step {
  }

  /**
   * {@code group_by}, an optional {@code window} and an aggregation, compiled as one step (the steps after it see
   * the aggregate as the value). {@code key} is null for "the record's key"; {@code repartition}: equal keys are
   * brought to one task through the stream's repartition topic first.
   */
  record Aggregate(String where, Expression key, boolean repartition, io.sluice.streams.state.WindowSpec window,
      Expression time, Agg agg, String store, boolean emitFinal, boolean lateToDeadLetter, long ttlMs,
      boolean tombstoneOnExpiry) implements Step {
    /** Without a TTL ({@code ttlMs} 0: keys are kept until deleted). */
    Aggregate(String where, Expression key, boolean repartition, io.sluice.streams.state.WindowSpec window,
        Expression time, Agg agg, String store, boolean emitFinal, boolean lateToDeadLetter) {
      this(where, key, repartition, window, time, agg, store, emitFinal, lateToDeadLetter, 0, false);
    }

    /** The same step reading its input through the repartition topic. */
    Aggregate repartitioned() {
      return new Aggregate(where, key, true, window, time, agg, store, emitFinal, lateToDeadLetter, ttlMs,
          tombstoneOnExpiry);
    }
  }

  /** The aggregation: its kind, the value it reads ({@code value}), and reduce/aggregate's expressions. */
  record Agg(String kind, Expression value, Expression initial, Expression fold, Expression merge) {
  }

  /**
   * A join, or a topic read as a table, compiled as one step where records meet by key in one task: both sides go
   * through the stream's repartition topic (tagged with their side), so one ordered log decides what each record
   * meets, which a replay reproduces exactly. {@code kind}: what is joined; {@code type}: inner, left or outer;
   * {@code right}: the other side's topic (null for a table read alone); {@code key}: the left record's join key
   * (null: its key); {@code value}: the joined value over {@code left} and {@code right} (null: {@code {'left': left,
   * 'right': right}}); {@code withinMs} and {@code graceMs}: a stream-stream join's window; {@code maxIdleMs}: how
   * long records wait for a silent side before they go ({@link JoinSync}); {@code ttlMs} and
   * {@code tombstoneOnExpiry}: a table's rows (a table alone, a stream-table join's table) forgotten that long after
   * their last update in the table's stream time, as an aggregation's {@code ttl} (0: kept until deleted).
   */
  record Join(String where, JoinKind kind, JoinType type, String right, Expression key, Expression value,
      long withinMs, long graceMs, String store, long maxIdleMs, long ttlMs, boolean tombstoneOnExpiry)
      implements Step {
    /** Without a TTL on the table's rows. */
    Join(String where, JoinKind kind, JoinType type, String right, Expression key, Expression value,
        long withinMs, long graceMs, String store, long maxIdleMs) {
      this(where, kind, type, right, key, value, withinMs, graceMs, store, maxIdleMs, 0, false);
    }

    /** Whether the store keeps table rows with an update time ({@link Joins}'s TTL layout). */
    boolean rowTtl() {
      return ttlMs > 0 && (kind == JoinKind.TABLE || kind == JoinKind.STREAM_TABLE);
    }
  }

  /** What a {@link Join} joins. {@code TABLE}: a table read alone (the definition's {@code table}). */
  enum JoinKind { STREAM_TABLE, STREAM_STREAM, TABLE_TABLE, TABLE }

  /** Which sides a join's result needs. */
  enum JoinType { INNER, LEFT, OUTER }

  /** {@code to_stream}: the table's changes (before it) as records; a marker, the steps after it see them so. */
  record ToStream(String where) implements Step {
  }
}
