package io.sluice.record;

/**
 * Names that JSON carries as they are. The hand-written JSON writers on both sides of the wire (the broker's
 * batches answer, the client's fetch body) skip the escaper only for these.
 */
public final class PlainNames {
  private PlainNames() {
  }

  /** Whether {@code name} has Kafka's topic characters only ({@code [a-zA-Z0-9._-]}), none JSON escapes. */
  public static boolean isPlain(String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_'
          || c == '-')) {
        return false;
      }
    }
    return true;
  }
}
