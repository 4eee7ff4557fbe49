package io.sluice.record;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * One decoded record with its absolute offset and timestamp. Key and value may be null (Kafka tells null apart
 * from empty); {@code headers} is never null (a null argument becomes an empty list) and is immutable.
 *
 * <p>Arrays are not copied, in either direction: callers must not change them after handing them over.
 * Equality compares array contents.
 */
public record Record(long offset, long timestamp, byte[] key, byte[] value, List<Header> headers) implements Serializable {
  private static final int DESCRIBE_LIMIT = 32;

  public Record {
    headers = headers == null ? List.of() : List.copyOf(headers);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Record r
        && offset == r.offset
        && timestamp == r.timestamp
        && Arrays.equals(key, r.key)
        && Arrays.equals(value, r.value)
        && headers.equals(r.headers);
  }

  @Override
  public int hashCode() {
    int h = Long.hashCode(offset);
    h = 31 * h + Long.hashCode(timestamp);
    h = 31 * h + Arrays.hashCode(key);
    h = 31 * h + Arrays.hashCode(value);
    return 31 * h + headers.hashCode();
  }

  @Override
  public String toString() {
    return "Record(offset=" + offset + ", timestamp=" + timestamp + ", key=" + describe(key) + ", value="
        + describe(value) + ", headers=" + headers + ")";
  }

  /** Short, readable rendering of a byte array for messages: text if it is printable ASCII, else hex. */
  static String describe(byte[] bytes) {
    if (bytes == null) {
      return "null";
    }
    int shown = Math.min(bytes.length, DESCRIBE_LIMIT);
    String more = bytes.length > shown ? "...(" + bytes.length + " bytes)" : "";
    for (int i = 0; i < shown; i++) {
      if (bytes[i] < 0x20 || bytes[i] > 0x7e) {
        return "0x" + HexFormat.of().formatHex(bytes, 0, shown) + more;
      }
    }
    return "\"" + new String(bytes, 0, shown, StandardCharsets.US_ASCII) + "\"" + more;
  }
}
