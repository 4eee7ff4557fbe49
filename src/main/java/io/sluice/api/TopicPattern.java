package io.sluice.api;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;

/**
 * Compiles a client's regular expression over topic names (a consumer's {@code topic_pattern}, a sink connector's
 * {@code topics.regex}). A client's pattern runs on the broker's threads against every topic name, so it is compiled
 * with RE2/J, whose matching takes time linear in the name, as Kafka's broker-side patterns do (KIP-848): a
 * backtracking engine let one subscription such as {@code (.*a){14}} hold an event loop for good. RE2 syntax has no
 * backreferences or lookaround.
 *
 * <p>RE2/J compiles counted repetitions by copying them, so {@code (a{1000}){1000}} is a program of a million
 * instructions (seconds to compile, and every match walks it). Before compiling, the pattern's size with its
 * counted repetitions expanded is bounded by {@link #MAX_SIZE}, a fixed limit of the syntax in the spirit of RE2's own
 * repeat limit of 1,000: a topic name is at most 249 characters, so no useful pattern comes near it.
 */
public final class TopicPattern {
  /** Most atoms a pattern may hold with its counted repetitions expanded ({@code a{3}} is 3, {@code (ab){2}c} 5). */
  public static final int MAX_SIZE = 1_000;

  private TopicPattern() {
  }

  /** The compiled pattern; {@link IllegalArgumentException} naming what is wrong with it otherwise. */
  public static Pattern compile(String text) {
    long size = expandedSize(text);
    if (size > MAX_SIZE) {
      throw new IllegalArgumentException("is too large: " + (size == Long.MAX_VALUE ? "over " + MAX_SIZE : size)
          + " atoms with its counted repetitions expanded, at most " + MAX_SIZE);
    }
    try {
      return Pattern.compile(text);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("is not a valid regular expression (RE2 syntax): " + e.getMessage());
    }
  }

  /**
   * An upper bound of the atoms in {@code text} with its counted repetitions expanded: every character outside a
   * class counts 1, a class, an escape and a group's parentheses 1 each, a {@code {n}}, {@code {n,}} or {@code {n,m}} multiplies what it repeats by its larger bound,
   * alternatives add up. Malformed text is left to the compiler; {@link Long#MAX_VALUE} once past any limit.
   */
  static long expandedSize(String text) {
    return new SizeScan(text).run();
  }

  /** One pass over the text, a frame per open group holding the size of what the group holds so far. */
  private static final class SizeScan {
    private final String s;
    private final long[] frames;
    private int depth;
    private int i;
    private long last;

    SizeScan(String s) {
      this.s = s;
      this.frames = new long[s.length() + 1];
    }

    long run() {
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c == '(') {
          frames[++depth] = 0;
          i = skipGroupFlags(i + 1);
          continue;
        }
        if (c == ')' && depth > 0) {
          long inner = frames[depth--];
          i++;
          add(saturated(inner + 1));
        } else if (c == '{' && repetition()) {
          continue;
        } else if (c == '[') {
          i = classEnd(i);
          add(1);
        } else if (s.startsWith("\\Q", i)) {
          int end = s.indexOf("\\E", i + 2);
          int stop = end < 0 ? s.length() : end;
          add(Math.max(stop - i - 2, 1));
          last = 1;
          i = end < 0 ? stop : end + 2;
        } else if (c == '\\') {
          i = escapeEnd(i);
          add(1);
        } else if ("*+?".indexOf(c) >= 0) {
          i++;
          frames[depth] = saturated(frames[depth] + 1);
        } else {
          i++;
          add(1);
        }
        if (frames[depth] == Long.MAX_VALUE) {
          return Long.MAX_VALUE;
        }
      }
      long total = frames[0];
      for (int d = 1; d <= depth; d++) {
        total = saturated(total + frames[d]);
      }
      return total;
    }

    private void add(long atom) {
      last = atom;
      frames[depth] = saturated(frames[depth] + atom);
    }

    /** At a '{': if a counted repetition follows, applies it to the last atom and moves past it. */
    private boolean repetition() {
      int j = i + 1;
      long lo = 0;
      long hi = -1;
      int digits = 0;
      while (j < s.length() && Character.isDigit(s.charAt(j)) && digits < 10) {
        lo = lo * 10 + (s.charAt(j++) - '0');
        digits++;
      }
      if (digits == 0 || j >= s.length()) {
        return false;
      }
      if (s.charAt(j) == ',') {
        j++;
        int hiDigits = 0;
        long h = 0;
        while (j < s.length() && Character.isDigit(s.charAt(j)) && hiDigits < 10) {
          h = h * 10 + (s.charAt(j++) - '0');
          hiDigits++;
        }
        hi = hiDigits == 0 ? -1 : h;
      }
      if (j >= s.length() || s.charAt(j) != '}') {
        return false;
      }
      long times = Math.max(lo, hi);
      long grown = saturated(last * Math.max(times, 1));
      frames[depth] = saturated(frames[depth] - last + grown);
      last = grown;
      i = j + 1;
      return true;
    }

    /** Past a group's "?:", "?i:", "?P<name>" or "?<name>" (a flags-only "(?i)" closes as an empty group). */
    private int skipGroupFlags(int j) {
      if (j < s.length() && s.charAt(j) == '?') {
        int k = j + 1;
        if (k < s.length() && (s.charAt(k) == 'P' || s.charAt(k) == '<')) {
          int close = s.indexOf('>', k);
          return close < 0 ? s.length() : close + 1;
        }
        while (k < s.length() && s.charAt(k) != ':' && s.charAt(k) != ')') {
          k++;
        }
        return k < s.length() && s.charAt(k) == ':' ? k + 1 : k;
      }
      return j;
    }

    /** Past a character class; "[]" and "[^]" take a leading ']' literally, "[:alpha:]" nests. */
    private int classEnd(int start) {
      int j = start + 1;
      if (j < s.length() && s.charAt(j) == '^') {
        j++;
      }
      if (j < s.length() && s.charAt(j) == ']') {
        j++;
      }
      while (j < s.length() && s.charAt(j) != ']') {
        if (s.charAt(j) == '\\') {
          j = escapeEnd(j);
        } else if (s.startsWith("[:", j)) {
          int close = s.indexOf(":]", j + 2);
          j = close < 0 ? s.length() : close + 2;
        } else {
          j++;
        }
      }
      return Math.min(j + 1, s.length());
    }

    /** Past an escape: "\x{41}" and "\p{Greek}" are one atom each. */
    private int escapeEnd(int start) {
      int j = start + 1;
      if (j >= s.length()) {
        return j;
      }
      char e = s.charAt(j);
      if ((e == 'x' || e == 'p' || e == 'P') && j + 1 < s.length() && s.charAt(j + 1) == '{') {
        int close = s.indexOf('}', j + 2);
        return close < 0 ? s.length() : close + 1;
      }
      return j + 1;
    }

    private static long saturated(long v) {
      return v < 0 || v > Integer.MAX_VALUE ? Long.MAX_VALUE : v;
    }
  }
}
