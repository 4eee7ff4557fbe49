package io.sluice.record;

/**
 * Kafka's default key partitioning, so that a key lands on the same partition whether a Kafka client or Sluice
 * picks it: {@code (murmur2(key) & 0x7fffffff) % numPartitions}. Masking the sign bit (rather than taking an
 * absolute value) keeps {@code Integer.MIN_VALUE} non-negative. Stateless and thread-safe.
 */
public final class Partitioner {
  private static final int SEED = 0x9747b28c;
  private static final int M = 0x5bd1e995;
  private static final int R = 24;

  private Partitioner() {}

  /** The partition for a non-null key among {@code numPartitions}. */
  public static int partitionForKey(byte[] key, int numPartitions) {
    if (numPartitions <= 0) {
      throw new IllegalArgumentException("Number of partitions must be positive, got " + numPartitions);
    }
    return toPositive(murmur2(key)) % numPartitions;
  }

  /** Clears the sign bit. */
  public static int toPositive(int number) {
    return number & 0x7fffffff;
  }

  /**
   * 32-bit MurmurHash2 with Kafka's seed. The input is consumed as little-endian 4-byte words; the 1 to 3 bytes
   * left over are folded in at the end, highest first.
   */
  public static int murmur2(byte[] data) {
    int length = data.length;
    int h = SEED ^ length;
    int words = length >>> 2;
    for (int w = 0; w < words; w++) {
      int i = w << 2;
      int k = (data[i] & 0xff) | (data[i + 1] & 0xff) << 8 | (data[i + 2] & 0xff) << 16 | (data[i + 3] & 0xff) << 24;
      k *= M;
      k ^= k >>> R;
      k *= M;
      h *= M;
      h ^= k;
    }
    int tail = words << 2;
    int remainder = length & 3;
    if (remainder > 0) {
      if (remainder == 3) {
        h ^= (data[tail + 2] & 0xff) << 16;
      }
      if (remainder >= 2) {
        h ^= (data[tail + 1] & 0xff) << 8;
      }
      h ^= data[tail] & 0xff;
      h *= M;
    }
    h ^= h >>> 13;
    h *= M;
    h ^= h >>> 15;
    return h;
  }
}
