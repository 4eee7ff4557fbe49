package io.sluice.record;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * An append-only byte array that doubles when full, usable as an {@link OutputStream} (compressors write into
 * it) and with direct varint writes (the batch builder writes records into it without temporary objects).
 *
 * <p>Bytes {@code [0, size)} are content. {@link #toByteBuffer()} exposes them without copying, so nothing may be
 * appended after that. Not thread-safe.
 */
final class GrowableBytes extends OutputStream {
  /** Java arrays cannot quite reach Integer.MAX_VALUE elements on every VM. */
  static final int MAX_ARRAY_SIZE = Integer.MAX_VALUE - 16;

  private byte[] bytes;
  private int size;

  GrowableBytes(int initialCapacity) {
    bytes = new byte[Math.max(16, initialCapacity)];
  }

  /** Empty, writing into {@code reused} (whatever it holds is overwritten) until it is full, then into a new array. */
  GrowableBytes(byte[] reused) {
    bytes = reused;
  }

  int size() {
    return size;
  }

  /** Makes room for {@code extra} more bytes. */
  void ensureRoom(int extra) {
    long needed = (long) size + extra;
    if (needed <= bytes.length) {
      return;
    }
    if (needed > MAX_ARRAY_SIZE) {
      throw new IllegalStateException("Cannot grow a byte array past " + MAX_ARRAY_SIZE + " bytes");
    }
    long doubled = Math.min(MAX_ARRAY_SIZE, 2L * bytes.length);
    bytes = Arrays.copyOf(bytes, (int) Math.max(needed, doubled));
  }

  /** Moves the end forward by {@code count} bytes (left zero), e.g. to reserve a header written later. */
  void skip(int count) {
    ensureRoom(count);
    size += count;
  }

  @Override
  public void write(int b) {
    ensureRoom(1);
    bytes[size++] = (byte) b;
  }

  @Override
  public void write(byte[] src, int offset, int length) {
    ensureRoom(length);
    System.arraycopy(src, offset, bytes, size, length);
    size += length;
  }

  void writeVarint(int value) {
    ensureRoom(5);
    size = ByteUtils.writeVarint(value, bytes, size);
  }

  void writeVarlong(long value) {
    ensureRoom(10);
    size = ByteUtils.writeVarlong(value, bytes, size);
  }

  /** Writes a varint length followed by the bytes, or length -1 for null, as Kafka frames keys and values. */
  void writeNullableBytes(byte[] value) {
    if (value == null) {
      writeVarint(-1);
    } else {
      writeVarint(value.length);
      write(value, 0, value.length);
    }
  }

  /** The array behind the content; valid until the next write. */
  byte[] array() {
    return bytes;
  }

  /** A big-endian buffer over {@code [0, size)} sharing this array. */
  ByteBuffer toByteBuffer() {
    return ByteBuffer.wrap(bytes, 0, size).slice();
  }

  /** Forgets the content but keeps the array. */
  void reset() {
    size = 0;
  }
}
