package io.sluice.record;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One record header: a non-null key, written as UTF-8, and a value that may be null. Keys may repeat within a
 * record; order is kept.
 *
 * <p>The value array is not copied: callers must not change it after handing it over. Immutable otherwise.
 */
public record Header(String key, byte[] value) implements Serializable {
  public Header {
    Objects.requireNonNull(key, "header key");
  }

  /** A header whose value is {@code value} encoded as UTF-8. */
  public static Header of(String key, String value) {
    return new Header(key, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Header h && key.equals(h.key) && Arrays.equals(value, h.value);
  }

  @Override
  public int hashCode() {
    return 31 * key.hashCode() + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return "Header(" + key + "=" + Record.describe(value) + ")";
  }
}
