package io.sluice.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.CorruptRecordException;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ByteUtilsTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "0, 00",
      "-1, 01",
      "1, 02",
      "-2, 03",
      "63, 7e",
      "-64, 7f",
      "64, 8001",
      "300, d804",
      "2147483647, feffffff0f",
      "-2147483648, ffffffff0f"
  })
  void encodesVarintsAsZigzagBase128(int value, String hex) {
    ByteBuffer buffer = ByteBuffer.allocate(5);
    ByteUtils.writeVarint(value, buffer);
    buffer.flip();
    assertThat(HexFormat.of().formatHex(TestData.bytesOf(buffer))).isEqualTo(hex);
    assertThat(ByteUtils.sizeOfVarint(value)).isEqualTo(hex.length() / 2);
    assertThat(ByteUtils.readVarint(buffer)).isEqualTo(value);
  }

  @Test
  void encodesExtremeVarlongsInTenBytes() {
    ByteBuffer buffer = ByteBuffer.allocate(20);
    ByteUtils.writeVarlong(Long.MIN_VALUE, buffer);
    ByteUtils.writeVarlong(Long.MAX_VALUE, buffer);
    buffer.flip();
    assertThat(HexFormat.of().formatHex(TestData.bytesOf(buffer)))
        .isEqualTo("ffffffffffffffffff01" + "feffffffffffffffff01");
    assertThat(ByteUtils.readVarlong(buffer)).isEqualTo(Long.MIN_VALUE);
    assertThat(ByteUtils.readVarlong(buffer)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void roundTripsRandomValuesThroughBufferAndArrayWriters() {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    byte[] array = new byte[15];
    for (int i = 0; i < 100_000; i++) {
      int intValue = random.nextInt() >> random.nextInt(32);
      long longValue = random.nextLong() >> random.nextInt(64);
      int end = ByteUtils.writeVarlong(longValue, array, ByteUtils.writeVarint(intValue, array, 0));
      assertThat(end).as("seed %d", seed)
          .isEqualTo(ByteUtils.sizeOfVarint(intValue) + ByteUtils.sizeOfVarlong(longValue));
      ByteBuffer buffer = ByteBuffer.wrap(array, 0, end);
      assertThat(ByteUtils.readVarint(buffer)).as("seed %d", seed).isEqualTo(intValue);
      assertThat(ByteUtils.readVarlong(buffer)).as("seed %d", seed).isEqualTo(longValue);
    }
  }

  @Test
  void rejectsVarintLongerThanFiveBytes() {
    ByteBuffer buffer = ByteBuffer.wrap(HexFormat.of().parseHex("ffffffffff01"));
    assertThatThrownBy(() -> ByteUtils.readVarint(buffer))
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining("longer than 5 bytes");
  }

  @Test
  void rejectsTruncatedVarlong() {
    ByteBuffer buffer = ByteBuffer.wrap(HexFormat.of().parseHex("8080"));
    assertThatThrownBy(() -> ByteUtils.readVarlong(buffer))
        .isInstanceOf(CorruptRecordException.class).hasMessageContaining("truncated");
  }
}
