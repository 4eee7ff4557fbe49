package io.sluice.config;

import java.util.Locale;

/**
 * One known configuration key: its type, default and allowed range. Values arrive as JSON values (from the
 * file) or strings (from flags); {@link #parse} turns either into the typed value or fails naming the key.
 *
 * @param name the key, Kafka's name where the concept is Kafka's
 * @param type the value's type
 * @param defaultValue the value when the key is absent; null means absent (an optional string)
 * @param min the smallest allowed numeric value (inclusive)
 * @param max the largest allowed numeric value (inclusive)
 * @param doc one line for {@code --help}
 */
public record ConfigKey(String name, Type type, Object defaultValue, long min, long max, String doc) {

  /** The types a value can have. */
  public enum Type { INT, LONG, BOOLEAN, STRING }

  static ConfigKey intKey(String name, int dflt, long min, long max, String doc) {
    return new ConfigKey(name, Type.INT, dflt, min, max, doc);
  }

  static ConfigKey longKey(String name, long dflt, long min, String doc) {
    return new ConfigKey(name, Type.LONG, dflt, min, Long.MAX_VALUE, doc);
  }

  static ConfigKey boolKey(String name, boolean dflt, String doc) {
    return new ConfigKey(name, Type.BOOLEAN, dflt, 0, 0, doc);
  }

  static ConfigKey stringKey(String name, String dflt, String doc) {
    return new ConfigKey(name, Type.STRING, dflt, 0, 0, doc);
  }

  /** Parses and range-checks {@code raw} (a JSON value or a string); null gives the default. */
  public Object parse(Object raw) {
    if (raw == null) {
      return defaultValue;
    }
    return switch (type) {
      case INT -> (int) checkRange(toLong(raw));
      case LONG -> checkRange(toLong(raw));
      case BOOLEAN -> toBoolean(raw);
      case STRING -> raw.toString().trim();
    };
  }

  private long toLong(Object raw) {
    if (raw instanceof Number n) {
      if (n.doubleValue() != Math.rint(n.doubleValue())) {
        throw invalid(raw, "must be a whole number");
      }
      return n.longValue();
    }
    String s = raw.toString().trim().replace("_", "");
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw invalid(raw, "must be a whole number");
    }
  }

  private long checkRange(long v) {
    if (v < min || v > max) {
      // Without an upper bound of its own a key is bounded by its type: an int key past 2^31-1 is out of range too.
      long typeMax = type == Type.INT ? Integer.MAX_VALUE : Long.MAX_VALUE;
      String range = v < min && max >= typeMax ? "at least " + min : "between " + min + " and " + max;
      throw invalid(v, "must be " + range);
    }
    return v;
  }

  private boolean toBoolean(Object raw) {
    if (raw instanceof Boolean b) {
      return b;
    }
    return switch (raw.toString().trim().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw invalid(raw, "must be true or false");
    };
  }

  private ConfigException invalid(Object raw, String what) {
    return new ConfigException(name, "Invalid value '" + raw + "' for configuration " + name + ": " + what);
  }
}
