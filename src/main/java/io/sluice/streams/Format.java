package io.sluice.streams;

import dev.cel.common.values.CelByteString;
import dev.cel.common.values.NullValue;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a stream reads keys and values ({@code key_format}, {@code value_format}) and writes them back: the same format
 * on both sides. A null key or value (absent in the record) is CEL's {@code null} and is written as absent.
 *
 * <ul>
 *   <li>{@code json}: objects become maps, arrays lists, integers CEL ints (a value beyond 64 bits a double), other
 *       numbers doubles. Written back as JSON; bytes are written as base64 strings.
 *   <li>{@code string}: UTF-8 text; written back from a string, or any other value as its JSON text.
 *   <li>{@code bytes}: CEL bytes; written back from bytes or a string (UTF-8).
 * </ul>
 */
public enum Format {
  JSON, STRING, BYTES;

  static Format parse(String where, Object spec) {
    if (spec == null) {
      return null;
    }
    if (spec instanceof String s) {
      for (Format f : values()) {
        if (f.name().equalsIgnoreCase(s)) {
          return f;
        }
      }
    }
    throw Expressions.invalid(where + ": must be one of json, string, bytes, not " + spec);
  }

  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The CEL value of {@code bytes} (null: CEL null). */
  public Object decode(String where, byte[] bytes) throws ProcessingException {
    if (bytes == null) {
      return NullValue.NULL_VALUE;
    }
    switch (this) {
      case STRING:
        return new String(bytes, StandardCharsets.UTF_8);
      case BYTES:
        return CelByteString.of(bytes); // CEL's own bytes type: what its literals and operators make too
      default:
        try {
          return toCel(Json.decodeValue(Buffer.buffer(bytes)));
        } catch (DecodeException e) {
          throw new ProcessingException(where, "not JSON: " + e.getMessage());
        }
    }
  }

  /** The bytes to write for CEL value {@code value} (null for CEL null). */
  public byte[] encode(String where, Object value) throws ProcessingException {
    if (value == null || value instanceof NullValue) {
      return null;
    }
    switch (this) {
      case STRING:
        return (value instanceof String s ? s : Json.encode(strictJson(where, value))).getBytes(StandardCharsets.UTF_8);
      case BYTES:
        if (value instanceof CelByteString b) {
          return b.toByteArray();
        }
        if (value instanceof String s) {
          return s.getBytes(StandardCharsets.UTF_8);
        }
        throw new ProcessingException(where, "bytes format needs bytes or a string, not " + typeName(value));
      default:
        return Json.encode(strictJson(where, value)).getBytes(StandardCharsets.UTF_8);
    }
  }

  /**
   * {@link #fromCel} for an output record: a NaN or infinite double anywhere in it is a record error (dead-letter
   * topic, or {@code on_error: fail}). JSON has no such numbers; writing them as the strings "NaN" and "Infinity"
   * turned a number field into a string the consumer met only later, in some records, and an int division by zero
   * is a record error already while a double one made Infinity.
   */
  private static Object strictJson(String where, Object value) throws ProcessingException {
    try {
      return toJson(value, true);
    } catch (NonFiniteDouble e) {
      throw new ProcessingException(where, e.getMessage() + " is not a JSON number (a double divided by zero, or"
          + " beyond the double range): guard the expression that makes it, or write it as string(...)");
    }
  }

  private static final class NonFiniteDouble extends RuntimeException {
    NonFiniteDouble(Double d) {
      super(d.toString(), null, false, false);
    }
  }

  /** A decoded JSON value as CEL sees it. */
  static Object toCel(Object json) {
    if (json == null) {
      return NullValue.NULL_VALUE;
    }
    if (json instanceof JsonObject o) {
      Map<String, Object> m = new LinkedHashMap<>();
      o.forEach(e -> m.put(e.getKey(), toCel(e.getValue())));
      return m;
    }
    if (json instanceof JsonArray a) {
      List<Object> l = new ArrayList<>(a.size());
      a.forEach(v -> l.add(toCel(v)));
      return l;
    }
    if (json instanceof Map<?, ?> map) {
      return toCel(new JsonObject(castMap(map)));
    }
    if (json instanceof List<?> list) {
      return toCel(new JsonArray(new ArrayList<>(list)));
    }
    if (json instanceof Integer || json instanceof Long || json instanceof Short || json instanceof Byte) {
      return ((Number) json).longValue();
    }
    if (json instanceof BigInteger b) {
      return b.bitLength() < 64 ? (Object) b.longValue() : (Object) b.doubleValue();
    }
    if (json instanceof BigDecimal d) {
      return d.doubleValue();
    }
    if (json instanceof Number n) {
      return n.doubleValue();
    }
    return json;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> map) {
    return (Map<String, Object>) map;
  }

  /**
   * A CEL value as JSON (maps, lists, numbers, strings, booleans, null), for state, store answers and headers: a NaN
   * or infinite double becomes the string "NaN", "Infinity" or "-Infinity" (JSON has no such numbers). Output
   * records are held to more: {@link #strictJson}.
   */
  static Object fromCel(Object value) {
    return toJson(value, false);
  }

  private static Object toJson(Object value, boolean strict) {
    if (value == null || value instanceof NullValue) {
      return null;
    }
    if (value instanceof Map<?, ?> m) {
      JsonObject o = new JsonObject();
      m.forEach((k, v) -> o.put(String.valueOf(toJson(k, strict)), toJson(v, strict)));
      return o;
    }
    if (value instanceof List<?> l) {
      JsonArray a = new JsonArray();
      l.forEach(v -> a.add(toJson(v, strict)));
      return a;
    }
    if (value instanceof CelByteString b) {
      return Base64.getEncoder().encodeToString(b.toByteArray());
    }
    if (value instanceof com.google.common.primitives.UnsignedLong u) {
      return u.bigIntegerValue();
    }
    if (value instanceof Double d && (d.isNaN() || d.isInfinite())) {
      if (strict) {
        throw new NonFiniteDouble(d);
      }
      return d.toString();
    }
    if (value instanceof String || value instanceof Number || value instanceof Boolean) {
      return value;
    }
    return value.toString();
  }

  static String typeName(Object value) {
    if (value == null || value instanceof NullValue) {
      return "null";
    }
    if (value instanceof Map) {
      return "map";
    }
    if (value instanceof List) {
      return "list";
    }
    if (value instanceof Long) {
      return "int";
    }
    if (value instanceof Double) {
      return "double";
    }
    if (value instanceof Boolean) {
      return "bool";
    }
    if (value instanceof CelByteString) {
      return "bytes";
    }
    return value instanceof String ? "string" : value.getClass().getSimpleName();
  }
}
