package io.sluice.bench;

import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import io.sluice.storage.LogConfig;
import io.sluice.storage.LogManager;
import io.sluice.storage.PartitionLog;
import io.sluice.storage.ReadResult;
import io.sluice.api.TopicPartition;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Measures the storage engine on this machine: appends of 100-byte records in batches of 1,000 (no fsync, and an
 * fsync per MiB), sequential reads of the whole log from the page cache with 1 MiB reads, and the recovery scan
 * of a log whose index was lost (every byte read and CRC-checked, the index rebuilt). Finishes with
 * {@code dd ... conv=fdatasync} as the disk's reference figure. MB = 10^6 bytes, as dd prints.
 *
 * <p>Usage: {@code StorageBench [--dir DIR] [--mb SIZE_OF_EACH_LOG_MB] [--repeat N] [--no-dd]}
 */
public final class StorageBench {
  private static final TopicPartition TP = new TopicPartition("bench", 0);
  private static final int RECORDS_PER_BATCH = 1000;
  private static final int VALUE_BYTES = 100;

  private StorageBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = parse(args);
    Path base = Paths.get(opts.getOrDefault("--dir", System.getProperty("java.io.tmpdir"))).resolve(
        "sluice-storage-bench");
    long targetBytes = Long.parseLong(opts.getOrDefault("--mb", "1024")) * 1_000_000L;
    int repeat = Integer.parseInt(opts.getOrDefault("--repeat", "3"));
    ByteBuffer batch = buildBatch();
    System.out.printf("batch: %d records of %d-byte values, %d bytes; log size per run %d MB; dir %s%n",
        RECORDS_PER_BATCH, VALUE_BYTES, batch.remaining(), targetBytes / 1_000_000, base);
    LogConfig config = LogConfig.DEFAULT;
    deleteRecursively(base);
    appendRun("warm-up (JIT)        ", base, config, batch, targetBytes / 4, 0, 0);
    for (int run = 1; run <= repeat; run++) {
      deleteRecursively(base);
      appendRun("append no-fsync      ", base, config, batch, targetBytes, 0, run);
      readRun(base, config, run);
      recoveryRun(base, config, run);
      deleteRecursively(base);
      appendRun("append fsync per MiB ", base, config, batch, targetBytes, 1 << 20, run);
    }
    deleteRecursively(base);
    if (!opts.containsKey("--no-dd")) {
      dd(base, Long.parseLong(opts.getOrDefault("--mb", "1024")));
    }
  }

  private static ByteBuffer buildBatch() {
    Random random = new Random(1);
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE, 128 * 1024);
    byte[] value = new byte[VALUE_BYTES];
    for (int i = 0; i < RECORDS_PER_BATCH; i++) {
      random.nextBytes(value);
      builder.append(1_700_000_000_000L + i, null, value, List.of());
    }
    return builder.build();
  }

  private static void appendRun(String label, Path dir, LogConfig config, ByteBuffer batch, long targetBytes,
      int flushEveryBytes, int run) {
    try (LogManager manager = LogManager.open(dir)) {
      PartitionLog log = manager.openLog(TP, config, () -> 0L);
      long bytes = 0;
      long sinceFlush = 0;
      long start = System.nanoTime();
      while (bytes < targetBytes) {
        log.append(batch, 1);
        bytes += batch.remaining();
        sinceFlush += batch.remaining();
        if (flushEveryBytes > 0 && sinceFlush >= flushEveryBytes) {
          log.flush();
          sinceFlush = 0;
        }
      }
      if (flushEveryBytes > 0) {
        log.flush();
      }
      report(label, run, bytes, bytes / batch.remaining() * RECORDS_PER_BATCH, System.nanoTime() - start);
    }
  }

  private static void readRun(Path dir, LogConfig config, int run) throws IOException {
    try (LogManager manager = LogManager.open(dir)) {
      PartitionLog log = manager.openLog(TP, config, () -> 0L);
      ByteBuffer buf = ByteBuffer.allocateDirect(4 << 20);
      for (int pass = 0; pass < 2; pass++) { // the first pass also warms the page cache and the JIT
        long bytes = 0;
        long start = System.nanoTime();
        long offset = log.logStartOffset();
        while (offset < log.logEndOffset()) {
          ReadResult r = log.read(offset, 1 << 20, Long.MAX_VALUE);
          buf.clear().limit(r.length());
          while (buf.hasRemaining()) {
            r.channel().read(buf, r.position() + buf.position());
          }
          bytes += r.length();
          offset = r.nextOffset();
        }
        if (pass == 1) {
          report("read 1 MiB (copy)    ", run, bytes, log.logEndOffset() - log.logStartOffset(),
              System.nanoTime() - start);
        }
      }
    }
  }

  private static void recoveryRun(Path dir, LogConfig config, int run) throws IOException {
    deleteRecursively(dir.resolve(".index")); // lose the index: the log is scanned from its first byte
    long start = System.nanoTime();
    try (LogManager manager = LogManager.open(dir)) {
      PartitionLog log = manager.openLog(TP, config, () -> 0L);
      report("recovery scan        ", run, log.sizeInBytes(), log.logEndOffset(), System.nanoTime() - start);
    }
  }

  private static void report(String label, int run, long bytes, long records, long nanos) {
    double seconds = nanos / 1e9;
    System.out.printf("%s run %d: %,8.0f MB/s  %,12.0f records/s  (%,d bytes in %.2f s)%n", label, run,
        bytes / 1e6 / seconds, records / seconds, bytes, seconds);
  }

  /** dd's figures: one fdatasync at the end (the disk's streaming rate) and an O_DSYNC write per MiB. */
  private static void dd(Path dir, long targetMb) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path file = dir.resolve("dd.out");
    for (String sync : List.of("conv=fdatasync", "oflag=dsync")) {
      List<String> cmd = List.of("dd", "if=/dev/zero", "of=" + file, "bs=1M", "count=" + targetMb, sync);
      System.out.println("reference: " + String.join(" ", cmd));
      for (int run = 1; run <= 3; run++) {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out;
        try (InputStream in = p.getInputStream()) {
          out = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        }
        p.waitFor();
        String[] lines = out.split("\n");
        System.out.println("dd " + sync + " run " + run + ": " + lines[lines.length - 1]);
        Files.deleteIfExists(file);
      }
    }
    deleteRecursively(dir);
  }

  private static Map<String, String> parse(String[] args) {
    java.util.HashMap<String, String> opts = new java.util.HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--no-dd")) {
        opts.put(args[i], "");
      } else if (i + 1 < args.length) {
        opts.put(args[i], args[++i]);
      } else {
        throw new IllegalArgumentException("Missing value for " + args[i]);
      }
    }
    return opts;
  }

  private static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
