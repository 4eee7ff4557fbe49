package io.sluice.record;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A compact binary list of decoded records of any partitions, the binary answer of a consumer instance's poll
 * ({@code application/vnd.sluice.records}): no JSON, no base64, so neither side pays per record more than a copy.
 *
 * <pre>
 * per record, back to back, big-endian:
 *   int16 topic length | topic UTF-8 | int32 partition | int64 offset | int64 timestamp
 *   | int32 key length (-1: null) | key | int32 value length (-1: null) | value
 *   | int16 header count | per header: int16 key length | key UTF-8 | int32 value length (-1: null) | value
 * </pre>
 *
 * Plain Java, no state: callable from any thread.
 */
public final class RecordFrames {
  private RecordFrames() {
  }

  /** A record with the partition it came from. */
  public record Framed(String topic, int partition, Record record) {
  }

  /** Appends one record's frame to {@code out}, growing it as needed; returns the buffer to keep using. */
  public static ByteBuffer append(ByteBuffer out, String topic, int partition, Record r) {
    byte[] name = topic.getBytes(StandardCharsets.UTF_8);
    int size = 2 + name.length + 4 + 16 + 4 + length(r.key()) + 4 + length(r.value()) + 2;
    for (Header h : r.headers()) {
      size += 2 + h.key().getBytes(StandardCharsets.UTF_8).length + 4 + length(h.value());
    }
    ByteBuffer buf = out;
    if (buf.remaining() < size) {
      buf = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + size)).put(buf.flip());
    }
    buf.putShort((short) name.length).put(name).putInt(partition).putLong(r.offset()).putLong(r.timestamp());
    putBytes(buf, r.key());
    putBytes(buf, r.value());
    buf.putShort((short) r.headers().size());
    for (Header h : r.headers()) {
      byte[] key = h.key().getBytes(StandardCharsets.UTF_8);
      buf.putShort((short) key.length).put(key);
      putBytes(buf, h.value());
    }
    return buf;
  }

  /**
   * The records framed in {@code in}, in order.
   *
   * @throws IllegalArgumentException if a frame is cut short or claims a negative length other than -1
   */
  public static List<Framed> decode(ByteBuffer in) {
    ByteBuffer b = in.duplicate();
    List<Framed> out = new ArrayList<>();
    try {
      while (b.hasRemaining()) {
        String topic = string(b, b.getShort());
        int partition = b.getInt();
        long offset = b.getLong();
        long timestamp = b.getLong();
        byte[] key = bytes(b);
        byte[] value = bytes(b);
        int headerCount = b.getShort();
        List<Header> headers = headerCount == 0 ? List.of() : new ArrayList<>(headerCount);
        for (int i = 0; i < headerCount; i++) {
          headers.add(new Header(string(b, b.getShort()), bytes(b)));
        }
        out.add(new Framed(topic, partition, new Record(offset, timestamp, key, value, headers)));
      }
    } catch (java.nio.BufferUnderflowException | NegativeArraySizeException e) {
      throw new IllegalArgumentException("Record frame " + out.size() + " is cut short or malformed");
    }
    return out;
  }

  private static int length(byte[] bytes) {
    return bytes == null ? 0 : bytes.length;
  }

  private static void putBytes(ByteBuffer buf, byte[] bytes) {
    if (bytes == null) {
      buf.putInt(-1);
    } else {
      buf.putInt(bytes.length).put(bytes);
    }
  }

  private static byte[] bytes(ByteBuffer b) {
    int length = b.getInt();
    if (length == -1) {
      return null;
    }
    byte[] bytes = new byte[length];
    b.get(bytes);
    return bytes;
  }

  private static String string(ByteBuffer b, int length) {
    byte[] bytes = new byte[length];
    b.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
