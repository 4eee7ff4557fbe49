package io.sluice.bench;

import io.sluice.api.TopicPartition;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import io.sluice.storage.LogConfig;
import io.sluice.storage.LogManager;
import io.sluice.storage.PartitionLog;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Measures how long a clean open of a partition log with many segments and many idempotent producers takes (the
 * producer state's rebuild or snapshot load; the index store is opened outside the measured part), and whether the
 * transaction open since the first segment is still seen afterwards. Uses the public storage API only, so the same
 * compiled class runs against an older jar on the class path to compare.
 *
 * <p>Usage: {@code LogOpenBench [--dir DIR] [--segments 200] [--segment-kb 1024] [--producers 1000] [--reps 10]}
 */
public final class LogOpenBench {
  private static final TopicPartition TP = new TopicPartition("bench", 0);
  private static final long TXN_PRODUCER = 1L << 40;

  private LogOpenBench() {}

  public static void main(String[] args) throws Exception {
    BenchArgs opts = new BenchArgs(args);
    Path dir = Paths.get(opts.string("dir", System.getProperty("java.io.tmpdir"))).resolve("sluice-log-open-bench");
    int segments = opts.integer("segments", 200);
    int segmentBytes = opts.integer("segment-kb", 1024) * 1024;
    int producers = opts.integer("producers", 1000);
    int reps = opts.integer("reps", 10);
    LogConfig config = new LogConfig(segmentBytes, Long.MAX_VALUE / 2, 4096, 1_048_588, -1, -1, Long.MAX_VALUE,
        Long.MAX_VALUE, 0);
    deleteRecursively(dir);
    fill(dir, config, segments, producers);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    for (int rep = 0; rep < reps; rep++) {
      try (LogManager manager = LogManager.open(dir)) {
        long cpu0 = threads.getCurrentThreadCpuTime();
        long wall0 = System.nanoTime();
        PartitionLog log = manager.openLog(TP, config, System::currentTimeMillis);
        long wallUs = (System.nanoTime() - wall0) / 1000;
        long cpuUs = (threads.getCurrentThreadCpuTime() - cpu0) / 1000;
        System.out.printf("rep %d: open %d us wall, %d us thread CPU; %d segments, first unstable offset %s%n", rep,
            wallUs, cpuUs, log.segmentCount(),
            log.firstUnstableOffset() == Long.MAX_VALUE ? "none" : Long.toString(log.firstUnstableOffset()));
      }
    }
    deleteRecursively(dir);
  }

  /** A transaction open from offset 0, then {@code producers} idempotent producers in turn until enough segments. */
  private static void fill(Path dir, LogConfig config, int segments, int producers) throws Exception {
    try (LogManager manager = LogManager.open(dir)) {
      PartitionLog log = manager.openLog(TP, config, System::currentTimeMillis);
      log.append(new RecordBatchBuilder(CompressionType.NONE).producer(TXN_PRODUCER, (short) 0, 0).transactional()
          .append(0, null, new byte[100], null).build(), 0);
      int[] sequences = new int[producers];
      for (long n = 0; log.segmentCount() < segments; n++) {
        int p = (int) (n % producers);
        RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE).producer(p, (short) 0, sequences[p]);
        for (int i = 0; i < 10; i++) {
          b.append(n, null, new byte[100], null);
        }
        sequences[p] += 10;
        log.append(b.build(), 0);
      }
    }
  }

  private static void deleteRecursively(Path dir) throws Exception {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
