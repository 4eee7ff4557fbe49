package io.sluice.storage;

import io.sluice.api.TopicPartition;

import io.sluice.storage.PartitionIndex.RecoveryPoint;
import io.sluice.storage.PartitionIndex.SegmentMeta;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * Opens a partition's segments and brings log and index back into agreement.
 *
 * <p>A segment is <i>trusted</i> without reading it when {@code log_meta} has its metadata, the file has exactly
 * the recorded size, and either the last shutdown was clean (the clean marker is present) or the segment lies
 * wholly below the recovery point (it was fsynced, at roll or by {@code flush()}). Every other segment is
 * scanned by {@link SegmentScanner} (the segment holding the recovery point only from there): each batch's
 * length, CRC and offset continuity are verified, its index
 * entries are rewritten, and the file is cut at the first invalid batch, with every later segment deleted. So a
 * clean restart reads no segment bytes, and a deleted index (no marker, no metadata) means a full scan.
 *
 * <p>Afterwards index entries at or past the log end are dropped, the clean marker is removed (a crash from now
 * on is unclean) and the recovery point moves to the log end (scanned segments are fsynced first).
 */
final class LogLoader {
  private static final System.Logger LOG = System.getLogger(LogLoader.class.getName());

  /** What was loaded. */
  record Loaded(List<Segment> segments, long logStartOffset, long runningMaxTimestamp, long scannedBytes,
      boolean cleanShutdown) {}

  private final TopicPartition tp;
  private final Path dir;
  private final SegmentFiles files;
  private final PartitionIndex index;
  private final LogConfig config;
  private final long nowMs;
  private SegmentScanner scanner;
  private boolean directoryChanged;

  LogLoader(TopicPartition tp, Path dir, SegmentFiles files, PartitionIndex index, LogConfig config, long nowMs) {
    this.tp = tp;
    this.dir = dir;
    this.files = files;
    this.index = index;
    this.config = config;
    this.nowMs = nowMs;
  }

  Loaded load() throws IOException, RocksDBException {
    Files.createDirectories(dir);
    LogCleaner.recoverLeftovers(dir, tp, index);
    long checkpointStart = new LogStartCheckpoint(dir).read();
    boolean clean = index.hasCleanMarker();
    RecoveryPoint recoveryPoint = index.recoveryPoint();
    TreeMap<Long, SegmentMeta> metas = index.segmentMetas();
    List<Long> bases = listBaseOffsets();
    List<Segment> segments = new ArrayList<>();
    List<Segment> scanned = new ArrayList<>();
    long runningMax = -1;
    try (WriteBatch writes = new WriteBatch()) {
      for (int i = 0; i < bases.size(); i++) {
        long base = bases.get(i);
        Path file = dir.resolve(Segment.fileName(base));
        FileChannel channel = files.open(file, false);
        Segment segment = new Segment(base, file, channel, nowMs);
        segments.add(segment);
        long fileSize = channel.size();
        SegmentMeta meta = metas.get(base);
        if (meta != null && meta.size() == fileSize && (clean || meta.nextOffset() <= recoveryPoint.offset())) {
          segment.size = (int) fileSize;
          segment.nextOffset = meta.nextOffset();
          segment.maxTimestamp = meta.maxTimestamp();
          segment.rollTimestamp = meta.rollTimestamp();
          segment.bytesSinceIndexEntry = config.indexIntervalBytes();
        } else {
          long upper = i + 1 < bases.size() ? bases.get(i + 1) : Long.MAX_VALUE;
          boolean fromRecoveryPoint = !clean && recoveryPoint.segmentBaseOffset() == base
              && recoveryPoint.position() <= fileSize && recoveryPoint.offset() >= base;
          boolean cut = recover(segment, fileSize, upper, runningMax,
              fromRecoveryPoint ? recoveryPoint : RecoveryPoint.startOf(base));
          scanned.add(segment);
          index.putSegmentMeta(writes, base, segment.meta());
          if (cut) {
            deleteLaterSegments(bases.subList(i + 1, bases.size()), writes);
            break;
          }
        }
        runningMax = Math.max(runningMax, segment.maxTimestamp);
      }
      if (segments.isEmpty()) {
        segments.add(createSegment(Math.max(0, checkpointStart)));
      }
      long logStart = Math.max(checkpointStart, segments.get(0).baseOffset);
      long logEnd = segments.get(segments.size() - 1).nextOffset;
      if (logStart > logEnd) {
        LOG.log(Level.WARNING, "Partition {0}: log start offset {1} is past the recovered log end {2};"
            + " starting an empty log at {1}", tp, logStart, logEnd);
        for (Segment s : segments) {
          deleteSegmentFile(s, writes);
        }
        segments.clear();
        segments.add(createSegment(logStart));
        logEnd = logStart;
        runningMax = -1;
      }
      while (segments.size() > 1 && segments.get(0).nextOffset <= logStart) {
        deleteSegmentFile(segments.remove(0), writes);
      }
      for (Long base : metas.keySet()) {
        if (segments.stream().noneMatch(s -> s.baseOffset == base)) {
          index.deleteSegmentMeta(writes, base);
        }
      }
      index.deleteOffsetsFrom(writes, logEnd);
      index.deleteTimesFrom(writes, logEnd);
      for (Segment s : scanned) {
        if (segments.contains(s)) {
          s.channel.force(false);
        }
      }
      if (directoryChanged) {
        AtomicFile.fsyncDirectory(dir);
      }
      Segment last = segments.get(segments.size() - 1);
      index.putRecoveryPoint(writes, LocalPartitionLog.endOf(new LogState(logStart, logEnd,
          new Segment[] {last}, last.size)));
      index.deleteCleanMarker(writes);
      index.write(writes, true);
      long scannedBytes = scanner == null ? 0 : scanner.scannedBytes();
      if (!clean || scannedBytes > 0) {
        LOG.log(Level.INFO, "Partition {0}: {1} start, scanned {2} bytes in {3} segment(s); log is [{4}, {5})",
            tp, clean ? "clean" : "unclean", scannedBytes, scanned.size(), logStart, logEnd);
      }
      return new Loaded(segments, logStart, runningMax, scannedBytes, clean);
    } catch (IOException | RocksDBException | RuntimeException e) {
      for (Segment s : segments) {
        closeQuietly(s.channel, e);
      }
      throw e;
    }
  }

