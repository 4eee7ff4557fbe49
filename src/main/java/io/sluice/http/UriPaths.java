package io.sluice.http;

import java.nio.charset.StandardCharsets;

/**
 * Builds URI paths from names, percent-escaping each segment (RFC 3986: every byte of the UTF-8 form outside the
 * unreserved set {@code A-Z a-z 0-9 - . _ ~}), so that no name can end a segment, start a query or a fragment, or
 * climb a level. The one way the API builds a URI that holds a name ({@code base_uri}, {@code Location}).
 */
final class UriPaths {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private UriPaths() {
  }

  /** {@code /} followed by each segment escaped, joined by {@code /}. */
  static String of(String... segments) {
    StringBuilder out = new StringBuilder();
    for (String segment : segments) {
      out.append('/');
      escape(segment, out);
    }
    return out.toString();
  }

  static void escape(String segment, StringBuilder out) {
    if (segment.equals(".") || segment.equals("..")) {
      out.append(segment.equals(".") ? "%2E" : "%2E%2E");
      return;
    }
    for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_'
          || c == '~') {
        out.append(c);
      } else {
        out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
      }
    }
  }
}
