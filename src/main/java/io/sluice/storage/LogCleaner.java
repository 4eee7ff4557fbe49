package io.sluice.storage;

import io.sluice.api.TopicPartition;

import io.sluice.record.Header;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RetainedBatch;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * Log compaction ({@code cleanup.policy=compact}) of one partition: rewrites the closed segments keeping, for every
 * key, only its latest record in the whole log, and dropping tombstones (null values) older than
 * {@code delete.retention.ms}. The active segment is read (its records supersede older ones) but never rewritten.
 *
 * <p><b>Offsets.</b> A record keeps its offset. A batch keeps its base offset and last offset delta, so it spans
 * the same offsets with fewer records (see {@link RetainedBatch}); a batch left with no record disappears, which
 * leaves a gap. The last batch of a cleaned segment is kept even when empty, so a segment still ends exactly where
 * the next one begins and every offset below the log end is covered by a batch at or after it in the same segment:
 * a read at an offset in a gap returns the next batch, and readers advance by the batch's next offset.
 * Consecutive closed segments whose sizes sum to at most {@code segment.bytes} are merged into one, named by the
 * first one's base offset, so the number of segments stays bounded too.
 *
 * <p><b>Crash safety.</b> A group of segments {@code [B, E)} (E: the base offset of the segment after the group)
 * is written to {@code B.log.cleaned} and fsynced. It is committed by renaming it to {@code B-E.swap}; then the old
 * segment files are deleted and the swap file renamed to {@code B.log}. On open, {@link #recoverLeftovers} deletes
 * any {@code .cleaned} file (the old segments are intact) and completes any {@code .swap} (deletes the segments in
 * its range, renames it). Segment metadata of the group is deleted (synced) before the commit, so a recovered
 * segment is always scanned rather than trusted.
 *
 * <p><b>When.</b> {@link #clean} does a pass when a segment below the high watermark was closed since the last pass
 * or a retained tombstone's time is up; otherwise it returns at once. Only segments wholly below the high watermark
 * are cleaned, and only records below it supersede others. A pass reads the whole log once to find each key's latest
 * offset (held in memory: one entry per distinct key), then rewrites each group that changes.
 *
 * <p><b>Compaction bound.</b> A writer can hold compaction back with markers: keyless records carrying the header
 * {@link RecordBatch#COMPACTION_BOUND_HEADER}, a sequence {@code S}. While the log's latest marker below the high
 * watermark says {@code S}, a record whose {@link RecordBatch#SEQUENCE_HEADER} is at or above {@code S} supersedes
 * nothing: the older records of its key stay. A stream task writes one to its changelog after each checkpoint is
 * durable, with {@code S} the first sequence of the inputs after the checkpoint, so a restore to the checkpoint
 * always finds each key's value as of the checkpoint (a record written after it, before a crash, could otherwise
 * compact that value away). It plays the part of Kafka's last stable offset, which bounds compaction for
 * transactions. Records without a sequence, and logs without markers, compact up to the high watermark as before.
 * Only the latest marker is kept. A later marker lets the next pass (after the next roll) clean what an earlier one
 * held back.
 *
 * <p><b>Threading.</b> Called only by the log's owner thread, between its appends, so the log does not change
 * during a pass; readers keep reading the old segment files (unlinked, channels closed after
 * {@code file.delete.delay.ms}) until they take a new state. Not thread-safe.
 */
final class LogCleaner {
  private static final System.Logger LOG = System.getLogger(LogCleaner.class.getName());
  static final String CLEANED_SUFFIX = ".cleaned";
  static final String SWAP_SUFFIX = ".swap";

  /** Publishes a cleaned segment in place of a group of segments; the owner does it. */
  interface Replacer {
    void replace(List<Segment> group, Segment cleaned, WriteBatch indexWrites) throws RocksDBException;
  }

  private final TopicPartition tp;
  private final Path dir;
  /** The log's current config: cleanup.policy and delete.retention.ms may be altered while the log is open. */
  private final Supplier<LogConfig> config;
  private final SegmentFiles files;
  private final PartitionIndex index;
  private final TransactionState txns;
  /** Whether the partition's producer state still holds a producer id: its last batch stays. */
  private final LongPredicate rememberedProducer;
  /** The active segment's base offset at the last pass: later rolls make the log dirty again. */
  private long cleanedThrough = -1;
  /** When the earliest tombstone kept by the last pass may go. */
  private long tombstoneDueMs = Long.MAX_VALUE;
  /** The offset of the latest compaction bound marker in this pass (-1: none); older markers go. */
  private long latestMarkerOffset = -1;

  LogCleaner(TopicPartition tp, Path dir, Supplier<LogConfig> config, SegmentFiles files, PartitionIndex index,
      TransactionState txns, LongPredicate rememberedProducer) {
    this.tp = tp;
    this.dir = dir;
    this.config = config;
    this.files = files;
    this.index = index;
    this.txns = txns;
    this.rememberedProducer = rememberedProducer;
  }

  /**
   * Cleans the closed segments of the log that lie wholly below {@code highWatermark}, if they may hold something to
   * remove. Only records below the high watermark count as superseding: a record above it may still be truncated
   * away (a leader change), and the one it superseded must then still be there (Kafka likewise never cleans past
   * the last stable offset, which is at most the high watermark).
   *
   * @return the number of cleaned segments written (0 when nothing changed)
   */
  int clean(Supplier<LogState> current, long nowMs, long highWatermark, Replacer replacer)
      throws IOException, RocksDBException {
    LogState s = current.get();
    long minLagMs = config.get().minCompactionLagMs();
    long stable = Math.min(highWatermark, txns.firstUnstableOffset());
    long cleanableEnd = cleanableEnd(s.segments(), stable, minLagMs == 0 ? Long.MAX_VALUE : nowMs - minLagMs);
    if (!config.get().compact() || cleanableEnd < 0 || (cleanableEnd <= cleanedThrough && nowMs < tombstoneDueMs)) {
      return 0;
    }
    // a written marker's outcome is final (the coordinator decided before writing it, and writes the same one again
    // after a truncation), so every abort below the stable offset counts
    CleanedTransactions cleanedTxns = new CleanedTransactions(txns.abortedIn(0, stable), rememberedProducer);
    long[] bound = latestBound(s, stable);
    Map<ByteBuffer, Long> latest = latestOffsets(s, highWatermark, stable, bound[1], cleanedTxns);
    latestMarkerOffset = bound[0];
    tombstoneDueMs = Long.MAX_VALUE;
    int written = 0;
    for (int round = 0; ; round++) {
      // groups are sized before cleaning; cleaned segments are small, so later rounds merge them
      cleanedTxns.startRound();
      s = current.get();
      Segment[] segments = s.segments();
      List<List<Segment>> groups = groups(segments, cleanableEnd);
      if (round > 0 && groups.stream().allMatch(g -> g.size() == 1)) {
        break;
      }
      int before = written;
      for (List<Segment> group : groups) {
        long endBase = segments[indexOf(segments, group.get(group.size() - 1)) + 1].baseOffset;
        if (cleanGroup(s, group, endBase, new Pass(latest, cleanedTxns, nowMs), replacer)) {
          written++;
        }
      }
      if (written == before) {
        break;
      }
    }
    cleanedThrough = cleanableEnd;
    tombstoneDueMs = Math.min(tombstoneDueMs, cleanedTxns.nextHorizonMs());
    txns.forgetAborted(cleanedTxns.removedAbortMarkers());
    return written;
  }

  /** What a pass knows while it rewrites groups: each key's latest offset, the transactions, the time. */
  private record Pass(Map<ByteBuffer, Long> latest, CleanedTransactions txns, long nowMs) {
  }

  /**
   * The base offset of the first segment that is active, reaches {@code stable} (the high watermark or, below it,
   * the first offset of an ongoing transaction: Kafka's last stable offset) or holds a record younger than
   * {@code lagHorizonMs} ({@code min.compaction.lag.ms} ago; with none, Long.MAX_VALUE: a record stamped ahead of
   * the broker's clock does not hold compaction back); -1 if that is the first.
   */
  private static long cleanableEnd(Segment[] segments, long stable, long lagHorizonMs) {
    int i = 0;
    while (i < segments.length - 1 && segments[i].nextOffset <= stable
        && segments[i].maxTimestamp <= lagHorizonMs) {
      i++;
    }
    return i == 0 ? -1 : segments[i].baseOffset;
  }

  /**
   * Every key's latest offset below {@code stable}, over the whole log, among the records that may supersede
   * others: all of them, except markers, aborted transactions' records and those with a sequence at or above
   * {@code boundSeq}. Every batch below the high watermark's segment is shown to {@code cleanedTxns}.
   */
  private static Map<ByteBuffer, Long> latestOffsets(LogState s, long highWatermark, long stable, long boundSeq,
      CleanedTransactions cleanedTxns) throws IOException {
    Map<ByteBuffer, Long> latest = new HashMap<>();
    for (Segment segment : s.segments()) {
      if (segment.baseOffset >= highWatermark) {
        break;
      }
      forEachBatch(segment, s.readableSize(segment), batch -> {
        cleanedTxns.onScanned(batch);
        if (batch.isControlBatch() || cleanedTxns.isAborted(batch)) {
          return;
        }
        for (Record r : batch.records()) {
          if (r.key() != null && r.offset() < stable
              && (boundSeq == Long.MAX_VALUE || header(r, RecordBatch.SEQUENCE_HEADER) < boundSeq)) {
            latest.put(ByteBuffer.wrap(r.key()), r.offset());
          }
        }
      });
    }
    return latest;
  }

  /**
   * The latest compaction bound marker below {@code highWatermark}: {offset, sequence}, or {-1, Long.MAX_VALUE}
   * when the log has none. Reads the segments from the newest back to the first that holds one (markers come often,
   * so usually only the newest).
   */
  private static long[] latestBound(LogState s, long highWatermark) throws IOException {
    Segment[] segments = s.segments();
    long[] bound = {-1, Long.MAX_VALUE};
    for (int i = segments.length - 1; i >= 0 && bound[0] < 0; i--) {
      if (segments[i].baseOffset >= highWatermark) {
        continue;
      }
      forEachBatch(segments[i], s.readableSize(segments[i]), batch -> {
        for (Record r : batch.records()) {
          long seq = r.key() == null && r.offset() < highWatermark ? header(r, RecordBatch.COMPACTION_BOUND_HEADER)
              : -1;
          if (seq >= 0) {
            bound[0] = r.offset();
            bound[1] = seq;
          }
        }
      });
    }
    return bound;
  }

  /** The decimal value of the record's header {@code name}; -1 without it (or if it is not a number). */
  private static long header(Record r, String name) {
    for (Header h : r.headers()) {
      if (h.key().equals(name) && h.value() != null) {
        try {
          return Long.parseLong(new String(h.value(), StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    }
    return -1;
  }

  /** Consecutive segments below {@code end} whose sizes sum to at most {@code segment.bytes} (at least one each). */
  private List<List<Segment>> groups(Segment[] segments, long end) {
    List<List<Segment>> groups = new ArrayList<>();
    List<Segment> current = new ArrayList<>();
    long bytes = 0;
    for (int i = 0; i < segments.length - 1 && segments[i].baseOffset < end; i++) {
      if (!current.isEmpty() && bytes + segments[i].size > config.get().segmentBytes()) {
        groups.add(current);
        current = new ArrayList<>();
        bytes = 0;
      }
      current.add(segments[i]);
      bytes += segments[i].size;
    }
    groups.add(current);
    return groups;
  }

  private boolean cleanGroup(LogState s, List<Segment> group, long endBase, Pass pass, Replacer replacer)
      throws IOException, RocksDBException {
    long nowMs = pass.nowMs();
    long base = group.get(0).baseOffset;
    Path cleanedFile = dir.resolve(Segment.fileName(base) + CLEANED_SUFFIX);
    Files.deleteIfExists(cleanedFile);
    FileChannel channel = files.open(cleanedFile, true);
    Segment cleaned = new Segment(base, dir.resolve(Segment.fileName(base)), channel, nowMs);
    List<long[]> entries = new ArrayList<>();
    boolean changed;
    try {
      changed = writeCleaned(s, group, cleaned, pass, entries) || group.size() > 1;
      if (!changed || cleaned.size == 0) {
        channel.close();
        Files.delete(cleanedFile);
        return false;
      }
      channel.force(false);
    } catch (IOException | RuntimeException e) {
      channel.close();
      Files.deleteIfExists(cleanedFile);
      throw e;
    }
    cleaned.nextOffset = group.get(group.size() - 1).nextOffset;
    commit(group, cleanedFile, base, endBase);
    try (WriteBatch writes = new WriteBatch()) {
      index.deleteOffsets(writes, base, endBase);
      for (long[] e : entries) {
        index.putOffset(writes, e[0], base, (int) e[1]);
      }
      index.putSegmentMeta(writes, base, cleaned.meta());
      replacer.replace(group, cleaned, writes);
    }
    long before = group.stream().mapToLong(g -> g.size).sum();
    LOG.log(Level.INFO, "Partition {0}: compacted {1} segment(s) from offset {2} into {3}: {4} -> {5} bytes", tp,
        group.size(), base, cleaned.file, before, cleaned.size);
    return true;
  }

  /**
   * Writes the retained batches of {@code group} to {@code out}, recording index entries and timestamps.
   *
   * @return whether anything was dropped or rewritten
   */
  private boolean writeCleaned(LogState s, List<Segment> group, Segment out, Pass pass, List<long[]> entries)
      throws IOException {
    long tombstoneHorizon = pass.nowMs() - config.get().deleteRetentionMs();
    boolean[] changed = {false};
    int[] sinceEntry = {config.get().indexIntervalBytes()};
    for (int g = 0; g < group.size(); g++) {
      Segment segment = group.get(g);
      boolean lastSegment = g == group.size() - 1;
      long segmentEnd = segment.nextOffset;
      forEachBatch(segment, s.readableSize(segment), batch -> {
        boolean lastBatch = lastSegment && batch.nextOffset() == segmentEnd;
        ByteBuffer kept = batch.isControlBatch()
            ? pass.txns().retainMarker(batch, pass.nowMs(), config.get().deleteRetentionMs(), lastBatch)
            : retainData(batch, pass, tombstoneHorizon, lastBatch);
        if (kept == null || RecordBatch.wrap(kept).recordCount() != batch.recordCount()
            || batch.isControlBatch() && RecordBatch.wrap(kept).deleteHorizonMs() != batch.deleteHorizonMs()) {
          changed[0] = true;
        }
        if (kept != null) {
          append(out, kept, entries, sinceEntry);
        }
      });
    }
    return changed[0];
  }

  /** What of data batch {@code batch} stays: all of it, some records, an empty batch, or nothing (null). */
  private ByteBuffer retainData(RecordBatch batch, Pass pass, long tombstoneHorizon, boolean lastBatch) {
    boolean aborted = pass.txns().isAborted(batch);
    ByteBuffer kept = RetainedBatch.retain(batch, r -> !aborted && keep(r, pass.latest(), tombstoneHorizon),
        lastBatch || pass.txns().isLastOfProducer(batch));
    pass.txns().onDataBatch(batch, kept != null);
    return kept;
  }

  private boolean keep(Record r, Map<ByteBuffer, Long> latest, long tombstoneHorizon) {
    if (r.key() == null) {
      // Kafka refuses keyless records in compacted topics; here they are never removed, except older bound markers
      return r.offset() >= latestMarkerOffset || header(r, RecordBatch.COMPACTION_BOUND_HEADER) < 0;
    }
    Long latestOffset = latest.get(ByteBuffer.wrap(r.key()));
    if (latestOffset != null && latestOffset > r.offset()) {
      return false; // superseded by a record below the high watermark (and the bound); later ones it cannot be
    }
    if (r.value() == null) {
      if (r.timestamp() < tombstoneHorizon) {
        return false;
      }
      tombstoneDueMs = Math.min(tombstoneDueMs, r.timestamp() + config.get().deleteRetentionMs());
    }
    return true;
  }

  private void append(Segment out, ByteBuffer batchBytes, List<long[]> entries, int[] sinceEntry)
      throws IOException {
    RecordBatch batch = RecordBatch.wrap(batchBytes);
    if (sinceEntry[0] >= config.get().indexIntervalBytes()) {
      entries.add(new long[] {batch.baseOffset(), out.size});
      sinceEntry[0] = 0;
    }
    out.write(batchBytes.duplicate());
    if (out.size == 0) {
      out.rollTimestamp = batch.maxTimestamp();
    }
    out.maxTimestamp = Math.max(out.maxTimestamp, batch.maxTimestamp());
    out.size += batch.sizeInBytes();
    sinceEntry[0] += batch.sizeInBytes();
  }

  /** Commits the cleaned file by renaming it to the swap name, then completes the swap. */
  private void commit(List<Segment> group, Path cleanedFile, long base, long endBase)
      throws IOException, RocksDBException {
    try (WriteBatch writes = new WriteBatch()) {
      for (Segment g : group) {
        index.deleteSegmentMeta(writes, g.baseOffset);
      }
      index.write(writes, true); // never trust stale metadata for the file that replaces them
    }
    Path swap = dir.resolve(swapName(base, endBase));
    Files.move(cleanedFile, swap, StandardCopyOption.ATOMIC_MOVE);
    AtomicFile.fsyncDirectory(dir);
    completeSwap(dir, swap, base, endBase);
  }

  static String swapName(long base, long endBase) {
    return String.format("%020d-%020d%s", base, endBase, SWAP_SUFFIX);
  }

  /** Deletes the segment files in {@code [base, endBase)} and renames {@code swap} to {@code base}'s segment. */
  private static void completeSwap(Path dir, Path swap, long base, long endBase) throws IOException {
    for (long segmentBase : segmentBases(dir)) {
      if (segmentBase >= base && segmentBase < endBase) {
        Files.deleteIfExists(dir.resolve(Segment.fileName(segmentBase)));
      }
    }
    Files.move(swap, dir.resolve(Segment.fileName(base)), StandardCopyOption.ATOMIC_MOVE);
    AtomicFile.fsyncDirectory(dir);
  }

  /**
   * Brings a partition directory back to a state without half-done compaction: deletes {@code .cleaned} files
   * (uncommitted) and completes {@code .swap} files (committed), deleting the segment metadata of every segment
   * a swap replaced. Called when the log is opened, before its segments are listed.
   */
  static void recoverLeftovers(Path dir, TopicPartition tp, PartitionIndex index)
      throws IOException, RocksDBException {
    List<Path> leftovers;
    try (Stream<Path> list = Files.list(dir)) {
      leftovers = list.filter(p -> p.getFileName().toString().endsWith(CLEANED_SUFFIX)
          || p.getFileName().toString().endsWith(SWAP_SUFFIX)).sorted().toList();
    }
    for (Path p : leftovers) {
      String name = p.getFileName().toString();
      if (name.endsWith(CLEANED_SUFFIX)) {
        LOG.log(Level.WARNING, "Partition {0}: deleting {1}, an unfinished compaction", tp, p);
        Files.delete(p);
        continue;
      }
      long base = Long.parseLong(name, 0, 20, 10);
      long endBase = Long.parseLong(name, 21, 41, 10);
      LOG.log(Level.WARNING, "Partition {0}: completing the committed compaction {1}", tp, p);
      try (WriteBatch writes = new WriteBatch()) {
        for (long segmentBase : segmentBases(dir)) {
          if (segmentBase >= base && segmentBase < endBase) {
            index.deleteSegmentMeta(writes, segmentBase);
          }
        }
        index.write(writes, true);
      }
      completeSwap(dir, p, base, endBase);
    }
  }

  private static List<Long> segmentBases(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> Segment.parseBaseOffset(p.getFileName().toString())).filter(b -> b >= 0).sorted()
          .toList();
    }
  }

  private interface BatchConsumer {
    void accept(RecordBatch batch) throws IOException;
  }

  /** Reads every whole batch of {@code segment} below {@code size}. */
  private static void forEachBatch(Segment segment, int size, BatchConsumer consumer) throws IOException {
    BatchCursor cursor = new BatchCursor(segment.channel, size);
    for (boolean ok = cursor.loadAt(0); ok; ok = cursor.next()) {
      ByteBuffer bytes = ByteBuffer.allocate(cursor.sizeInBytes);
      if (Segment.readFully(segment.channel, bytes, cursor.position) < cursor.sizeInBytes) {
        throw new IOException("Segment " + segment.file + " ends inside the batch at position " + cursor.position);
      }
      consumer.accept(RecordBatch.wrap(bytes.flip()));
    }
  }

  private static int indexOf(Segment[] segments, Segment segment) {
    for (int i = 0; i < segments.length; i++) {
      if (segments[i] == segment) {
        return i;
      }
    }
    throw new IllegalStateException("Segment " + segment + " is not in the log");
  }
}
