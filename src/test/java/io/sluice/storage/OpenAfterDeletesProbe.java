package io.sluice.storage;

import io.sluice.api.TopicPartition;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.rocksdb.PerfContext;
import org.rocksdb.PerfLevel;
import org.rocksdb.RocksDB;

/**
 * Not a test: measures opening a brand-new topic's logs after {@code N} topics were created, filled a little and
 * deleted (the tombstones their deletion leaves in the index), as {@code bench/replication.sh} does run after run.
 * Prints the open's wall time and RocksDB's perf-context counts on the opening thread (internal keys and deletions
 * the iterators stepped over), which the load does not move.
 *
 * <p>Usage (test classpath): {@code OpenAfterDeletesProbe DIR N [PARTITIONS] [ROUNDS]}
 */
public final class OpenAfterDeletesProbe {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private OpenAfterDeletesProbe() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    int topics = Integer.parseInt(args[1]);
    int partitions = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    IndexStore.deleteRecursively(dir);
    ByteBuffer batch = TestBatches.batch(100, 100, 1_700_000_000_000L, 1);
    try (LogManager manager = LogManager.open(dir)) {
      for (int t = 0; t < topics; t++) {
        cycle(manager, String.format("bench-binary-%06d", t), partitions, batch, true);
      }
      RocksDB db = manager.indexStore().use(d -> d);
      for (String name : new String[] {"bench-binary-zzz", "a"}) {
      PartitionIndex fresh = manager.indexStore().partition(new TopicPartition(name, 0));
      String[] names = {"segmentMetas", "deleteTimesFrom", "floorOffset", "deleteOffsetsFrom", "hasCleanMarker"};
      for (int c = 0; c < names.length; c++) {
        db.setPerfLevel(PerfLevel.ENABLE_COUNT);
        PerfContext perf = db.getPerfContext();
        perf.reset();
        try (org.rocksdb.WriteBatch w = new org.rocksdb.WriteBatch()) {
          switch (c) {
            case 0 -> fresh.segmentMetas();
            case 1 -> fresh.deleteTimesFrom(w, 0);
            case 2 -> fresh.floorOffset(0);
            case 3 -> fresh.deleteOffsetsFrom(w, 0);
            default -> fresh.hasCleanMarker();
          }
        }
        System.out.printf("N=%d %s %s: memtable next %d prev %d seek %d%n", topics, name, names[c],
            perf.getNextOnMemtableCount(), perf.getPrevOnMemtableCount(), perf.getSeekOnMemtableCount());
        db.setPerfLevel(PerfLevel.DISABLE);
      }
      }
      for (int r = 0; r < rounds; r++) {
        db.setPerfLevel(PerfLevel.ENABLE_COUNT);
        PerfContext perf = db.getPerfContext();
        perf.reset();
        long t0 = System.nanoTime();
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        cycle(manager, String.format("bench-binary-%06d", topics + r), partitions, null, false);
        long cpu = THREADS.getCurrentThreadCpuTime() - cpu0;
        long nanos = System.nanoTime() - t0;
        System.out.printf("N=%d round %d: opened %d new logs in %.2f ms, %.2f ms CPU of the opening thread;"
            + " keys skipped %d, deletions skipped %d, range-deletion reseeks %d, memtable next %d prev %d%n",
            topics, r, partitions, nanos / 1e6, cpu / 1e6,
            perf.getInternalKeySkippedCount(), perf.getInternalDeleteSkippedCount(),
            perf.getInternalRangeDelReseekCount(), perf.getNextOnMemtableCount(), perf.getPrevOnMemtableCount());
        db.setPerfLevel(PerfLevel.DISABLE);
        for (int p = 0; p < partitions; p++) {
          manager.deleteLog(new TopicPartition(String.format("bench-binary-%06d", topics + r), p));
        }
      }
    }
    IndexStore.deleteRecursively(dir);
  }

  /** Opens a topic's logs; with a batch, fills each with ten and deletes them again. */
  private static void cycle(LogManager manager, String topic, int partitions, ByteBuffer batch, boolean delete) {
    for (int p = 0; p < partitions; p++) {
      TopicPartition tp = new TopicPartition(topic, p);
      PartitionLog log = manager.openLog(tp, LogConfig.DEFAULT, "id-" + topic);
      for (int i = 0; batch != null && i < 10; i++) {
        log.append(batch.duplicate(), 1);
      }
      if (delete) {
        manager.deleteLog(tp);
      }
    }
  }
}
