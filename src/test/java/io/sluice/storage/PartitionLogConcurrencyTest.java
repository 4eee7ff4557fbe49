package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.record.RecordBatch;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionLogConcurrencyTest {
  @TempDir
  Path dir;

  @Test
  void readersRunningDuringAppendsSeeOnlyWholeValidContiguousBatches() throws Exception {
    try (LogFixture fx = new LogFixture(dir, LogFixture.smallSegments(64 * 1024))) {
      LocalPartitionLog log = fx.open();
      AtomicBoolean done = new AtomicBoolean();
      ExecutorService pool = Executors.newFixedThreadPool(3);
      try {
        List<Future<Long>> readers = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
          long seed = r;
          readers.add(pool.submit(() -> readUntilDone(log, done, new Random(seed))));
        }
        Random random = new Random(99);
        for (int i = 0; i < 3000; i++) {
          log.append(TestBatches.batch(1 + random.nextInt(20), random.nextInt(200), i, 0), 0);
        }
        done.set(true);
        for (Future<Long> f : readers) {
          assertThat(f.get()).as("reads checked").isPositive();
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  private static long readUntilDone(PartitionLog log, AtomicBoolean done, Random random) {
    long reads = 0;
    boolean last = false;
    while (!last) {
      last = done.get();
      long end = log.logEndOffset();
      long offset = end == 0 ? 0 : random.nextLong(end + 1);
      ReadResult r = log.read(offset, random.nextInt(50_000), Long.MAX_VALUE);
      ByteBuffer bytes = r.readBytes();
      long expected = -1;
      while (bytes.hasRemaining()) {
        RecordBatch b = RecordBatch.wrap(bytes);
        b.ensureValid();
        if (expected < 0) {
          assertThat(b.baseOffset()).isLessThanOrEqualTo(offset);
          assertThat(b.lastOffset()).isGreaterThanOrEqualTo(offset);
        } else {
          assertThat(b.baseOffset()).isEqualTo(expected);
        }
        expected = b.nextOffset();
        bytes.position(bytes.position() + b.sizeInBytes());
      }
      if (r.length() > 0) {
        assertThat(r.nextOffset()).isEqualTo(expected);
      }
      reads++;
    }
    return reads;
  }
}
