package io.sluice.record;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Shared helpers for record tests: readable byte arrays and seeded random records. */
final class TestData {
  private TestData() {}

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A copy of the buffer's remaining bytes. */
  static byte[] bytesOf(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.duplicate().get(bytes);
    return bytes;
  }

  /** Appends every record to a builder; offsets in {@code records} are ignored (the builder assigns them). */
  static RecordBatchBuilder builderWith(CompressionType type, long baseOffset, List<Record> records) {
    RecordBatchBuilder builder = new RecordBatchBuilder(type).baseOffset(baseOffset);
    for (Record r : records) {
      builder.append(r.timestamp(), r.key(), r.value(), r.headers());
    }
    return builder;
  }

  static ByteBuffer build(CompressionType type, long baseOffset, List<Record> records) {
    return builderWith(type, baseOffset, records).build();
  }

  /**
   * {@code count} random records with offsets from {@code baseOffset}: null and empty keys and values, sizes
   * across varint boundaries, timestamps before and after the first, repetitive values that compress.
   */
  static List<Record> randomRecords(Random random, long baseOffset, int count) {
    List<Record> records = new ArrayList<>(count);
    long firstTimestamp = 1_600_000_000_000L + random.nextInt(1_000_000);
    for (int i = 0; i < count; i++) {
      long timestamp = i == 0 ? firstTimestamp : firstTimestamp + random.nextInt(200_000) - 100_000;
      records.add(new Record(baseOffset + i, timestamp, randomBytes(random), randomBytes(random),
          randomHeaders(random)));
    }
    return records;
  }

  private static byte[] randomBytes(Random random) {
    int kind = random.nextInt(10);
    if (kind == 0) {
      return null;
    }
    if (kind == 1) {
      return new byte[0];
    }
    int length = kind == 2 ? 64 + random.nextInt(20_000) : random.nextInt(200);
    byte[] bytes = new byte[length];
    if (random.nextBoolean()) {
      random.nextBytes(bytes);
    } else {
      for (int i = 0; i < length; i++) {
        bytes[i] = (byte) ('a' + (i % 7));
      }
    }
    return bytes;
  }

  private static List<Header> randomHeaders(Random random) {
    int count = random.nextInt(4);
    List<Header> headers = new ArrayList<>(count);
    for (int h = 0; h < count; h++) {
      String key = random.nextBoolean() ? "h" + h : "ключ-" + random.nextInt(1000);
      headers.add(new Header(key, random.nextInt(4) == 0 ? null : randomBytes(random)));
    }
    return headers;
  }
}