  /**
   * Scans {@code segment} from {@code from} (the recovery point if it lies in this segment, else the segment's
   * start), rewrites the index entries of what it scanned and cuts an invalid tail.
   *
   * @return whether bytes were cut
   */
  private boolean recover(Segment segment, long fileSize, long upperOffset, long runningMax, RecoveryPoint from)
      throws IOException, RocksDBException {
    if (scanner == null) {
      scanner = new SegmentScanner(config.compact());
    }
    SegmentScanner.Result result;
    try (IndexAppender appender = new IndexAppender(index, config.indexIntervalBytes(),
        Math.max(runningMax, from.maxTimestamp()))) {
      index.deleteOffsets(appender.batch(), from.offset(), upperOffset);
      segment.bytesSinceIndexEntry = 0;
      int[] pending = {0};
      result = scanner.scan(segment.channel, fileSize, from.position(), from.offset(), (base, pos, size, maxTs) -> {
        appender.onBatch(segment, base, pos, size, maxTs);
        if (++pending[0] == 50_000) {
          appender.commit();
          pending[0] = 0;
        }
      });
      appender.commit();
    }
    segment.size = result.validBytes();
    segment.nextOffset = result.nextOffset();
    segment.maxTimestamp = Math.max(from.maxTimestamp(), result.maxTimestamp());
    segment.rollTimestamp = from.position() == 0 ? result.rollTimestamp() : from.rollTimestamp();
    if (result.problem() == null) {
      return false;
    }
    LOG.log(Level.WARNING, "Partition {0}: cutting {1} bytes from {2} at position {3} (log end becomes offset"
        + " {4}): {5}", tp, fileSize - result.validBytes(), segment.file, result.validBytes(),
        result.nextOffset(), result.problem());
    segment.channel.truncate(result.validBytes());
    directoryChanged = true;
    return true;
  }

  private void deleteLaterSegments(List<Long> later, WriteBatch writes) throws IOException, RocksDBException {
    for (long base : later) {
      Path file = dir.resolve(Segment.fileName(base));
      LOG.log(Level.WARNING, "Partition {0}: deleting {1}, which follows the cut", tp, file);
      Files.deleteIfExists(file);
      index.deleteSegmentMeta(writes, base);
      directoryChanged = true;
    }
  }

  private void deleteSegmentFile(Segment segment, WriteBatch writes) throws IOException, RocksDBException {
    segment.channel.close();
    Files.deleteIfExists(segment.file);
    index.deleteSegmentMeta(writes, segment.baseOffset);
    directoryChanged = true;
  }

  private Segment createSegment(long baseOffset) throws IOException {
    Path file = dir.resolve(Segment.fileName(baseOffset));
    directoryChanged = true;
    return new Segment(baseOffset, file, files.open(file, true), nowMs);
  }

  private List<Long> listBaseOffsets() throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> Segment.parseBaseOffset(p.getFileName().toString())).filter(b -> b >= 0).sorted()
          .toList();
    }
  }

  private static void closeQuietly(FileChannel channel, Exception primary) {
    try {
      channel.close();
    } catch (IOException e) {
      primary.addSuppressed(e);
    }
  }
}
