package io.sluice.http;

import com.fasterxml.jackson.core.JsonParser;
import io.sluice.errors.ErrorCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import java.util.Map;

/**
 * The one parser for JSON that clients send (request bodies and WebSocket frames). Stricter than
 * {@code Json.decodeValue} in two ways that would otherwise change data silently:
 *
 * <ul>
 *   <li>a key given twice in one object is refused (plain decoding keeps the last one and drops the others);
 *   <li>a string or key holding a lone UTF-16 surrogate (an escape such as {@code "\ud800"} without its pair) is
 *       refused: it has no UTF-8 encoding, and storing it would turn it into {@code ?}.
 * </ul>
 *
 * Both fail with 400 MALFORMED_REQUEST naming what was wrong, as does text that is not JSON at all.
 */
final class StrictJson {
  private StrictJson() {
  }

  /** The JSON value in {@code text}; {@code what} names it in errors ("Request body", "Frame"). */
  static Object parse(Buffer text, String what) {
    Object value = decode(JacksonCodec.createParser(text), what);
    return mayHoldSurrogate(text) ? checked(value, what) : value;
  }

  static Object parse(String text, String what) {
    Object value = decode(JacksonCodec.createParser(text), what);
    return mayHoldSurrogate(text) ? checked(value, what) : value;
  }

  /** The JSON object in {@code text}; MALFORMED_REQUEST if it is another JSON value. */
  static JsonObject parseObject(Buffer text, String what) {
    if (!(parse(text, what) instanceof JsonObject object)) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, what + " must be a JSON object");
    }
    return object;
  }

  private static Object decode(JsonParser parser, String what) {
    parser.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    try {
      return JacksonCodec.fromParser(parser, Object.class);
    } catch (DecodeException e) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, what + " is not valid JSON: " + firstLine(e));
    }
  }

  private static Object checked(Object value, String what) {
    String bad = findLoneSurrogate(value);
    if (bad != null) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, what + " holds a string with a lone UTF-16 surrogate"
          + " (an unpaired \\uD800-\\uDFFF escape), which has no UTF-8 form: " + bad);
    }
    return value;
  }

  /**
   * Whether the decoded value can hold a surrogate at all: only a {@code \\uD800}-{@code \\uDFFF} escape or the
   * three-byte form of a surrogate (0xED 0xA0-0xBF, which the parser decodes as is) makes one; a four-byte character
   * decodes into a proper pair; the character after a backslash is skipped (an escaped backslash before a u is
   * text). One pass over the bytes, where the walk of the decoded tree (a map entry and a
   * wrapper per element) held an event loop past 1 s for a body of tens of thousands of partitions on a loaded machine.
   */
  static boolean mayHoldSurrogate(Buffer text) {
    int n = text.length();
    for (int i = 0; i < n; i++) {
      byte b = text.getByte(i);
      if (b == '\\' && i + 1 < n) {
        if (text.getByte(++i) == 'u' && i + 2 < n && surrogateEscape(text.getByte(i + 1), text.getByte(i + 2))) {
          return true;
        }
      } else if (b == (byte) 0xED && i + 1 < n && (text.getByte(i + 1) & 0xE0) == 0xA0) {
        return true;
      }
    }
    return false;
  }

  static boolean mayHoldSurrogate(String text) {
    int n = text.length();
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      if (c == '\\' && i + 1 < n) {
        if (text.charAt(++i) == 'u' && i + 2 < n && surrogateEscape(text.charAt(i + 1), text.charAt(i + 2))) {
          return true;
        }
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  /** Whether the escape's first two hex digits are D8-DF, in either case. */
  private static boolean surrogateEscape(int first, int second) {
    return (first == 'd' || first == 'D') && (second >= '8' && second <= '9' || second >= 'a' && second <= 'f'
        || second >= 'A' && second <= 'F');
  }

  /** A description of the first string or key with an unpaired surrogate, or null. */
  private static String findLoneSurrogate(Object value) {
    if (value instanceof String s) {
      int at = loneSurrogateAt(s);
      return at < 0 ? null : String.format("U+%04X at char %d", (int) s.charAt(at), at);
    }
    if (value instanceof JsonObject o) {
      for (Map.Entry<String, Object> e : o) {
        String bad = e.getKey() != null && loneSurrogateAt(e.getKey()) >= 0 ? "in a key"
            : findLoneSurrogate(e.getValue());
        if (bad != null) {
          return bad;
        }
      }
    } else if (value instanceof JsonArray a) {
      for (Object element : a) {
        String bad = findLoneSurrogate(element);
        if (bad != null) {
          return bad;
        }
      }
    }
    return null;
  }

  static int loneSurrogateAt(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return i;
      }
    }
    return -1;
  }

  private static String firstLine(DecodeException e) {
    String message = String.valueOf(e.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
