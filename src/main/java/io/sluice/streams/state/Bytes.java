package io.sluice.streams.state;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Comparator;

/** Byte-key helpers: unsigned order, and longs written so that their bytes sort as the numbers do. */
public final class Bytes {
  public static final Comparator<byte[]> ORDER = Arrays::compareUnsigned;

  private Bytes() {
  }

  /** {@code v} as 8 bytes that sort as signed longs do (sign bit flipped, big-endian). */
  public static void putLong(ByteBuffer b, long v) {
    b.putLong(v ^ Long.MIN_VALUE);
  }

  public static long getLong(ByteBuffer b) {
    return b.getLong() ^ Long.MIN_VALUE;
  }

  /** The smallest key greater than every key starting with {@code prefix}. */
  public static byte[] prefixEnd(byte[] prefix) {
    byte[] end = prefix.clone();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xff) {
        end[i]++;
        return Arrays.copyOf(end, i + 1);
      }
    }
    return new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
        (byte) 0xff, (byte) 0xff};
  }

  public static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
