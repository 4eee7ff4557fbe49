package io.sluice.storage;

import io.sluice.record.AbortedTransaction;
import io.sluice.record.RecordBatch;
import io.sluice.record.RetainedBatch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongPredicate;

/**
 * What one compaction pass knows of transactions and producers (Kafka's {@code CleanedTransactionMetadata} and the
 * cleaner's "last batch of each active producer"), for the batches of the cleanable range read in offset order.
 *
 * <ul>
 *   <li>A data batch of an aborted transaction (its producer has an aborted transaction in the index spanning the
 *       batch) loses all its records, and none of them is any key's latest value.</li>
 *   <li>The last batch of each producer the partition still remembers is kept, empty if nothing in it stays, so a
 *       rebuild of the producer state from the log still finds the producer's last sequence (Kafka keeps it too).</li>
 *   <li>A transaction's marker stays while any batch of its transaction stays. Once none does, it is stamped with a
 *       delete horizon ({@code now + delete.retention.ms}, Kafka's KIP-534 two passes): a consumer that read the
 *       data before it went still meets the marker. A pass after the horizon removes it (and the index forgets an
 *       aborted transaction whose marker went). An empty control batch is a marker already removed.</li>
 * </ul>
 *
 * <p>A producer's transaction is tracked from its first batch in the pass to its marker; a pass reads the cleanable
 * range from the log start, so every transaction whose marker it reads is seen whole. Not thread-safe: one pass,
 * on the log's owner thread.
 */
final class CleanedTransactions {
  private final Map<Long, List<AbortedTransaction>> abortedByProducer = new HashMap<>();
  /** Producer id to the last offset of its last data batch in the log. */
  private final Map<Long, Long> lastDataOfProducer = new HashMap<>();
  /** Producer id to the offset of its last marker in the log. */
  private final Map<Long, Long> lastMarkerOfProducer = new HashMap<>();
  private final LongPredicate remembered;
  /** Producer id to whether a batch of its current transaction stays: read in this round. */
  private final Map<Long, Boolean> dataStays = new HashMap<>();
  private final Set<Long> removedAbortMarkers = new HashSet<>();
  private long nextHorizonMs = Long.MAX_VALUE;

  /**
   * @param aborted the partition's aborted transactions below the cleanable bound
   * @param remembered whether the partition's producer state still holds a producer id
   */
  CleanedTransactions(List<AbortedTransaction> aborted, LongPredicate remembered) {
    for (AbortedTransaction a : aborted) {
      abortedByProducer.computeIfAbsent(a.producerId(), pid -> new ArrayList<>(1)).add(a);
    }
    this.remembered = remembered;
  }

  /** Notes a batch read while the pass finds each key's latest offset (the whole log, in offset order). */
  void onScanned(RecordBatch batch) {
    long pid = batch.producerId();
    if (pid >= 0) {
      (batch.isControlBatch() ? lastMarkerOfProducer : lastDataOfProducer).put(pid, batch.lastOffset());
    }
  }

  /** Whether {@code batch}'s records belong to an aborted transaction. One flag test for a plain batch. */
  boolean isAborted(RecordBatch batch) {
    if (!batch.isTransactional() || batch.isControlBatch() || abortedByProducer.isEmpty()) {
      return false;
    }
    List<AbortedTransaction> aborted = abortedByProducer.get(batch.producerId());
    if (aborted != null) {
      for (AbortedTransaction a : aborted) {
        if (a.firstOffset() <= batch.baseOffset() && batch.lastOffset() <= a.lastOffset()) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Whether {@code batch} is the last of a producer the partition remembers: it stays, empty if need be. That is
   * the producer's last data batch (it holds the last sequence), or its last marker if it has no data batch.
   */
  boolean isLastOfProducer(RecordBatch batch) {
    long pid = batch.producerId();
    if (pid < 0 || !remembered.test(pid)) {
      return false;
    }
    Long data = lastDataOfProducer.get(pid);
    if (data != null) {
      return !batch.isControlBatch() && data == batch.lastOffset();
    }
    Long marker = lastMarkerOfProducer.get(pid);
    return batch.isControlBatch() && marker != null && marker == batch.lastOffset();
  }

  /** A new round of the pass reads the range from its start again. */
  void startRound() {
    dataStays.clear();
  }

  /** Notes whether a transactional data batch stayed (possibly empty) in the cleaned output. */
  void onDataBatch(RecordBatch batch, boolean stays) {
    if (batch.isTransactional()) {
      dataStays.merge(batch.producerId(), stays, Boolean::logicalOr);
    }
  }

  /**
   * What of {@code marker} stays: the batch itself, the batch stamped with a delete horizon, an empty control batch
   * (when {@code keepEmpty}: a segment's last batch), or null.
   */
  ByteBuffer retainMarker(RecordBatch marker, long nowMs, long deleteRetentionMs, boolean keepEmpty) {
    Boolean stays = dataStays.remove(marker.producerId());
    if (marker.recordCount() == 0) { // removed by an earlier pass
      return keepEmpty ? marker.buffer() : null;
    }
    if (Boolean.TRUE.equals(stays) || isLastOfProducer(marker)) {
      return marker.buffer();
    }
    long horizonMs = marker.deleteHorizonMs();
    if (horizonMs == RecordBatch.NO_TIMESTAMP || horizonMs > nowMs) {
      long dueMs = horizonMs == RecordBatch.NO_TIMESTAMP ? nowMs + deleteRetentionMs : horizonMs;
      nextHorizonMs = Math.min(nextHorizonMs, dueMs);
      return horizonMs == RecordBatch.NO_TIMESTAMP ? RetainedBatch.withDeleteHorizon(marker, dueMs) : marker.buffer();
    }
    if (isAbortedMarker(marker)) {
      removedAbortMarkers.add(marker.baseOffset());
    }
    return keepEmpty ? RetainedBatch.retain(marker, r -> false, true) : null;
  }

  private boolean isAbortedMarker(RecordBatch marker) {
    List<AbortedTransaction> aborted = abortedByProducer.get(marker.producerId());
    return aborted != null && aborted.stream().anyMatch(a -> a.lastOffset() == marker.baseOffset());
  }

  /** When the earliest marker stamped or kept for its horizon may go (Long.MAX_VALUE: none waits). */
  long nextHorizonMs() {
    return nextHorizonMs;
  }

  /** The offsets of the ABORT markers this pass removed. */
  Set<Long> removedAbortMarkers() {
    return removedAbortMarkers;
  }
}
