package io.sluice.storage;

import java.util.Arrays;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The active segment's newest index entries, kept in memory and written to RocksDB together every
 * {@value #COMMIT_ENTRIES} entries instead of once per append: a RocksDB write (WAL write system call, memtable
 * insert, its locks) per append was about a fifth of a follower's append task (async-profiler, thirteenth session),
 * and Kafka's own index is an mmap'd array with no store write at all. Readers look up the newest entries here
 * before asking RocksDB, so a read at the log's tail (a follower's fetch, a tailing consumer) makes no RocksDB seek.
 *
 * <p><b>Crash safety.</b> Entries not yet committed are all past the recovery point: the log commits them before
 * anything moves the recovery point (roll, flush, close) and before anything deletes index entries (truncation,
 * retention), and recovery after an unclean shutdown scans the log from the recovery point and writes those entries
 * again. Losing them costs what losing RocksDB's unsynced writes always cost: a rebuild from the log, never records.
 *
 * <p><b>Threading.</b> The owner adds and commits; readers call {@link #floor} from any thread. A reader's snapshot
 * holds arrays the owner never writes again below its count (a commit starts new arrays), and the owner writes
 * RocksDB before it drops the committed entries from the snapshot, so an entry is always in one place or both.
 */
final class PendingIndex implements AutoCloseable {
  /** Entries per RocksDB write. 64 entries of at least {@code index.interval.bytes} each: 256 KB of log or more. */
  static final int COMMIT_ENTRIES = 64;

  private record Snapshot(long segmentBaseOffset, long[] offsets, int[] positions, int count) {
    static final Snapshot EMPTY = new Snapshot(-1, new long[0], new int[0], 0);
  }

  private final PartitionIndex index;
  private final WriteBatch writes = new WriteBatch();
  private volatile Snapshot snapshot = Snapshot.EMPTY;
  private int uncommitted;

  PendingIndex(PartitionIndex index) {
    this.index = index;
  }

  /** Where appends put their entries (owner thread only). */
  WriteBatch writes() {
    return writes;
  }

  /** Makes an entry the append put into {@link #writes()} visible to readers (owner thread only). */
  void add(long offset, long segmentBaseOffset, int position) {
    Snapshot s = snapshot;
    if (s.count > 0 && s.segmentBaseOffset != segmentBaseOffset) {
      throw new IllegalStateException("index entries of two segments pending; the roll must commit first");
    }
    long[] offsets = s.offsets;
    int[] positions = s.positions;
    if (s.count == offsets.length) {
      offsets = Arrays.copyOf(offsets, Math.max(8, offsets.length * 2));
      positions = Arrays.copyOf(positions, offsets.length);
    }
    offsets[s.count] = offset;
    positions[s.count] = position;
    snapshot = new Snapshot(segmentBaseOffset, offsets, positions, s.count + 1);
    uncommitted++;
  }

  /** Whether enough entries wait for one RocksDB write. */
  boolean due() {
    return uncommitted >= COMMIT_ENTRIES;
  }

  /**
   * Writes the waiting entries to RocksDB (not synced, as every index write). The newest entry stays in memory as
   * well, so reads at the tail keep finding their floor here right after a commit.
   */
  void commit() throws RocksDBException {
    index.write(writes, false);
    writes.clear();
    uncommitted = 0;
    Snapshot s = snapshot;
    if (s.count > 1) {
      long[] offsets = new long[COMMIT_ENTRIES + 1];
      int[] positions = new int[COMMIT_ENTRIES + 1];
      offsets[0] = s.offsets[s.count - 1];
      positions[0] = s.positions[s.count - 1];
      snapshot = new Snapshot(s.segmentBaseOffset, offsets, positions, 1);
    }
  }

  /** Forgets every entry kept here (after a commit: a truncation or roll is about to change what they describe). */
  void clear() {
    writes.clear();
    uncommitted = 0;
    snapshot = Snapshot.EMPTY;
  }

  /**
   * The entry with the largest offset {@code <= offset} when it is one of the entries kept here (then no older entry
   * can be a closer floor), else null: ask RocksDB. Any thread.
   */
  PartitionIndex.OffsetEntry floor(long offset) {
    Snapshot s = snapshot;
    if (s.count == 0 || offset < s.offsets[0]) {
      return null;
    }
    int i = Arrays.binarySearch(s.offsets, 0, s.count, offset);
    int at = i >= 0 ? i : -i - 2;
    return new PartitionIndex.OffsetEntry(s.offsets[at], s.segmentBaseOffset, s.positions[at]);
  }

  /** Entries not yet written to RocksDB (for tests). */
  int uncommitted() {
    return uncommitted;
  }

  @Override
  public void close() {
    writes.close();
  }
}
