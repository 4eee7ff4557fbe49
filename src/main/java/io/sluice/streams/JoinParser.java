package io.sluice.streams;

import io.sluice.broker.TopicNames;
import io.sluice.errors.SluiceException;
import io.sluice.streams.Expressions.Expression;
import io.sluice.streams.Step.JoinKind;
import io.sluice.streams.Step.JoinType;
import io.sluice.streams.state.WindowSpec;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Parses a {@code join} step and a definition's {@code table} into a {@link Step.Join}:
 *
 * <pre>
 * {"join": {"table": "customers", "type": "inner" | "left", "key": "&lt;expression&gt;", "value": "&lt;expression&gt;",
 *           "store": "join", "ttl": "7d"}}                                    a stream-table join
 * {"join": {"stream": "payments", "type": "inner" | "left" | "outer", "within": "5m", "grace": "10s",
 *           "key": "...", "value": "...", "store": "join"}}                    a stream-stream join
 * {"table": "users", "steps": [{"join": {"table": "addresses", "type": "inner" | "left" | "outer",
 *           "value": "...", "store": "join"}}, ...]}                          a table-table join
 * {"table": "users", "ttl": "7d", "on_expiry": "tombstone", "steps": [...]}  a topic read as a table (store "table")
 * </pre>
 *
 * {@code value} sees {@code key}, {@code left} and {@code right} (null for a side without a match) besides the usual
 * variables; without it the joined value is {@code {'left': left, 'right': right}}. Every join also takes
 * {@code "max_idle"}: how long records wait for a side that makes no progress ({@link JoinSync}; default 5s).
 * {@code "ttl"} forgets a table's rows that long after their last update in the table's stream time (a stream-table
 * join's table here, a table read alone at the definition's top level, where {@code "on_expiry": "tombstone"} also
 * sends the forgotten key's null down its steps); see {@link Joins}.
 */
final class JoinParser {
  /** The store of a table read alone. */
  static final String TABLE_STORE = "table";
  private static final Pattern STORE = Pattern.compile("[a-zA-Z0-9._-]{1,100}");
  private static final Set<String> FIELDS = Set.of("table", "stream", "type", "key", "value", "within", "grace",
      "store", "max_idle", "ttl");
  /** How long held records wait for a side that reports no progress, by default ({@code max_idle}). */
  static final long DEFAULT_MAX_IDLE_MS = 5_000;
  /** The most {@code max_idle} may be: records held longer pile up in memory. */
  static final long MAX_MAX_IDLE_MS = 300_000;

  private final Expressions expressions;

  JoinParser(Expressions expressions) {
    this.expressions = expressions;
  }

  /** The step of a definition whose input is a table, read alone (no join first). */
  static Step.Join tableAlone() {
    return tableAlone(0, false);
  }

  /** A table read alone whose rows are forgotten {@code ttlMs} after their last update (0: kept). */
  static Step.Join tableAlone(long ttlMs, boolean tombstoneOnExpiry) {
    return new Step.Join("table", JoinKind.TABLE, JoinType.INNER, null, null, null, 0, 0, TABLE_STORE, 0, ttlMs,
        tombstoneOnExpiry);
  }

  /** Parses {@code body}, the join at {@code at}; {@code tableInput}: the definition's input is a table. */
  Step.Join parse(String at, Object body, boolean tableInput) {
    if (!(body instanceof JsonObject o)) {
      throw invalid(at + ": an object such as {\"table\": \"customers\", \"type\": \"left\", \"value\":"
          + " \"<expression over left and right>\"}");
    }
    for (String f : o.fieldNames()) {
      if (!FIELDS.contains(f)) {
        throw invalid(at + "." + f + ": unknown field; a join takes " + new TreeSet<>(FIELDS));
      }
    }
    boolean table = o.containsKey("table");
    if (table == o.containsKey("stream")) {
      throw invalid(at + ": name what to join: \"table\" (a topic read as a table) or \"stream\" (a topic)");
    }
    String right = topic(at + (table ? ".table" : ".stream"), o.getValue(table ? "table" : "stream"));
    JoinKind kind = tableInput ? JoinKind.TABLE_TABLE : table ? JoinKind.STREAM_TABLE : JoinKind.STREAM_STREAM;
    if (tableInput && !table) {
      throw invalid(at + ".stream: the definition's input is a table, which joins a table, not a stream");
    }
    JoinType type = type(at + ".type", o.getValue("type"), kind);
    Expression key = optExpr(at + ".key", o.getValue("key"));
    if (key != null && tableInput) {
      throw invalid(at + ".key: tables join on their keys; map the key in the stream that writes the table");
    }
    long within = 0;
    long grace = 0;
    if (kind == JoinKind.STREAM_STREAM) {
      if (!o.containsKey("within")) {
        throw invalid(at + ".within: a stream-stream join needs a window: records whose times differ by at most"
            + " this much join, e.g. \"5m\"");
      }
      within = duration(at + ".within", o.getValue("within"));
      grace = o.containsKey("grace") ? duration(at + ".grace", o.getValue("grace")) : 0;
    } else if (o.containsKey("within") || o.containsKey("grace")) {
      throw invalid(at + ": within and grace belong to a stream-stream join (a table has no window)");
    }
    Object storeValue = o.getValue("store", "join");
    String store = storeValue instanceof String s ? s : "";
    if (!STORE.matcher(store).matches()) {
      throw invalid(at + ".store: '" + storeValue + "' must be 1 to 100 of a-z A-Z 0-9 . _ -");
    }
    long maxIdle = o.containsKey("max_idle") ? duration(at + ".max_idle", o.getValue("max_idle"))
        : DEFAULT_MAX_IDLE_MS;
    if (maxIdle > MAX_MAX_IDLE_MS) {
      throw invalid(at + ".max_idle: at most " + MAX_MAX_IDLE_MS / 1000 + "s (held records wait in memory), not "
          + o.getValue("max_idle"));
    }
    long ttl = AggregateParser.ttl(at + ".ttl", o.getValue("ttl"), null);
    if (ttl > 0 && kind != JoinKind.STREAM_TABLE) {
      throw invalid(at + ".ttl: only a stream-table join's table keeps a ttl (a stream-stream join forgets by its"
          + " window; a table-table join's rows have none yet)");
    }
    return new Step.Join(at, kind, type, right, key, optExpr(at + ".value", o.getValue("value")), within, grace,
        store, maxIdle, ttl, false);
  }

  private static JoinType type(String at, Object v, JoinKind kind) {
    if (v == null) {
      return JoinType.INNER;
    }
    JoinType t = null;
    if (v instanceof String s && Set.of("inner", "left", "outer").contains(s)) {
      t = JoinType.valueOf(s.toUpperCase(Locale.ROOT));
    }
    if (t == null) {
      throw invalid(at + ": must be inner, left or outer, not " + v);
    }
    if (t == JoinType.OUTER && kind == JoinKind.STREAM_TABLE) {
      throw invalid(at + ": a stream-table join is inner or left (a table change alone makes no record)");
    }
    return t;
  }

  /** The topic a definition's {@code table} names (the input read as a table). */
  static String tableTopic(Object v) {
    return topic("table", v);
  }

  private static String topic(String at, Object v) {
    if (!(v instanceof String s) || !TopicNames.isValid(s)) {
      throw invalid(at + ": '" + v + "' is not a valid topic name");
    }
    return s;
  }

  private static long duration(String at, Object v) {
    try {
      long ms = WindowSpec.duration(v);
      if (ms < 0) {
        throw new IllegalArgumentException("must not be negative");
      }
      return ms;
    } catch (IllegalArgumentException e) {
      throw invalid(at + ": " + e.getMessage());
    }
  }

  private Expression optExpr(String at, Object body) {
    if (body == null) {
      return null;
    }
    if (!(body instanceof String s) || s.isBlank()) {
      throw invalid(at + ": an expression (a string) is required");
    }
    return expressions.compile(at, s);
  }

  private static SluiceException invalid(String message) {
    return Expressions.invalid(message);
  }
}
