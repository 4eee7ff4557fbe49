package io.sluice.storage;

import io.sluice.api.TopicPartition;

import io.sluice.record.RecordBatch;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** A data directory with a manual clock, and helpers to open, crash and reopen a partition log. */
final class LogFixture implements AutoCloseable {
  static final TopicPartition TP = new TopicPartition("orders", 0);
  final Path dataDir;
  final AtomicLong clock = new AtomicLong(1_000_000L);
  SegmentFiles files = SegmentFiles.DEFAULT;
  LogManager manager;
  LocalPartitionLog log;
  LogConfig config;

  LogFixture(Path dataDir, LogConfig config) {
    this.dataDir = dataDir;
    this.config = config;
  }

  static LogConfig smallSegments(int segmentBytes) {
    return new LogConfig(segmentBytes, Long.MAX_VALUE / 2, 1024, 1_048_588, -1, -1, Long.MAX_VALUE,
        Long.MAX_VALUE, 0);
  }

  LocalPartitionLog open() {
    manager = LogManager.open(dataDir, files);
    log = (LocalPartitionLog) manager.openLog(TP, config, clock::get);
    return log;
  }

  LocalPartitionLog reopenClean() {
    manager.close();
    return open();
  }

  /** Drops the log and the index as {@code kill -9} would; files keep what was written. */
  void crash() {
    manager.simulateCrash();
  }

  LocalPartitionLog crashAndReopen() {
    crash();
    return open();
  }

  Path segment(int i) {
    return log.segmentFiles().get(i);
  }

  /** Reads every batch from {@code from} to the log end. */
  static List<ByteBuffer> readAll(PartitionLog log, long from) {
    List<ByteBuffer> out = new ArrayList<>();
    long next = from;
    while (next < log.logEndOffset()) {
      ReadResult r = log.read(next, 1 << 20, Long.MAX_VALUE);
      ByteBuffer bytes = r.readBytes();
      while (bytes.hasRemaining()) {
        RecordBatch b = RecordBatch.wrap(bytes);
        out.add(b.buffer());
        bytes.position(bytes.position() + b.sizeInBytes());
      }
      next = r.nextOffset();
    }
    return out;
  }

  @Override
  public void close() {
    if (manager != null) {
      try {
        manager.close();
      } catch (RuntimeException ignored) {
        // already closed by a simulated crash
      }
    }
  }
}
