package io.sluice.streams.state;

import java.util.ArrayList;
import java.util.List;

/**
 * How records are grouped in time (docs/streams.md, "Windows"). Times are record times in epoch milliseconds.
 *
 * <ul>
 *   <li>{@code TUMBLING}: windows {@code [s, s + size)} with {@code s} a multiple of {@code size}.
 *   <li>{@code HOPPING}: windows {@code [s, s + size)} with {@code s} a multiple of {@code advance} (s >= 0); a record
 *       belongs to every window containing it.
 *   <li>{@code SLIDING}: one window {@code [max(0, t - size), t]} (both ends included) per distinct record time
 *       {@code t} of a key, holding every record of that key whose time lies in it.
 *   <li>{@code SESSION}: records of a key less than {@code size} (the inactivity gap) apart form one session {@code [first,
 *       last]}; a record within the gap of several sessions merges them.
 * </ul>
 *
 * A window <i>closes</i> once stream time (the highest record time the task has seen) minus {@code grace} reaches its
 * {@link #closesAt close time}; a closed window takes no more records, and a record whose windows are all closed is
 * late. A window is kept until {@code retention} after it closed (for queries).
 */
public record WindowSpec(Kind kind, long size, long advance, long grace, long retention) {
  /**
   * The latest record time and the longest duration a stream takes (about 73 million years): a window's bounds and
   * its close and expiry times are sums of at most three of them, which then never overflow a long. A record time
   * Kafka allows beyond it (up to 2^63 - 1) is a bad record of the stream, not a wrapped-around time.
   */
  public static final long MAX_TIME = Long.MAX_VALUE / 4;

  public enum Kind { TUMBLING, HOPPING, SLIDING, SESSION }

  /** How many tumbling or hopping windows hold one record: {@code size / advance} rounded up. */
  public long windowsPerRecord() {
    return kind == Kind.HOPPING ? (size + advance - 1) / advance : 1;
  }

  /** A window's bounds: {@code [start, end)} for tumbling and hopping, {@code [start, end]} otherwise. */
  public record Bounds(long start, long end) {
  }

  /** The tumbling or hopping windows holding a record at {@code t}, earliest first. */
  public List<Bounds> windowsOf(long t) {
    long step = kind == Kind.TUMBLING ? size : advance;
    long last = Math.floorDiv(t, step) * step;
    long first = Math.floorDiv(t - size, step) * step + step; // the smallest multiple of step above t - size
    List<Bounds> out = new ArrayList<>();
    // bounded by MAX_TIME, s + step cannot overflow, and the count is windowsPerRecord()
    for (long s = Math.max(0, first); s <= last; s += step) {
      out.add(new Bounds(s, s + size));
    }
    return out;
  }

  /**
   * Where the sliding window ending at {@code end} starts: {@code end - size}, but never below 0, as Kafka's
   * SlidingWindows (a record time is never negative, so a window reaching below 0 holds the same records).
   */
  public long slidingStart(long end) {
    return Math.max(0, end - size);
  }

  /** The stream time minus grace at or past which the window {@code w} is closed. */
  public long closesAt(Bounds w) {
    switch (kind) {
      case SLIDING:
        return w.end() + 1;
      case SESSION:
        return w.end() + size + 1;
      default:
        return w.end();
    }
  }

  /** Whether {@code w} is closed at stream time {@code streamTime}. */
  public boolean closed(Bounds w, long streamTime) {
    return closesAt(w) <= streamTime - grace;
  }

  /** When a window closing at {@code closesAt} is deleted from the store (in stream time minus grace). */
  public long expiresAt(long closesAt) {
    return closesAt + retention;
  }

  /**
   * Parses a duration: an integer of milliseconds, or a number with ms, s, m, h or d ("60s", "1m"); at most
   * {@link #MAX_TIME} milliseconds.
   */
  public static long duration(Object v) {
    long ms = parseDuration(v);
    if (ms > MAX_TIME) {
      throw new IllegalArgumentException("'" + v + "' is longer than the longest duration, " + MAX_TIME + " ms");
    }
    return ms;
  }

  private static long parseDuration(Object v) {
    if (v instanceof Number n && n.longValue() >= 0 && n.doubleValue() == n.longValue()) {
      return n.longValue();
    }
    if (v instanceof String s) {
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,12})(ms|s|m|h|d)").matcher(s.trim());
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        long unit = switch (m.group(2)) {
          case "ms" -> 1;
          case "s" -> 1_000;
          case "m" -> 60_000;
          case "h" -> 3_600_000;
          default -> 86_400_000;
        };
        return n > MAX_TIME / unit ? Long.MAX_VALUE : n * unit;
      }
    }
    throw new IllegalArgumentException("'" + v + "' is not a duration (milliseconds as an integer, or a number"
        + " with ms, s, m, h or d, as \"60s\")");
  }
}
