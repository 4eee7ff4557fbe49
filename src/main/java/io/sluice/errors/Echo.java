package io.sluice.errors;

/**
 * Client input as an error message repeats it: quoted, at most {@link #MAX_CODE_POINTS} code points, and with control,
 * format (bidirectional overrides) and separator characters, the quote and the backslash escaped as {@code \\uXXXX}.
 * A message echoed a value whole: a 100 KB field came back in the answer and in the logs, and a newline or a
 * right-to-left override in it forged log lines or hid what it said. Every message naming what a client sent quotes it
 * here, and {@link #message} bounds and escapes a whole message on its way out, for the echo a call site missed.
 * Stateless; thread-safe.
 */
public final class Echo {
  public static final int MAX_CODE_POINTS = 100;
  /** The most of an error message an answer carries. */
  public static final int MAX_MESSAGE_CHARS = 2_000;

  private Echo() {
  }

  /** {@code value} (its {@code toString}) in single quotes, escaped and cut; {@code null} unquoted. */
  public static String quoted(Object value) {
    if (value == null) {
      return "null";
    }
    String s = String.valueOf(value);
    StringBuilder out = new StringBuilder(Math.min(s.length(), MAX_CODE_POINTS) + 2).append('\'');
    int shown = 0;
    int i = 0;
    while (i < s.length() && shown < MAX_CODE_POINTS) {
      int cp = s.codePointAt(i);
      if (needsEscape(cp)) {
        out.append(String.format("\\u%04x", cp));
      } else {
        out.appendCodePoint(cp);
      }
      i += Character.charCount(cp);
      shown++;
    }
    out.append('\'');
    if (i < s.length()) {
      out.append(" (the first ").append(MAX_CODE_POINTS).append(" of ").append(s.codePointCount(0, s.length()))
          .append(" characters)");
    }
    return out.toString();
  }

  /**
   * {@code message} as an answer may carry it: control, format and separator characters escaped, cut at
   * {@link #MAX_MESSAGE_CHARS}. Quotes are left alone: the message's own text quotes what it names.
   */
  public static String message(String message) {
    if (message == null) {
      return null;
    }
    StringBuilder out = new StringBuilder(Math.min(message.length(), MAX_MESSAGE_CHARS) + 16);
    int i = 0;
    for (; i < message.length() && out.length() < MAX_MESSAGE_CHARS; i++) {
      char c = message.charAt(i);
      if (Character.isISOControl(c) || isHidden(Character.getType(c))) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return i == message.length() ? out.toString()
        : out.append("... (cut at ").append(i).append(" of ").append(message.length()).append(" characters)").toString();
  }

  private static boolean isHidden(int type) {
    return type == Character.FORMAT || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
  }

  private static boolean needsEscape(int cp) {
    if (cp == '\'' || cp == '\\' || Character.isISOControl(cp)) {
      return true;
    }
    int type = Character.getType(cp);
    return isHidden(type) || type == Character.SURROGATE || type == Character.PRIVATE_USE
        || type == Character.UNASSIGNED;
  }
}
