package io.sluice.record;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Kafka's read_committed consumer algorithm over one partition's batches, read in offset order: a transactional
 * batch is skipped while its producer has an aborted transaction that started at or before the batch's last offset
 * and whose ABORT marker has not been passed yet; control batches are never records. One per read (stateful).
 */
public final class AbortedBatches {
  /** Skips control batches only: read_uncommitted, or read_committed with no aborted transaction in range. */
  private static final AbortedBatches NONE = new AbortedBatches(List.of());

  private final List<AbortedTransaction> pending;
  private final Set<Long> active = new HashSet<>();
  private int next;

  private AbortedBatches(List<AbortedTransaction> aborted) {
    List<AbortedTransaction> sorted = new ArrayList<>(aborted);
    sorted.sort(Comparator.comparingLong(AbortedTransaction::firstOffset));
    this.pending = sorted;
  }

  /** A filter for a read whose range overlaps {@code aborted} (empty: control batches are the only ones skipped). */
  public static AbortedBatches of(List<AbortedTransaction> aborted) {
    return aborted.isEmpty() ? NONE : new AbortedBatches(aborted);
  }

  /** Whether the records of {@code batch}, the next in offset order, are left out of a read_committed read. */
  public boolean skip(RecordBatch batch) {
    if (pending.isEmpty()) {
      return batch.isControlBatch();
    }
    while (next < pending.size() && pending.get(next).firstOffset() <= batch.lastOffset()) {
      active.add(pending.get(next++).producerId());
    }
    if (batch.isControlBatch()) {
      if (!ControlRecords.isCommit(batch)) {
        active.remove(batch.producerId());
      }
      return true;
    }
    return batch.isTransactional() && active.contains(batch.producerId());
  }
}
