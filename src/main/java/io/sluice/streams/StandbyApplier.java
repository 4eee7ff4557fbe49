package io.sluice.streams;

import io.sluice.record.Header;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.streams.state.Kv;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;

/**
 * What a standby copy of a task's store applies from the changelog it tails, in changelog order: the task's records
 * of inputs before the latest checkpoint it knows of, never one after. The checkpoint comes from the compaction bound
 * markers the task writes once a checkpoint is durable ({@link RecordBatch#COMPACTION_BOUND_HEADER}: the first
 * sequence after it). A record at or above the bound waits (held back, in order) until a later marker passes it: it
 * may belong to inputs a crash makes the next owner process again, and the store must never be ahead of a checkpoint.
 *
 * <p>So the standby store holds exactly the task's records before {@link #resumeFrom} (once one is held back, every
 * later one is too, until a marker releases them from the front), and none after it. A task that takes the store over
 * restores from {@link #resumeFrom} with its own checkpoint (at or past every marker, as markers follow durable
 * checkpoints), applying the records of inputs before it, which makes exactly the checkpoint's state, as a restore
 * from the beginning would.
 * Not thread-safe: the standby's loop, one fetch at a time.
 */
final class StandbyApplier {
  private final byte[] taskId;
  private long boundSeq = Long.MIN_VALUE;
  private long position;
  /** Records of this task read but not applied (at or above the bound), in changelog order. */
  private final Deque<Held> held = new ArrayDeque<>();

  private record Held(long offset, long seq, Kv.Change change) {
  }

  /** {@code from}: the changelog offset where the task's records begin. */
  StandbyApplier(byte[] taskId, long from) {
    this(taskId, from, Long.MIN_VALUE);
  }

  /**
   * Resumes where a previous applier's store ended: {@code from} its {@link #resumeFrom}, {@code bound} its
   * {@link #bound} when it wrote that store.
   */
  StandbyApplier(byte[] taskId, long from, long bound) {
    this.taskId = taskId.clone();
    this.position = from;
    this.boundSeq = bound;
  }

  /** The first sequence past the latest checkpoint seen (Long.MIN_VALUE before any marker). */
  long bound() {
    return boundSeq;
  }

  /**
   * Takes the changelog's records from {@link #position} on (in offset order, control batches left out; those below
   * the position are skipped), and answers the changes to write to the store, in order. {@code next}: where the
   * read continues (past gaps that compaction left).
   */
  List<Kv.Change> accept(List<Record> records, long next) {
    List<Kv.Change> apply = new ArrayList<>();
    for (Record r : records) {
      if (r.offset() < position) {
        continue;
      }
      long bound = header(r, RecordBatch.COMPACTION_BOUND_HEADER);
      if (r.key() == null && bound >= 0) {
        if (bound > boundSeq) {
          boundSeq = bound;
          release(apply);
        }
        continue;
      }
      long seq = header(r, RecordBatch.SEQUENCE_HEADER);
      if (seq < 0 || !Arrays.equals(value(r, TaskWriter.TASK_HEADER), taskId)) {
        continue; // not this task's (a previous incarnation's, say)
      }
      Kv.Change change = new Kv.Change(r.key(), r.value());
      if (seq < boundSeq && held.isEmpty()) {
        apply.add(change);
      } else {
        held.add(new Held(r.offset(), seq, change));
      }
    }
    position = Math.max(position, next);
    return apply;
  }

  /** Applies the held records the bound now passes, in order, up to the first it does not. */
  private void release(List<Kv.Change> apply) {
    while (!held.isEmpty() && held.peekFirst().seq() < boundSeq) {
      apply.add(held.pollFirst().change());
    }
  }

  /** Where the changelog has been read to. */
  long position() {
    return position;
  }

  /** Where a task taking the store over restores from: the first record held back, or the position. */
  long resumeFrom() {
    return held.isEmpty() ? position : held.peekFirst().offset();
  }

  /** Records read but waiting for a later checkpoint. */
  int heldBack() {
    return held.size();
  }

  private static byte[] value(Record r, String name) {
    for (Header h : r.headers()) {
      if (h.key().equals(name)) {
        return h.value();
      }
    }
    return null;
  }

  private static long header(Record r, String name) {
    byte[] v = value(r, name);
    if (v == null) {
      return -1;
    }
    try {
      return Long.parseLong(new String(v, StandardCharsets.US_ASCII));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
