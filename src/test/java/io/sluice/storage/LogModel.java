package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.record.RecordBatch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/** What a log should hold, kept in plain collections: batches by base offset and each record's timestamp. */
final class LogModel {
  final TreeMap<Long, ByteBuffer> batches = new TreeMap<>();
  final List<Long> recordTimestamps = new ArrayList<>(); // index = offset
  long logStart;

  /** Records a batch as the log stored it (after offset assignment). */
  void add(ByteBuffer stored, long[] timestamps) {
    RecordBatch b = RecordBatch.wrap(stored);
    assertThat(b.baseOffset()).isEqualTo(recordTimestamps.size());
    batches.put(b.baseOffset(), copy(stored));
    for (long ts : timestamps) {
      recordTimestamps.add(ts);
    }
  }

  long logEnd() {
    return recordTimestamps.size();
  }

  void truncateTo(long offset) {
    Map.Entry<Long, ByteBuffer> e = batches.floorEntry(offset);
    long cut = e.getKey();
    batches.tailMap(cut, true).clear();
    while (recordTimestamps.size() > cut) {
      recordTimestamps.remove(recordTimestamps.size() - 1);
    }
  }

  OptionalLong offsetForTimestamp(long ts) {
    for (int o = (int) logStart; o < recordTimestamps.size(); o++) {
      if (recordTimestamps.get(o) >= ts) {
        return OptionalLong.of(o);
      }
    }
    return OptionalLong.empty();
  }

  /** Checks a read of {@code offset}: whole batches equal to the model's, the first containing offset. */
  void checkRead(ReadResult r, long offset, int maxBytes, long maxOffset) {
    ByteBuffer bytes = r.readBytes();
    long expectedBase = batches.floorKey(offset);
    if (offset >= logEnd() || offset >= maxOffset) {
      assertThat(r.length()).isZero();
      return;
    }
    int total = 0;
    long next = expectedBase;
    int count = 0;
    while (bytes.hasRemaining()) {
      RecordBatch b = RecordBatch.wrap(bytes);
      b.ensureValid();
      assertThat(b.baseOffset()).isEqualTo(next);
      assertThat(b.buffer()).isEqualTo(batches.get(next));
      total += b.sizeInBytes();
      next = b.nextOffset();
      bytes.position(bytes.position() + b.sizeInBytes());
      count++;
    }
    if (count == 0) {
      // the batch containing offset ends past maxOffset
      assertThat(RecordBatch.wrap(batches.get(expectedBase)).nextOffset()).isGreaterThan(maxOffset);
      return;
    }
    assertThat(count == 1 || total <= maxBytes).isTrue();
    assertThat(next).isLessThanOrEqualTo(maxOffset);
    assertThat(r.nextOffset()).isEqualTo(next);
  }

  static ByteBuffer copy(ByteBuffer b) {
    ByteBuffer c = ByteBuffer.allocate(b.remaining());
    c.put(b.duplicate());
    return c.flip();
  }
}
