package io.sluice.record;

import static io.sluice.record.TestData.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PartitionerTest {

  /**
   * Published murmur2 values: the first six are the vectors of Kafka's {@code UtilsTest.testMurmur2}; "1" to
   * "12345" are the Kafka-derived vectors other clients pin; "kafka" and "giberish123456789" are librdkafka's
   * (0xd067cf64 and 0x8f552b0c). Together they cover inputs of every length mod 4.
   */
  @ParameterizedTest(name = "murmur2(\"{0}\") = {1}")
  @CsvSource({
      "21, -973932308",
      "foobar, -790332482",
      "a-little-bit-long-string, -985981536",
      "a-little-bit-longer-string, -1486304829",
      "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8, -58897971",
      "abc, 479470107",
      "1, -1993445489",
      "12, 126087238",
      "123, -267702483",
      "1234, -1614185708",
      "12345, -1188365604",
      "kafka, -798503068",
      "giberish123456789, -1890243828"
  })
  void murmur2MatchesKafkaVectors(String input, int expected) {
    assertThat(Partitioner.murmur2(utf8(input))).isEqualTo(expected);
  }

  /** Expected partitions worked out from the published hashes above as (hash & 0x7fffffff) % n. */
  @ParameterizedTest(name = "\"{0}\" -> {1}/3, {2}/12, {3}/50")
  @CsvSource({
      "21, 0, 0, 40",
      "foobar, 0, 6, 16",
      "a-little-bit-long-string, 2, 8, 12",
      "abc, 0, 3, 7",
      "kafka, 1, 4, 30",
      "12345, 2, 8, 44"
  })
  void partitionsKeysLikeKafkasDefaultPartitioner(String key, int of3, int of12, int of50) {
    assertThat(Partitioner.partitionForKey(utf8(key), 3)).isEqualTo(of3);
    assertThat(Partitioner.partitionForKey(utf8(key), 12)).isEqualTo(of12);
    assertThat(Partitioner.partitionForKey(utf8(key), 50)).isEqualTo(of50);
  }

  @Test
  void toPositiveClearsOnlyTheSignBit() {
    assertThat(Partitioner.toPositive(Integer.MIN_VALUE)).isZero();
    assertThat(Partitioner.toPositive(-1)).isEqualTo(Integer.MAX_VALUE);
    assertThat(Partitioner.toPositive(12345)).isEqualTo(12345);
  }

  @Test
  void alwaysPicksAPartitionInRange() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    for (int i = 0; i < 10_000; i++) {
      byte[] key = new byte[random.nextInt(40)];
      random.nextBytes(key);
      int partitions = 1 + random.nextInt(1000);
      assertThat(Partitioner.partitionForKey(key, partitions)).as("seed %d", seed).isBetween(0, partitions - 1);
    }
  }

  @Test
  void rejectsNonPositivePartitionCount() {
    assertThatThrownBy(() -> Partitioner.partitionForKey(utf8("k"), 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
