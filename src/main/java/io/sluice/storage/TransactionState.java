package io.sluice.storage;

import io.sluice.record.AbortedTransaction;
import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.errors.StorageException;
import io.sluice.record.ControlRecords;
import io.sluice.record.RecordBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One partition's transactions (Kafka's KIP-98, partition side): the first offset of each producer's ongoing
 * transaction, which bounds the last stable offset, and the aborted transactions (Kafka's transaction index), which
 * read_committed readers skip.
 *
 * <p><b>Durability.</b> The aborted transactions are in {@code <log dir>/aborted-txns} (32 bytes each: producer id,
 * first offset, last offset (the marker's), last stable offset at the abort), replaced whole with an fsync at every
 * abort (aborts are rare) and at a truncation that cuts one. At open, entries the recovered log no longer holds are
 * dropped; the ongoing transactions come from the newest producer snapshot ({@link ProducerSnapshots}, written at
 * each roll and clean close), and the batches after it are read back (their headers), with any abort missing from the
 * file (a crash between the marker's write and the file's). So a transaction open across any number of segments is
 * seen after a restart or a truncation. Without a readable snapshot (a log from before them, a corrupt file) they
 * are read back from the segments the producer state is rebuilt from, as before: a transaction open longer than
 * those is then not seen.
 *
 * <p><b>Threading.</b> Changed only by the log's owner thread; {@link #firstUnstableOffset} and
 * {@link #abortedIn} are read by any thread (volatile, and an immutable list replaced at each change).
 */
final class TransactionState {
  static final String FILE = "aborted-txns";
  private static final int ENTRY_BYTES = 32;

  private final TopicPartition tp;
  private final Path file;
  private final Path temp;
  /** Producer id to the first offset of its ongoing transaction. */
  private final Map<Long, Long> ongoing = new HashMap<>();
  /** The same, by first offset: the smallest bounds the last stable offset. */
  private final TreeMap<Long, Long> byFirstOffset = new TreeMap<>();
  private volatile long firstUnstable = Long.MAX_VALUE;
  private volatile List<AbortedTransaction> aborted = List.of();

  private TransactionState(TopicPartition tp, Path dir) {
    this.tp = tp;
    this.file = dir.resolve(FILE);
    this.temp = dir.resolve(FILE + ".tmp");
  }

  /**
   * Opens the state of a log ending at {@code logEnd}: the aborted transactions from the file; then the producer
   * state's rebuild hands over each transactional batch of the newest segments ({@link #scanned}), and
   * {@link #opened} publishes the result.
   */
  static TransactionState open(TopicPartition tp, Path dir, long logEnd) {
    TransactionState t = new TransactionState(tp, dir);
    try {
      Files.deleteIfExists(t.temp);
      t.aborted = t.readFile(logEnd);
    } catch (IOException e) {
      throw new StorageException("Cannot read the transactions of partition " + tp + " in " + dir + ": " + e, e);
    }
    return t;
  }

  /** The rebuild is done: readers may see it. */
  TransactionState opened() {
    publish();
    return this;
  }

  /** A transactional batch read back at open, at {@code cursor} in {@code segment}, in offset order. */
  void scanned(Segment segment, BatchCursor cursor) {
    try {
      onScanned(segment, cursor);
    } catch (IOException e) {
      throw new StorageException("Cannot read the transactions of partition " + tp + " from " + segment.file
          + ": " + e, e);
    }
  }

  /** Takes the ongoing transactions of a snapshot, before the batches after it are {@link #scanned}. */
  void restore(Map<Long, Long> ongoingAtSnapshot) {
    ongoingAtSnapshot.forEach(this::start);
  }

  /** Producer id to the first offset of its ongoing transaction, a copy for a snapshot: owner thread. */
  Map<Long, Long> ongoing() {
    return new HashMap<>(ongoing);
  }

  /** The first offset of the oldest ongoing transaction, or {@link Long#MAX_VALUE}: any thread. */
  long firstUnstableOffset() {
    return firstUnstable;
  }

  /** The first offset of {@code pid}'s ongoing transaction here, or -1: owner thread. */
  long ongoingStart(long pid) {
    Long first = ongoing.get(pid);
    return first == null ? -1 : first;
  }

  /** Whether any transaction is ongoing or was aborted here: any thread. */
  boolean any() {
    return firstUnstable != Long.MAX_VALUE || !aborted.isEmpty();
  }

  /** The aborted transactions that overlap offsets {@code [from, upTo)}, oldest first: any thread. */
  List<AbortedTransaction> abortedIn(long from, long upTo) {
    List<AbortedTransaction> all = aborted;
    if (all.isEmpty()) {
      return List.of();
    }
    List<AbortedTransaction> in = new ArrayList<>();
    for (AbortedTransaction a : all) {
      if (a.lastOffset() >= from && a.firstOffset() < upTo) {
        in.add(a);
      }
    }
    return in;
  }

  /**
   * Refuses a leader append of a plain batch from a producer in a transaction here (Kafka's INVALID_TXN_STATE): its
   * records would be neither committed nor aborted with the transaction. Costs one branch while none is ongoing.
   */
  void checkLeaderAppend(List<RecordBatch> batches) {
    if (ongoing.isEmpty()) {
      return;
    }
    for (int i = 0; i < batches.size(); i++) {
      RecordBatch b = batches.get(i);
      if (b.producerId() >= 0 && !b.isTransactional() && ongoing.containsKey(b.producerId())) {
        throw new SluiceException(ErrorCode.INVALID_TXN_STATE, "Producer " + b.producerId() + " sent a"
            + " non-transactional batch to partition " + tp + " while its transaction there is ongoing");
      }
    }
  }

  /** Records appended batches (offsets assigned), leader or follower. */
  void onAppended(List<RecordBatch> batches) {
    boolean changed = false;
    for (int i = 0; i < batches.size(); i++) { // indexed: no iterator on the append path
      RecordBatch b = batches.get(i);
      if (b.isTransactional()) { // one attribute test per batch on the append path; nothing more without transactions
        if (!b.isControlBatch()) {
          changed |= start(b.producerId(), b.baseOffset());
        } else if (b.recordCount() > 0) { // an empty one is a marker compaction removed: it ends nothing (Kafka's)
          changed |= end(b.producerId(), b.baseOffset(), ControlRecords.isCommit(b), true);
        }
      }
    }
    if (changed) {
      publish();
    }
  }

  /** Whether {@code pid}'s transaction starts here (false: it is ongoing already, nothing boxed or changed). */
  private boolean start(long pid, long offset) {
    if (ongoing.containsKey(pid)) {
      return false;
    }
    ongoing.put(pid, offset);
    byFirstOffset.put(offset, pid);
    return true;
  }

  /** Whether a transaction of {@code pid} ended at its marker here. */
  private boolean end(long pid, long markerOffset, boolean commit, boolean persist) {
    Long first = ongoing.remove(pid);
    if (first == null) {
      return false; // a marker with no transaction here: written and harmless, as Kafka's
    }
    byFirstOffset.remove(first);
    if (commit || aborted.stream().anyMatch(a -> a.producerId() == pid && a.lastOffset() == markerOffset)) {
      return true;
    }
    List<AbortedTransaction> next = new ArrayList<>(aborted);
    // Kafka's LSO once the marker is written: the oldest transaction still ongoing, else past the marker
    long lastStable = byFirstOffset.isEmpty() ? markerOffset + 1 : Math.min(byFirstOffset.firstKey(), markerOffset + 1);
    next.add(new AbortedTransaction(pid, first, markerOffset, lastStable));
    next.sort(java.util.Comparator.comparingLong(AbortedTransaction::lastOffset)); // a rebuild may find one late
    aborted = List.copyOf(next);
    if (persist) {
      writeFile();
    }
    return true;
  }

  /**
   * Forgets what is at or after {@code offset} (being truncated away). A transaction whose marker is cut is
   * ongoing again: the ongoing ones are {@code ongoingAtStart} (a snapshot's at {@code startOffset}, or none) and
   * those read back from the batches of {@code segments} of the log as it will be, from {@code startOffset}.
   */
  void truncateTo(long offset, LogState s, Segment[] segments, Map<Long, Long> ongoingAtStart, long startOffset) {
    List<AbortedTransaction> kept = aborted.stream().filter(a -> a.lastOffset() < offset).toList();
    boolean cut = kept.size() != aborted.size();
    aborted = kept;
    ongoing.clear();
    byFirstOffset.clear();
    restore(ongoingAtStart);
    try {
      for (Segment segment : segments) {
        scanBelow(s, segment, Math.max(startOffset, s.logStartOffset()), offset);
      }
    } catch (IOException e) {
      throw new StorageException("Cannot read the transactions of partition " + tp + ": " + e, e);
    }
    if (cut) {
      writeFile();
    }
    publish();
  }

  /**
   * Forgets the aborted transactions wholly below {@code logStart} (retention or delete-records removed them), so
   * the file does not grow with every abort the partition ever saw.
   */
  void dropBelow(long logStart) {
    List<AbortedTransaction> all = aborted;
    if (all.isEmpty() || all.get(0).lastOffset() >= logStart) {
      return; // oldest first: nothing below the start
    }
    aborted = all.stream().filter(a -> a.lastOffset() >= logStart).toList();
    writeFile();
  }

  /**
   * Forgets the aborted transactions whose ABORT marker is at one of {@code markerOffsets}: compaction removed the
   * marker, and every record of the transaction before it, so the index lists only aborts the log still shows.
   */
  void forgetAborted(java.util.Set<Long> markerOffsets) {
    List<AbortedTransaction> all = aborted;
    List<AbortedTransaction> kept = all.stream().filter(a -> !markerOffsets.contains(a.lastOffset())).toList();
    if (kept.size() != all.size()) {
      aborted = kept;
      writeFile();
    }
  }

  /** Forgets everything (the log was emptied and restarted elsewhere). */
  void clear() {
    ongoing.clear();
    byFirstOffset.clear();
    if (!aborted.isEmpty()) {
      aborted = List.of();
      writeFile();
    }
    publish();
  }

  private void publish() {
    firstUnstable = byFirstOffset.isEmpty() ? Long.MAX_VALUE : byFirstOffset.firstKey();
  }

  private void scanBelow(LogState s, Segment segment, long from, long limit) throws IOException {
    BatchCursor cursor = new BatchCursor(segment.channel, s.readableSize(segment));
    for (boolean ok = cursor.loadAt(0); ok && cursor.baseOffset < limit; ok = cursor.next()) {
      if ((cursor.attributes & RecordBatch.TRANSACTIONAL_FLAG_MASK) != 0 && cursor.lastOffset() >= from) {
        onScanned(segment, cursor);
      }
    }
  }

  private void onScanned(Segment segment, BatchCursor cursor) throws IOException {
    if (cursor.producerId < 0) {
      return;
    }
    if ((cursor.attributes & RecordBatch.CONTROL_FLAG_MASK) == 0) {
      start(cursor.producerId, cursor.baseOffset);
      return;
    }
    ByteBuffer bytes = ByteBuffer.allocate(cursor.sizeInBytes); // a marker: one small record
    Segment.readFully(segment.channel, bytes, cursor.position);
    RecordBatch marker = RecordBatch.wrap(bytes.flip());
    if (marker.recordCount() > 0) { // an empty one is a marker compaction removed
      end(cursor.producerId, cursor.baseOffset, ControlRecords.isCommit(marker), false);
    }
  }


  private List<AbortedTransaction> readFile(long logEnd) throws IOException {
    if (!Files.exists(file)) {
      return List.of();
    }
    ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file));
    List<AbortedTransaction> out = new ArrayList<>();
    while (in.remaining() >= ENTRY_BYTES) {
      AbortedTransaction a = new AbortedTransaction(in.getLong(), in.getLong(), in.getLong(), in.getLong());
      if (a.lastOffset() < logEnd) { // a marker the recovered log lost is no abort
        out.add(a);
      }
    }
    return List.copyOf(out);
  }

  private void writeFile() {
    List<AbortedTransaction> all = aborted;
    ByteBuffer out = ByteBuffer.allocate(all.size() * ENTRY_BYTES);
    for (AbortedTransaction a : all) {
      out.putLong(a.producerId()).putLong(a.firstOffset()).putLong(a.lastOffset()).putLong(a.lastStableOffset());
    }
    try {
      AtomicFile.replace(file, temp, out.array());
    } catch (IOException e) {
      throw new StorageException("Cannot write the aborted transactions of partition " + tp + " to " + file
          + ": " + e, e);
    }
  }
}
