package io.sluice.streams;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The aggregations' arithmetic on CEL values: {@code count}, {@code sum}, {@code min}, {@code max}, {@code avg}
 * (state {"sum", "count"}), {@code reduce} (the first value, then the fold of each next one into it) and
 * {@code aggregate} (an initial value, then the fold). Integers stay integers (an overflow is an error), a double
 * anywhere makes a double. Sessions that merge combine their states with {@link #merge}. Stateless.
 */
final class Folds {
  private Folds() {
  }

  /** The state after folding the record ({@code vars}: its variables) into {@code state} (null: none yet). */
  static Object add(Step.Agg agg, String where, Object state, Map<String, Object> vars) throws ProcessingException {
    switch (agg.kind()) {
      case "count":
        return state == null ? 1L : plus(where, state, 1L);
      case "sum": {
        Object v = number(where, agg.value().eval(vars));
        return state == null ? v : plus(where, state, v);
      }
      case "min":
      case "max": {
        Object v = agg.value().eval(vars);
        comparable(where, v);
        return state == null ? v : pick(agg.kind(), where, state, v);
      }
      case "avg": {
        Object v = number(where, agg.value().eval(vars));
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("sum", state == null ? v : plus(where, ((Map<?, ?>) state).get("sum"), v));
        s.put("count", state == null ? 1L : (Long) ((Map<?, ?>) state).get("count") + 1);
        return s;
      }
      case "reduce": {
        Object v = vars.get("value");
        return state == null ? v : agg.fold().eval(with(vars, "aggregate", state));
      }
      default: {
        Object s = state == null ? agg.initial().eval(vars) : state;
        return agg.fold().eval(with(vars, "aggregate", s));
      }
    }
  }

  /** Two sessions' states as one ({@code left} is the earlier). */
  static Object merge(Step.Agg agg, String where, Object left, Object right, Map<String, Object> vars)
      throws ProcessingException {
    switch (agg.kind()) {
      case "count":
      case "sum":
        return plus(where, left, right);
      case "min":
      case "max":
        return pick(agg.kind(), where, left, right);
      case "avg": {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("sum", plus(where, ((Map<?, ?>) left).get("sum"), ((Map<?, ?>) right).get("sum")));
        s.put("count", (Long) ((Map<?, ?>) left).get("count") + (Long) ((Map<?, ?>) right).get("count"));
        return s;
      }
      case "reduce":
        return agg.fold().eval(with(with(vars, "aggregate", left), "value", right));
      default:
        return agg.merge().eval(with(with(vars, "aggregate", left), "other", right));
    }
  }

  /** What the steps after the aggregation see as the value. */
  static Object result(Step.Agg agg, Object state) {
    if (agg.kind().equals("avg")) {
      Map<?, ?> s = (Map<?, ?>) state;
      return ((Number) s.get("sum")).doubleValue() / (Long) s.get("count");
    }
    return state;
  }

  private static Map<String, Object> with(Map<String, Object> vars, String name, Object value) {
    Map<String, Object> m = new HashMap<>(vars);
    m.put(name, value);
    return m;
  }

  private static Object number(String where, Object v) throws ProcessingException {
    if (v instanceof Long || v instanceof Double) {
      return v;
    }
    throw new ProcessingException(where, "the aggregated value must be a number, not " + Format.typeName(v));
  }

  private static void comparable(String where, Object v) throws ProcessingException {
    if (!(v instanceof Long || v instanceof Double || v instanceof String)) {
      throw new ProcessingException(where, "min and max need numbers or strings, not " + Format.typeName(v));
    }
  }

  static Object plus(String where, Object a, Object b) throws ProcessingException {
    if (a instanceof Long x && b instanceof Long y) {
      try {
        return Math.addExact(x, y);
      } catch (ArithmeticException e) {
        throw new ProcessingException(where, "integer overflow adding " + x + " and " + y);
      }
    }
    if (a instanceof Number x && b instanceof Number y) {
      return x.doubleValue() + y.doubleValue();
    }
    throw new ProcessingException(where, "cannot add " + Format.typeName(a) + " and " + Format.typeName(b));
  }

  private static Object pick(String kind, String where, Object a, Object b) throws ProcessingException {
    int c;
    if (a instanceof Number x && b instanceof Number y) {
      c = Double.compare(x.doubleValue(), y.doubleValue());
    } else if (a instanceof String x && b instanceof String y) {
      c = x.compareTo(y);
    } else {
      throw new ProcessingException(where, "cannot compare " + Format.typeName(a) + " with " + Format.typeName(b));
    }
    return kind.equals("min") ? (c <= 0 ? a : b) : (c >= 0 ? a : b);
  }
}
