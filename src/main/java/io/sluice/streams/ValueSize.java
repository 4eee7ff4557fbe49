package io.sluice.streams;

import dev.cel.common.values.CelByteString;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * A lower bound of the bytes a CEL value takes once written as JSON, counted only until it passes a limit: values
 * share their parts ({@code [aggregate, aggregate]} doubles what is written, not what is held), so a fold could
 * otherwise grow a value past the heap in a few dozen records while each step copies nothing. Counting stops at the
 * limit, so it costs at most {@code limit} steps whatever the value's shape. Strings count their characters (UTF-8
 * takes at least as many bytes), bytes their base64 length, numbers their decimal digits.
 */
final class ValueSize {
  private ValueSize() {
  }

  /** Whether {@code value} written as JSON takes more than {@code limit} bytes. */
  static boolean exceeds(Object value, long limit) {
    long counted = 0;
    Deque<Object> pending = new ArrayDeque<>();
    pending.push(value);
    while (!pending.isEmpty()) {
      counted += shallow(pending.pop(), pending);
      if (counted > limit) {
        return true;
      }
    }
    return false;
  }

  /** The bytes {@code v} itself takes; its elements go to {@code pending}. */
  private static long shallow(Object v, Deque<Object> pending) {
    if (v instanceof String s) {
      return s.length() + 2L;
    }
    if (v instanceof CelByteString b) {
      return (b.size() + 2L) / 3 * 4 + 2;
    }
    if (v instanceof List<?> l) {
      l.forEach(pending::push);
      return 1L + Math.max(1, l.size());
    }
    if (v instanceof Map<?, ?> m) {
      m.forEach((k, e) -> {
        pending.push(k);
        pending.push(e);
      });
      return 1L + Math.max(1, 2L * m.size());
    }
    if (v instanceof Long n) {
      return Long.toString(n).length();
    }
    return 1;
  }
}
