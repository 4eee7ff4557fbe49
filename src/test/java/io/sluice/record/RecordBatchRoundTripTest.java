package io.sluice.record;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Random records through build, split, check and decode, for every codec, against the list they were built
 * from. Seeded: a failure message names the seed; replay it with {@code -Drecord.seed=<seed>}.
 */
class RecordBatchRoundTripTest {
  private static final int BATCHES = 8;

  private static long seed() {
    return Long.getLong("record.seed", System.nanoTime());
  }

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void roundTripsRandomRecords(CompressionType type) {
    long seed = seed();
    Random random = new Random(seed);
    String replay = "codec " + type + ", replay with -Drecord.seed=" + seed;
    List<List<Record>> expected = new ArrayList<>();
    List<ByteBuffer> built = new ArrayList<>();
    long nextOffset = random.nextInt(1000);
    for (int b = 0; b < BATCHES; b++) {
      List<Record> records = TestData.randomRecords(random, nextOffset, 1 + random.nextInt(150));
      expected.add(records);
      built.add(TestData.build(type, nextOffset, records));
      nextOffset += records.size();
    }

    List<RecordBatch> batches = RecordBatches.split(concat(built, random.nextBoolean()));

    assertThat(batches).as(replay).hasSize(BATCHES);
    for (int b = 0; b < BATCHES; b++) {
      RecordBatch batch = batches.get(b);
      batch.ensureValid();
      batch.validateRecords();
      assertThat(batch.compressionType()).as(replay).isEqualTo(type);
      assertThat(batch.records()).as(replay).containsExactlyElementsOf(expected.get(b));
      assertThat(batch.lastOffset()).as(replay).isEqualTo(expected.get(b).get(expected.get(b).size() - 1).offset());
    }
  }

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void iteratesLazilyInOrder(CompressionType type) {
    long seed = seed();
    List<Record> records = TestData.randomRecords(new Random(seed), 0, 20);
    Iterator<Record> it = RecordBatch.wrap(TestData.build(type, 0, records)).iterator();

    for (Record expected : records) {
      assertThat(it.hasNext()).as("seed %d", seed).isTrue();
      assertThat(it.next()).as("seed %d", seed).isEqualTo(expected);
    }
    assertThat(it.hasNext()).isFalse();
  }

  /** Half the time the batches sit in a direct buffer, as they would when read from a file channel. */
  private static ByteBuffer concat(List<ByteBuffer> batches, boolean direct) {
    int size = batches.stream().mapToInt(ByteBuffer::remaining).sum();
    ByteBuffer out = direct ? ByteBuffer.allocateDirect(size) : ByteBuffer.allocate(size);
    batches.forEach(b -> out.put(b.duplicate()));
    return out.flip();
  }
}
