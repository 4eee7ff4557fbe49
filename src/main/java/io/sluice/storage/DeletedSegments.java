package io.sluice.storage;

import io.sluice.api.TopicPartition;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * Segments a log deleted (by retention, deleted records or truncation) whose channels stay open for
 * {@code file.delete.delay.ms}: the file is unlinked at once, but a reader that took a {@link ReadResult} before the
 * deletion (an HTTP {@code sendFile} in flight) can still read it through the open channel.
 *
 * <p><b>Threading</b>: the log's owner thread only, like the log's other write paths; not thread-safe.
 */
final class DeletedSegments {
  private static final System.Logger LOG = System.getLogger(DeletedSegments.class.getName());

  private record PendingClose(Segment segment, long closeAtMs) {}

  private final TopicPartition tp;
  private final PartitionIndex index;
  private final LongSupplier clock;
  /** Owner thread only; a topic config change sets it for the segments deleted after it. */
  private long fileDeleteDelayMs;
  private final List<PendingClose> pendingClose = new ArrayList<>();

  DeletedSegments(TopicPartition tp, PartitionIndex index, LongSupplier clock, long fileDeleteDelayMs) {
    this.tp = tp;
    this.index = index;
    this.clock = clock;
    this.fileDeleteDelayMs = fileDeleteDelayMs;
  }

  /**
   * Unlinks the files of {@code segments} now and adds the removal of their metadata to {@code writes}; their
   * channels stay open for {@code file.delete.delay.ms} for readers.
   */
  void unlink(List<Segment> segments, WriteBatch writes) throws IOException, RocksDBException {
    long closeAt = clock.getAsLong() + fileDeleteDelayMs;
    for (Segment segment : segments) {
      Files.deleteIfExists(segment.file);
      index.deleteSegmentMeta(writes, segment.baseOffset);
      pendingClose.add(new PendingClose(segment, closeAt));
    }
  }

  /**
   * Keeps the channels of {@code segments}, whose files are already gone (replaced by a cleaned segment), open for
   * {@code file.delete.delay.ms} for readers.
   */
  void closeLater(List<Segment> segments) {
    long closeAt = clock.getAsLong() + fileDeleteDelayMs;
    segments.forEach(segment -> pendingClose.add(new PendingClose(segment, closeAt)));
  }

  /** The delay for segments deleted from now on ({@code file.delete.delay.ms} altered); owner thread. */
  void fileDeleteDelayMs(long delayMs) {
    this.fileDeleteDelayMs = delayMs;
  }

  /** Closes the channels of deleted segments whose delay has passed. */
  void closeExpired(long nowMs) {
    pendingClose.removeIf(p -> {
      if (p.closeAtMs() > nowMs) {
        return false;
      }
      closeChannel(p.segment());
      return true;
    });
  }

  /** Closes every channel still open, due or not (the log is closing). */
  void closeAll() {
    pendingClose.forEach(p -> closeChannel(p.segment()));
    pendingClose.clear();
  }

  /** Number of deleted segments whose channels are still open. */
  int count() {
    return pendingClose.size();
  }

  void closeChannel(Segment segment) {
    try {
      segment.channel.close();
    } catch (IOException e) {
      LOG.log(Level.WARNING, "Partition {0}: closing {1} failed: {2}", tp, segment.file, e);
    }
  }
}
