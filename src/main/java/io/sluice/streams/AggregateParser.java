package io.sluice.streams;

import io.sluice.broker.TopicNames;
import io.sluice.errors.SluiceException;
import io.sluice.streams.Expressions.Expression;
import io.sluice.streams.state.WindowSpec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses {@code group_by}, its optional {@code window} and its aggregation into one {@link Step.Aggregate}:
 *
 * <pre>
 * {"group_by": "key" | "&lt;expression&gt;"},
 * {"window": {"tumbling": "60s" | "hopping": {"size": "60s", "advance": "10s"} | "sliding": "60s"
 *             | "session": "5m", "grace": "10s", "retention": "1h", "time": "&lt;expression&gt;",
 *             "late": "drop" | "dead_letter"}},
 * {"count": {}} | {"sum" | "min" | "max" | "avg": "&lt;expression&gt;" | {"value": "..."}}
 *   | {"reduce": "&lt;expression over aggregate and value&gt;" | {"fold": "..."}}
 *   | {"aggregate": {"initial": "...", "fold": "...", "merge": "..."}}
 * </pre>
 *
 * Each aggregation also takes {@code "store"} (its name; default: the aggregation's kind), {@code "emit"}
 * ({@code "update"}, the default, or {@code "final"}, which needs a window) and, without a window, {@code "ttl"}
 * (a duration: a key not updated for that long in stream time is forgotten) with {@code "on_expiry"}
 * ({@code "tombstone"}, the default, or {@code "silent"}).
 */
final class AggregateParser {
  static final Set<String> KINDS = Set.of("count", "sum", "min", "max", "avg", "reduce", "aggregate");
  private static final Pattern STORE = Pattern.compile("[a-zA-Z0-9._-]{1,100}");

  private final Expressions expressions;
  private final int maxOutputsPerRecord;

  /**
   * {@code maxOutputsPerRecord}: streams.max.outputs.per.record, which also bounds the hopping windows one record
   * falls in (each is a store update, and under emit update an output).
   */
  AggregateParser(Expressions expressions, int maxOutputsPerRecord) {
    this.expressions = expressions;
    this.maxOutputsPerRecord = maxOutputsPerRecord;
  }

  /**
   * The step of {@code group_by} at {@code steps[i]}; {@code keyChanged}: an earlier step set a new key. Answers how
   * many steps it took (2 or 3) through {@link Parsed}.
   */
  record Parsed(Step.Aggregate step, int consumed) {
  }

  Parsed parse(String where, JsonArray steps, int i, boolean keyChanged) {
    String at = where + "[" + i + "].group_by";
    Object by = ((JsonObject) steps.getValue(i)).getValue("group_by");
    if (!(by instanceof String s) || s.isBlank()) {
      throw invalid(at + ": \"key\" (the record's key) or an expression giving the new key");
    }
    Expression key = s.trim().equals("key") ? null : expressions.compile(at, s);
    int next = i + 1;
    JsonObject window = null;
    String windowAt = null;
    if (next < steps.size() && steps.getValue(next) instanceof JsonObject o && o.containsKey("window")) {
      windowAt = where + "[" + next + "].window";
      if (o.size() != 1 || !(o.getValue("window") instanceof JsonObject w)) {
        throw invalid(windowAt + ": an object such as {\"tumbling\": \"60s\", \"grace\": \"10s\"}");
      }
      window = w;
      next++;
    }
    if (next >= steps.size() || !(steps.getValue(next) instanceof JsonObject agg) || agg.size() != 1
        || !KINDS.contains(agg.fieldNames().iterator().next())) {
      throw invalid(at + ": group_by (and its window) must be followed by an aggregation: one of "
          + new java.util.TreeSet<>(KINDS));
    }
    String kind = agg.fieldNames().iterator().next();
    String aggAt = where + "[" + next + "]." + kind;
    WindowSpec spec = window == null ? null : window(windowAt, window);
    Expression time = window == null ? null : optExpr(windowAt + ".time", window.getValue("time"));
    boolean lateToDlq = window != null && "dead_letter".equals(choice(windowAt + ".late", window.getValue("late"),
        "drop", "dead_letter"));
    JsonObject body = body(aggAt, kind, agg.getValue(kind));
    Step.Agg a = agg(aggAt, kind, body, spec);
    String store = body.getValue("store") == null ? kind : body.getValue("store") instanceof String n ? n : "";
    if (!STORE.matcher(store).matches()) {
      throw invalid(aggAt + ".store: '" + body.getValue("store") + "' must be 1 to 100 of a-z A-Z 0-9 . _ -");
    }
    boolean emitFinal = "final".equals(choice(aggAt + ".emit", body.getValue("emit"), "update", "final"));
    if (emitFinal && spec == null) {
      throw invalid(aggAt + ".emit: \"final\" needs a window (a result is final when its window closes)");
    }
    boolean repartition = key != null || keyChanged;
    long ttl = ttl(aggAt + ".ttl", body.getValue("ttl"), spec);
    boolean tombstones = onExpiry(aggAt + ".on_expiry", body.getValue("on_expiry"), ttl);
    return new Parsed(new Step.Aggregate(at, key, repartition, spec, time, a, store, emitFinal, lateToDlq, ttl,
        tombstones), next - i + 1);
  }

  private JsonObject body(String at, String kind, Object body) {
    if (body instanceof JsonObject o) {
      Set<String> allowed = switch (kind) {
        case "count" -> Set.of("store", "emit", "ttl", "on_expiry");
        case "reduce" -> Set.of("store", "emit", "ttl", "on_expiry", "fold");
        case "aggregate" -> Set.of("store", "emit", "ttl", "on_expiry", "initial", "fold", "merge");
        default -> Set.of("store", "emit", "ttl", "on_expiry", "value");
      };
      for (String f : o.fieldNames()) {
        if (!allowed.contains(f)) {
          throw invalid(at + "." + f + ": unknown field; " + kind + " takes " + new java.util.TreeSet<>(allowed));
        }
      }
      return o;
    }
    if (body instanceof String s && !kind.equals("count") && !kind.equals("aggregate")) {
      return new JsonObject().put(kind.equals("reduce") ? "fold" : "value", s);
    }
    throw invalid(at + ": " + switch (kind) {
      case "count" -> "an object ({} or with store and emit)";
      case "aggregate" -> "an object with initial and fold (expressions; merge too for session windows)";
      case "reduce" -> "an expression over aggregate and value, or an object with fold";
      default -> "an expression giving the number to aggregate, or an object with value";
    });
  }

  private Step.Agg agg(String at, String kind, JsonObject body, WindowSpec spec) {
    switch (kind) {
      case "count":
        return new Step.Agg(kind, null, null, null, null);
      case "reduce":
        return new Step.Agg(kind, null, null, expr(at + ".fold", body.getValue("fold")), null);
      case "aggregate": {
        Expression merge = optExpr(at + ".merge", body.getValue("merge"));
        if (merge == null && spec != null && spec.kind() == WindowSpec.Kind.SESSION) {
          throw invalid(at + ".merge: session windows merge, so aggregate needs a merge expression (over aggregate"
              + " and other)");
        }
        return new Step.Agg(kind, null, expr(at + ".initial", body.getValue("initial")),
            expr(at + ".fold", body.getValue("fold")), merge);
      }
      default:
        return new Step.Agg(kind, expr(at + ".value", body.getValue("value")), null, null, null);
    }
  }

  private WindowSpec window(String at, JsonObject w) {
    Set<String> kinds = Set.of("tumbling", "hopping", "sliding", "session");
    Set<String> allowed = Set.of("tumbling", "hopping", "sliding", "session", "grace", "retention", "time", "late");
    String kind = null;
    for (String f : w.fieldNames()) {
      if (!allowed.contains(f)) {
        throw invalid(at + "." + f + ": unknown field; a window takes one of " + new java.util.TreeSet<>(kinds)
            + " and grace, retention, time, late");
      }
      if (kinds.contains(f)) {
        if (kind != null) {
          throw invalid(at + ": one window kind only, not both " + kind + " and " + f);
        }
        kind = f;
      }
    }
    if (kind == null) {
      throw invalid(at + ": a window kind is required: one of " + new java.util.TreeSet<>(kinds));
    }
    long grace = w.containsKey("grace") ? duration(at + ".grace", w.getValue("grace")) : 0;
    long retention = w.containsKey("retention") ? duration(at + ".retention", w.getValue("retention")) : 0;
    long size;
    long advance = 0;
    if (kind.equals("hopping")) {
      if (!(w.getValue("hopping") instanceof JsonObject h) || !h.containsKey("size") || !h.containsKey("advance")) {
        throw invalid(at + ".hopping: {\"size\": \"60s\", \"advance\": \"10s\"}");
      }
      size = duration(at + ".hopping.size", h.getValue("size"));
      advance = duration(at + ".hopping.advance", h.getValue("advance"));
      if (advance <= 0 || advance > size) {
        throw invalid(at + ".hopping.advance: must be above 0 and at most the size");
      }
    } else {
      size = duration(at + "." + kind, w.getValue(kind));
    }
    if (size <= 0) {
      throw invalid(at + "." + kind + ": the size must be above 0");
    }
    WindowSpec spec = new WindowSpec(WindowSpec.Kind.valueOf(kind.toUpperCase(java.util.Locale.ROOT)), size, advance,
        grace, retention);
    if (spec.windowsPerRecord() > maxOutputsPerRecord) {
      throw invalid(at + ".hopping: a record falls in size / advance = " + spec.windowsPerRecord() + " windows; at"
          + " most " + maxOutputsPerRecord + " (streams.max.outputs.per.record)");
    }
    return spec;
  }

  /**
   * {@code ttl}: how long a key stays after its last update, in stream time (0: forever). Windowed stores forget by
   * their windows' grace and retention instead.
   */
  static long ttl(String at, Object v, WindowSpec window) {
    if (v == null) {
      return 0;
    }
    if (window != null) {
      throw invalid(at + ": a windowed store forgets its windows by grace and retention; ttl is for aggregations"
          + " without a window");
    }
    long ttl = duration(at, v);
    if (ttl <= 0) {
      throw invalid(at + ": must be above 0, such as \"1h\"");
    }
    return ttl;
  }

  /**
   * {@code on_expiry}: whether a key's expiry emits a tombstone (its key, a null value) to the steps after the
   * aggregation ({@code "tombstone"}, the default: a topic read as a table then forgets the key too, as a KTable's
   * delete would propagate) or nothing ({@code "silent"}: the output keeps the last result).
   */
  static boolean onExpiry(String at, Object v, long ttl) {
    if (v != null && ttl == 0) {
      throw invalid(at + ": only with a ttl (nothing expires without one)");
    }
    // silent by default: definitions stored with a ttl before on_expiry existed expired silently, and a stored
    // definition must not start emitting tombstones after an upgrade
    return "tombstone".equals(choice(at, v, "silent", "tombstone"));
  }

  private static long duration(String at, Object v) {
    try {
      return WindowSpec.duration(v);
    } catch (IllegalArgumentException e) {
      throw invalid(at + ": " + e.getMessage());
    }
  }

  private static String choice(String at, Object v, String dflt, String other) {
    if (v == null) {
      return dflt;
    }
    if (!dflt.equals(v) && !other.equals(v)) {
      throw invalid(at + ": must be " + dflt + " or " + other + ", not " + v);
    }
    return (String) v;
  }

  private Expression expr(String at, Object body) {
    if (!(body instanceof String s) || s.isBlank()) {
      throw invalid(at + ": an expression (a string) is required");
    }
    return expressions.compile(at, s);
  }

  private Expression optExpr(String at, Object body) {
    return body == null ? null : expr(at, body);
  }

  /** Checks that the internal topics a stream needs have valid names. */
  static void checkTopic(String at, String topic) {
    if (!TopicNames.isValid(topic)) {
      throw invalid(at + ": the internal topic '" + topic + "' would not be a valid topic name; shorten the"
          + " stream or store name");
    }
  }

  private static SluiceException invalid(String message) {
    return Expressions.invalid(message);
  }
}
