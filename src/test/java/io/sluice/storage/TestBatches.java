package io.sluice.storage;

import io.sluice.record.RecordBatch;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/** Builds uncompressed v2 record batches for tests (values filled with a seeded pattern). */
final class TestBatches {
  private TestBatches() {}

  /** A batch of {@code count} records with {@code valueSize}-byte values; record i has timestamp {@code ts0 + i * step}. */
  static ByteBuffer batch(int count, int valueSize, long ts0, long step) {
    long[] timestamps = new long[count];
    for (int i = 0; i < count; i++) {
      timestamps[i] = ts0 + i * step;
    }
    return batch(timestamps, valueSize);
  }

  static ByteBuffer batch(long[] timestamps, int valueSize) {
    ByteArrayOutputStream records = new ByteArrayOutputStream();
    long base = timestamps[0];
    long max = Long.MIN_VALUE;
    byte[] value = new byte[valueSize];
    for (int i = 0; i < timestamps.length; i++) {
      for (int j = 0; j < valueSize; j++) {
        value[j] = (byte) (i * 31 + j);
      }
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      body.write(0); // attributes
      writeVarlong(body, timestamps[i] - base);
      writeVarlong(body, i);
      writeVarlong(body, -1); // null key
      writeVarlong(body, valueSize);
      body.writeBytes(value);
      writeVarlong(body, 0); // no headers
      writeVarlong(records, body.size());
      records.writeBytes(body.toByteArray());
      max = Math.max(max, timestamps[i]);
    }
    byte[] recs = records.toByteArray();
    ByteBuffer b = ByteBuffer.allocate(RecordBatch.HEADER_SIZE + recs.length);
    b.putLong(0L).putInt(b.capacity() - RecordBatch.LOG_OVERHEAD).putInt(-1).put(RecordBatch.MAGIC).putInt(0)
        .putShort((short) 0).putInt(timestamps.length - 1).putLong(base).putLong(max).putLong(-1L)
        .putShort((short) -1).putInt(-1).putInt(timestamps.length).put(recs);
    fixCrc(b);
    return b.flip();
  }

  static void fixCrc(ByteBuffer b) {
    CRC32C crc = new CRC32C();
    crc.update(b.array(), RecordBatch.ATTRIBUTES_OFFSET, b.capacity() - RecordBatch.ATTRIBUTES_OFFSET);
    b.putInt(RecordBatch.CRC_OFFSET, (int) crc.getValue());
  }

  static ByteBuffer concat(ByteBuffer... parts) {
    int n = 0;
    for (ByteBuffer p : parts) {
      n += p.remaining();
    }
    ByteBuffer out = ByteBuffer.allocate(n);
    for (ByteBuffer p : parts) {
      out.put(p.duplicate());
    }
    return out.flip();
  }

  private static void writeVarlong(ByteArrayOutputStream out, long v) {
    long z = (v << 1) ^ (v >> 63);
    while ((z & ~0x7FL) != 0) {
      out.write((int) ((z & 0x7F) | 0x80));
      z >>>= 7;
    }
    out.write((int) z);
  }
}
