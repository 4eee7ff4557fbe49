package io.sluice.record;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.errors.CorruptRecordException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link RecordBatch#iterator(long, RecordBatch.RecordFactory)}: a reader's own record type, built once per record. */
class RecordBatchFactoryIteratorTest {
  private static final long BASE = 100;

  @ParameterizedTest
  @EnumSource(CompressionType.class)
  void buildsTheSameFieldsAsTheRecordIteratorFromTheOffsetOn(CompressionType type) {
    long seed = System.nanoTime();
    List<Record> records = TestData.randomRecords(new Random(seed), BASE, 40);
    RecordBatch batch = RecordBatch.wrap(TestData.build(type, BASE, records));
    List<Long> built = new ArrayList<>();

    List<Record> got = drain(batch.iterator(BASE + 15, (offset, timestamp, key, value, headers) -> {
      built.add(offset);
      return new Record(offset, timestamp, key, value, headers);
    }));

    assertThat(got).as("seed %d", seed).containsExactlyElementsOf(records.subList(15, 40));
    assertThat(built).as("records before the from offset are not built").first().isEqualTo(BASE + 15);
  }

  @Test
  void aFromOffsetPastTheBatchGivesNothingAndBuildsNothing() {
    RecordBatch batch = RecordBatch.wrap(TestData.build(CompressionType.NONE, BASE, records(3)));

    Iterator<Object> it = batch.iterator(BASE + 3, (offset, timestamp, key, value, headers) -> {
      throw new AssertionError("built record " + offset);
    });

    assertThat(it.hasNext()).isFalse();
  }

  @Test
  void aBrokenRecordBeforeTheFromOffsetStillFailsTheWalk() {
    ByteBuffer bytes = TestData.build(CompressionType.NONE, BASE, records(3));
    // The first record's length varint: zigzag 1 is -1, shorter than any record.
    bytes.put(bytes.position() + RecordBatch.RECORDS_OFFSET, (byte) 1);
    RecordBatch batch = RecordBatch.wrap(bytes);

    Iterator<Record> it = batch.iterator(BASE + 2, Record::new);

    assertThatThrownBy(it::hasNext).isInstanceOf(CorruptRecordException.class).hasMessageContaining("Record 0");
  }

  @Test
  void aFactoryThatBuildsNullFailsInsteadOfSkippingTheRecord() {
    RecordBatch batch = RecordBatch.wrap(TestData.build(CompressionType.NONE, BASE, records(3)));

    Iterator<Object> it = batch.iterator(BASE, (offset, timestamp, key, value, headers) -> null);

    assertThatThrownBy(it::hasNext).isInstanceOf(NullPointerException.class).hasMessageContaining("RecordFactory");
  }

  private static List<Record> records(int n) {
    List<Record> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Record(BASE + i, 1_700_000_000_000L + i, null, TestData.utf8("v" + i), List.of()));
    }
    return out;
  }

  private static <T> List<T> drain(Iterator<T> it) {
    List<T> out = new ArrayList<>();
    while (it.hasNext()) {
      out.add(it.next());
    }
    return out;
  }
}
