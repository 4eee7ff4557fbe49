package io.sluice.bench;

import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import io.sluice.storage.LogConfig;
import io.sluice.storage.LogManager;
import io.sluice.storage.PartitionLog;
import io.sluice.storage.ReadResult;
import io.sluice.api.TopicPartition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Measures log compaction on a log shaped like {@code __consumer_offsets}: one-record batches (a commit) of about
 * 150 bytes whose keys cycle over {@code --keys} distinct keys, in 4 MiB segments, {@code --mb} MB in all. Times the
 * first compaction pass (every closed segment rewritten) and a pass after one more segment closed (the steady
 * state), and the time to read the whole log from its start before and after (what a coordinator's load reads).
 * Each pass also reports the CPU time of the thread running it (the cleaner runs on the caller's thread), per 1,000
 * records in the log for the first pass: under load, a steadier figure than the wall clock. Storage only: no broker,
 * no HTTP.
 *
 * <p>Usage: {@code CompactionBench [--dir DIR] [--mb MB] [--keys N]}
 */
public final class CompactionBench {
  private static final TopicPartition TP = new TopicPartition("__consumer_offsets", 0);
  private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory
      .getThreadMXBean();

  private CompactionBench() {
  }

  public static void main(String[] args) throws IOException {
    java.util.Map<String, String> opts = new java.util.HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i], args[i + 1]);
    }
    Path dir = Paths.get(opts.getOrDefault("--dir", System.getProperty("java.io.tmpdir")))
        .resolve("sluice-compaction-bench");
    long targetBytes = Long.parseLong(opts.getOrDefault("--mb", "256")) * 1_000_000L;
    int keys = Integer.parseInt(opts.getOrDefault("--keys", "10000"));
    deleteRecursively(dir);
    LogConfig config = LogConfig.DEFAULT.with(java.util.Map.of("cleanup.policy", "compact",
        "segment.bytes", Integer.toString(4 << 20)));
    try (LogManager manager = LogManager.open(dir)) {
      PartitionLog log = manager.openLog(TP, config, System::currentTimeMillis);
      long appendNs = append(log, targetBytes, keys, 0);
      System.out.printf("appended %d MB in %d segments (%d records, %d keys) in %.1f s%n",
          log.sizeInBytes() / 1_000_000, log.segmentCount(), log.logEndOffset(), keys, appendNs / 1e9);
      timeLoad("load before compaction", log);
      long before = log.sizeInBytes();
      long t0 = System.nanoTime();
      long cpu0 = CPU.getCurrentThreadCpuTime();
      int written = log.compact(System.currentTimeMillis(), log.logEndOffset());
      long firstCpuNs = CPU.getCurrentThreadCpuTime() - cpu0;
      long firstNs = System.nanoTime() - t0;
      System.out.printf("first pass: %.2f s, %d segment file(s) written, %d -> %d bytes (%.0f MB/s of log read)%n",
          firstNs / 1e9, written, before, log.sizeInBytes(), before / 1e6 / (firstNs / 1e9));
      System.out.printf("first pass cpu: %.1f ms, %.4f ms per 1000 records%n", firstCpuNs / 1e6,
          firstCpuNs / 1e6 / (log.logEndOffset() / 1000.0));
      timeLoad("load after compaction ", log);
      append(log, 5L << 20, keys, 1); // a bit over one more segment closes
      long beforeSteady = log.sizeInBytes();
      t0 = System.nanoTime();
      cpu0 = CPU.getCurrentThreadCpuTime();
      written = log.compact(System.currentTimeMillis(), log.logEndOffset());
      long steadyCpuNs = CPU.getCurrentThreadCpuTime() - cpu0;
      long steadyNs = System.nanoTime() - t0;
      System.out.printf("steady pass cpu: %.1f ms%n", steadyCpuNs / 1e6);
      System.out.printf("steady pass after one more segment: %.3f s, %d file(s), %d -> %d bytes, %d segments%n",
          steadyNs / 1e9, written, beforeSteady, log.sizeInBytes(), log.segmentCount());
    }
    deleteRecursively(dir);
  }

  private static long append(PartitionLog log, long bytes, int keys, int round) {
    long t0 = System.nanoTime();
    long written = 0;
    byte[] value = ("{\"offset\":123456789,\"metadata\":\"\",\"timestamp\":1700000000000,\"round\":" + round
        + "}").getBytes(StandardCharsets.UTF_8);
    for (long i = 0; written < bytes; i++) {
      byte[] key = ("[\"offset\",\"group-" + (i % keys) / 16 + "\",\"orders\"," + (i % 16) + "]")
          .getBytes(StandardCharsets.UTF_8);
      var batch = new RecordBatchBuilder(CompressionType.NONE).append(System.currentTimeMillis(), key, value, null)
          .build();
      written += batch.remaining();
      log.append(batch, 0);
    }
    return System.nanoTime() - t0;
  }

  private static void timeLoad(String label, PartitionLog log) {
    long t0 = System.nanoTime();
    long next = log.logStartOffset();
    long bytes = 0;
    while (next < log.logEndOffset()) {
      ReadResult r = log.read(next, 1 << 20, Long.MAX_VALUE);
      bytes += r.readBytes().remaining();
      next = r.nextOffset();
    }
    long ns = System.nanoTime() - t0;
    System.out.printf("%s: read %d bytes in %.3f s%n", label, bytes, ns / 1e9);
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
