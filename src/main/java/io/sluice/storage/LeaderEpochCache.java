package io.sluice.storage;

import io.sluice.errors.StorageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * A replica's leader epoch → start offset map (Kafka's {@code leader-epoch-checkpoint}, KIP-101): for each leader
 * epoch that wrote batches into this log, the offset of the first of them. Followers use it to find where their log
 * diverges from a new leader's, instead of truncating to their high watermark.
 *
 * <p><b>On disk</b>: {@code <log dir>/leader-epoch-checkpoint}, text: a version line {@code 0}, a count line, then
 * one {@code <epoch> <startOffset>} line per entry, epochs and offsets strictly increasing. Every change rewrites
 * the file as a temp file, fsync, atomic rename and directory fsync, so a crash leaves the old or the new map.
 *
 * <p><b>Ordering with the log</b>: an entry is written before the first batch of its epoch is appended (an entry
 * whose start equals the log end is harmless), and entries at or above a truncation point are removed after the log
 * is truncated; {@link #open} drops entries that start beyond the log end, so a crash between the two leaves no
 * entry pointing past the log.
 *
 * <p><b>Threading</b>: methods are synchronized, so the leader may look epochs up on its event loop while the
 * partition's owner changes the cache with its other log writes (which it serialises).
 */
public final class LeaderEpochCache {
  public static final String FILE = "leader-epoch-checkpoint";
  private static final int VERSION = 0;

  private final Path file;
  private final Path temp;
  private final TreeMap<Integer, Long> startOffsets;

  private LeaderEpochCache(Path file, TreeMap<Integer, Long> startOffsets) {
    this.file = file;
    this.temp = file.resolveSibling(FILE + ".tmp");
    this.startOffsets = startOffsets;
  }

  /** Reads the checkpoint in {@code logDir} (an empty cache if none), dropping entries beyond {@code logEndOffset}. */
  public static LeaderEpochCache open(Path logDir, long logEndOffset) {
    Path file = logDir.resolve(FILE);
    TreeMap<Integer, Long> entries = new TreeMap<>();
    try {
      Files.createDirectories(logDir);
      Files.deleteIfExists(file.resolveSibling(FILE + ".tmp"));
      if (Files.exists(file)) {
        List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        int count = Integer.parseInt(lines.get(1).trim());
        for (int i = 0; i < count; i++) {
          String[] parts = lines.get(2 + i).trim().split(" ");
          entries.put(Integer.parseInt(parts[0]), Long.parseLong(parts[1]));
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new StorageException("Unreadable leader epoch checkpoint " + file + ": " + e, e);
    }
    LeaderEpochCache cache = new LeaderEpochCache(file, entries);
    if (entries.values().stream().anyMatch(start -> start > logEndOffset)) {
      cache.truncateFromEnd(logEndOffset);
    }
    return cache;
  }

  /** The epoch of the last entry, or -1 when empty. */
  public synchronized int latestEpoch() {
    return startOffsets.isEmpty() ? -1 : startOffsets.lastKey();
  }

  /**
   * Records that {@code epoch} starts at {@code startOffset}, if {@code epoch} is newer than every entry. Older or
   * equal epochs are ignored (the first batch of an epoch fixes its start).
   */
  public synchronized void assign(int epoch, long startOffset) {
    if (epoch < 0 || epoch <= latestEpoch()) {
      return;
    }
    startOffsets.put(epoch, startOffset);
    persist();
  }

  /**
   * Records the start of every epoch new to this cache among {@code batches} (whole v2 batches back to back, as a
   * follower copies them), before they are appended: each batch header's partition leader epoch at its base offset.
   */
  public synchronized void assignFromBatches(ByteBuffer batches) {
    for (int pos = batches.position(); pos + 17 <= batches.limit(); ) {
      long baseOffset = batches.getLong(pos);
      int length = batches.getInt(pos + 8);
      assign(batches.getInt(pos + 12), baseOffset);
      pos += 12 + length;
    }
  }

  /**
   * Kafka's {@code endOffsetFor}: for the largest epoch at or below {@code epoch} that this log knows, that epoch
   * and the offset where the next known epoch starts (or {@code logEndOffset} if none does). If every known
   * epoch is above {@code epoch}, epoch -1 and the start of the first known epoch (the log end if none is known).
   */
  public synchronized EpochEnd endOffsetFor(int epoch, long logEndOffset) {
    Map.Entry<Integer, Long> floor = startOffsets.floorEntry(epoch);
    if (floor == null) {
      return new EpochEnd(-1, startOffsets.isEmpty() ? logEndOffset : startOffsets.firstEntry().getValue());
    }
    Map.Entry<Integer, Long> next = startOffsets.higherEntry(floor.getKey());
    return new EpochEnd(floor.getKey(), next == null ? logEndOffset : next.getValue());
  }

  /** Removes every entry that starts at or after {@code offset} (the log was truncated there). */
  public synchronized void truncateFromEnd(long offset) {
    if (startOffsets.values().removeIf(start -> start >= offset)) {
      persist();
    }
  }

  /**
   * Removes every entry (Kafka's {@code clearAndFlush}): the log is being emptied and restarted at another offset,
   * so none of its epochs says anything about the new log. Call before the log is emptied: a crash in between leaves
   * a log without epochs, which a follower's next fetch repairs.
   */
  public synchronized void clear() {
    if (!startOffsets.isEmpty()) {
      startOffsets.clear();
      persist();
    }
  }

  /** The start offset of {@code epoch}, if it is an entry. */
  public synchronized OptionalLong startOffsetOf(int epoch) {
    Long start = startOffsets.get(epoch);
    return start == null ? OptionalLong.empty() : OptionalLong.of(start);
  }

  /** A copy of the entries, epoch → start offset. */
  public synchronized TreeMap<Integer, Long> entries() {
    return new TreeMap<>(startOffsets);
  }

  /**
   * An epoch and where it ends.
   *
   * @param epoch the epoch, -1 if none
   * @param endOffset the first offset after it, -1 if none
   */
  public record EpochEnd(int epoch, long endOffset) {
  }

  private void persist() {
    List<String> lines = new ArrayList<>();
    lines.add(Integer.toString(VERSION));
    lines.add(Integer.toString(startOffsets.size()));
    startOffsets.forEach((e, s) -> lines.add(e + " " + s));
    byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.US_ASCII);
    try {
      AtomicFile.replace(file, temp, bytes);
    } catch (IOException e) {
      throw new StorageException("Cannot write leader epoch checkpoint " + file + ": " + e,
          new UncheckedIOException(e));
    }
  }
}
