package io.sluice.record;

import io.sluice.errors.CorruptRecordException;
import java.nio.ByteBuffer;

/**
 * Kafka's variable-length integers, as used inside v2 records.
 *
 * <p>A varint is a signed 32-bit value, zigzag-mapped to unsigned ({@code 0, -1, 1, -2, ...} become
 * {@code 0, 1, 2, 3, ...}) and then written seven bits at a time, least significant group first, with the high
 * bit of each byte set when more bytes follow. So values near zero, negative or positive, take one byte; a varint
 * takes at most 5 bytes and a varlong at most 10. This is the protobuf {@code sint32}/{@code sint64} encoding.
 *
 * <p>Readers move the buffer's position and throw {@link CorruptRecordException} on a value longer than its
 * maximum size or on running out of bytes, so that malformed input never escapes as a
 * {@link java.nio.BufferUnderflowException}. Stateless and thread-safe.
 */
public final class ByteUtils {
  private ByteUtils() {}

  /** Maps a signed int to an unsigned one so that small magnitudes stay small. */
  public static int zigzag(int value) {
    return (value << 1) ^ (value >> 31);
  }

  public static int unzigzag(int raw) {
    return (raw >>> 1) ^ -(raw & 1);
  }

  public static long zigzag(long value) {
    return (value << 1) ^ (value >> 63);
  }

  public static long unzigzag(long raw) {
    return (raw >>> 1) ^ -(raw & 1);
  }

  /** Encoded size of {@code value} as a varint: 1 to 5 bytes. */
  public static int sizeOfVarint(int value) {
    int raw = zigzag(value);
    // Each byte carries 7 bits; count the significant bits (at least 1 so that 0 takes one byte).
    int bits = 32 - Integer.numberOfLeadingZeros(raw | 1);
    return (bits + 6) / 7;
  }

  /** Encoded size of {@code value} as a varlong: 1 to 10 bytes. */
  public static int sizeOfVarlong(long value) {
    long raw = zigzag(value);
    int bits = 64 - Long.numberOfLeadingZeros(raw | 1);
    return (bits + 6) / 7;
  }

  /** Writes {@code value} as a varint at the buffer's position, advancing it. */
  public static void writeVarint(int value, ByteBuffer buffer) {
    int raw = zigzag(value);
    while ((raw & ~0x7f) != 0) {
      buffer.put((byte) ((raw & 0x7f) | 0x80));
      raw >>>= 7;
    }
    buffer.put((byte) raw);
  }

  /** Writes {@code value} as a varlong at the buffer's position, advancing it. */
  public static void writeVarlong(long value, ByteBuffer buffer) {
    long raw = zigzag(value);
    while ((raw & ~0x7fL) != 0) {
      buffer.put((byte) ((raw & 0x7f) | 0x80));
      raw >>>= 7;
    }
    buffer.put((byte) raw);
  }

  /** Writes {@code value} as a varint into {@code dest} at {@code pos}; returns the position after it. */
  public static int writeVarint(int value, byte[] dest, int pos) {
    int raw = zigzag(value);
    while ((raw & ~0x7f) != 0) {
      dest[pos++] = (byte) ((raw & 0x7f) | 0x80);
      raw >>>= 7;
    }
    dest[pos++] = (byte) raw;
    return pos;
  }

  /** Writes {@code value} as a varlong into {@code dest} at {@code pos}; returns the position after it. */
  public static int writeVarlong(long value, byte[] dest, int pos) {
    long raw = zigzag(value);
    while ((raw & ~0x7fL) != 0) {
      dest[pos++] = (byte) ((raw & 0x7f) | 0x80);
      raw >>>= 7;
    }
    dest[pos++] = (byte) raw;
    return pos;
  }

  /**
   * Reads a varint at the buffer's position, advancing it.
   *
   * @throws CorruptRecordException if the bytes run out or the value is longer than 5 bytes
   */
  public static int readVarint(ByteBuffer buffer) {
    int raw = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      if (!buffer.hasRemaining()) {
        throw new CorruptRecordException("Varint truncated at byte " + buffer.position());
      }
      byte b = buffer.get();
      raw |= (b & 0x7f) << shift;
      if (b >= 0) {
        return unzigzag(raw);
      }
    }
    throw new CorruptRecordException("Varint longer than 5 bytes ending at byte " + buffer.position());
  }

  /**
   * Reads a varlong at the buffer's position, advancing it.
   *
   * @throws CorruptRecordException if the bytes run out or the value is longer than 10 bytes
   */
  public static long readVarlong(ByteBuffer buffer) {
    long raw = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (!buffer.hasRemaining()) {
        throw new CorruptRecordException("Varlong truncated at byte " + buffer.position());
      }
      byte b = buffer.get();
      raw |= (long) (b & 0x7f) << shift;
      if (b >= 0) {
        return unzigzag(raw);
      }
    }
    throw new CorruptRecordException("Varlong longer than 10 bytes ending at byte " + buffer.position());
  }
}
