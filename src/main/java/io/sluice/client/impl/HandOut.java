package io.sluice.client.impl;

import io.sluice.client.ConsumerRecord;
import io.sluice.client.StartPosition;
import io.sluice.client.TopicPartition;
import io.sluice.client.impl.ConsumerInstanceApi.Section;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The group consumer's per-partition state that the application's thread and the client's context share, and its
 * one owner: the assignment, the seek epochs, what was handed out of each partition ({@link Progress}) and what is
 * paused. A poll's records pass {@link #handOut} when they are emitted, which may be on the subscriber's thread (when
 * demand arrives there): it reads only concurrent maps and volatile fields. It drops records of partitions no longer
 * owned, of stale epochs and after close, holds back paused ones (remembering the first), and records the last offset
 * handed out per partition for commits and for the next reposition ({@link PollLoop}).
 */
final class HandOut {
  /** Marks a paused partition of which nothing was held back yet. */
  static final long NONE_HELD = -1;

  private final Object lock = new Object();
  private final Map<TopicPartition, Long> pausedAt = new ConcurrentHashMap<>();
  private final Map<TopicPartition, Integer> seekEpochs = new ConcurrentHashMap<>();
  private final Map<TopicPartition, Progress> progress = new ConcurrentHashMap<>();
  /**
   * Bumped under {@code lock} by whatever changes a hand-out's checks (assignment, seek, pause, resume).
   * Volatile: {@link #handOut}'s fast path reads it without the lock.
   */
  private volatile long changes;
  private volatile Set<TopicPartition> assignment = Set.of();
  private volatile boolean closed;
  /** What revoked partitions added to {@link #handedOut} (context only): a revocation must not move it. */
  private long retired;

  /**
   * One partition's hand-out state, changed in place under the lock (a record handed out costs one field write, not
   * two map entries and a position object); volatile for readers on the client's context. The offset after the last
   * record handed out is {@code delivered + 1}, not a field of its own: each volatile write is a fence on the event
   * loop, for every record.
   */
  private static final class Progress {
    /**
     * Written by {@link #handOut}'s fast path with a release store: readers on other threads (commits, a reposition)
     * may see it a moment late, which only commits less; a volatile write per record was a fence on the event loop.
     */
    private static final VarHandle DELIVERED;

    static {
      try {
        DELIVERED = MethodHandles.lookup().findVarHandle(Progress.class, "delivered", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    /** The last offset handed out since the partition was assigned, or {@link #NONE}. */
    volatile long delivered = NONE;
    /** The last seek, while no record was handed out after it. */
    volatile StartPosition seek;

    static final long NONE = -1;

    /** Where the application's next record is: the last seek, else after the last record handed out, else null. */
    StartPosition resumeAt() {
      StartPosition at = seek;
      if (at != null) {
        return at;
      }
      long last = delivered;
      return last == NONE ? null : StartPosition.offset(last + 1);
    }

    /** Whether {@code offset} lies before the application's position: handed out before, or skipped by a seek. */
    boolean before(long offset) {
      StartPosition at = seek;
      if (at != null) {
        return at instanceof StartPosition.Offset o && offset < o.offset();
      }
      return offset <= delivered; // NONE is -1: no offset lies before it
    }
  }

  /**
   * One partition's consecutive records in a poll: the partition, its seek epoch when the poll was chained, and what
   * {@link #handOut} found of it at {@link #changes} {@code checkedAt} (owned, same epoch, not paused; its
   * {@link Progress}), so the partition's map lookups are made again only after something changed, not per record.
   */
  static final class Run {
    final TopicPartition tp;
    final int epoch;
    final Iterable<ConsumerRecord> records;
    private long checkedAt = -1;
    private Progress progress;

    Run(TopicPartition tp, int epoch, Iterable<ConsumerRecord> records) {
      this.tp = tp;
      this.epoch = epoch;
      this.records = records;
    }
  }

  private Progress progress(TopicPartition tp) {
    Progress p = progress.get(tp);
    return p != null ? p : progress.computeIfAbsent(tp, k -> new Progress());
  }

  Set<TopicPartition> assignment() {
    return assignment;
  }

  boolean closed() {
    return closed;
  }

  /** From now on nothing is handed out. */
  void close() {
    synchronized (lock) {
      closed = true;
    }
  }

  /** Empties the assignment on close (nothing is handed out any more) and answers what it was. */
  Set<TopicPartition> dropAssignment() {
    Set<TopicPartition> owned = assignment;
    assignment = Set.of();
    return owned;
  }

  /**
   * Takes the broker's assignment. A partition that comes back later starts from the group's commit, not from what
   * this member saw: records of a revoked one polled before (the poll ahead's, or the rest of a poll being handed
   * out) are never handed out, even once it is owned again, or a record handed out after them would commit past the
   * ones dropped meanwhile.
   */
  void reassign(Set<TopicPartition> owned, Set<TopicPartition> revoked) {
    synchronized (lock) {
      assignment = Set.copyOf(owned);
      changes++;
      for (TopicPartition tp : revoked) {
        seekEpochs.merge(tp, 1, Integer::sum);
        Progress gone = progress.remove(tp);
        if (gone != null) {
          retired += gone.delivered + 1;
        }
        pausedAt.remove(tp);
      }
    }
  }

  /** The seek epochs now, for a poll being chained. */
  Map<TopicPartition, Integer> epochs() {
    return Map.copyOf(seekEpochs);
  }

  /** Moves the application's position at once: no record polled before is handed out after. */
  void seek(TopicPartition tp, StartPosition position) {
    synchronized (lock) {
      seekEpochs.merge(tp, 1, Integer::sum);
      progress(tp).seek = position;
      changes++;
    }
  }

  /** After a seek the records held back of a paused partition are skipped: none is held now. */
  void sought(TopicPartition tp) {
    pausedAt.replace(tp, NONE_HELD);
  }

  void pause(Set<TopicPartition> partitions) {
    synchronized (lock) {
      partitions.forEach(tp -> pausedAt.putIfAbsent(tp, NONE_HELD));
      changes++;
    }
  }

  /**
   * Resumes a partition of which nothing was held back (the broker's position is the next record to hand out, so
   * holding back just stops) and answers null; for one with records held back answers the first, which stays
   * paused until {@link #resumed} (the caller seeks back to it first, so nothing is skipped).
   */
  Long resumeFrom(TopicPartition tp) {
    if (pausedAt.remove(tp, NONE_HELD) || !pausedAt.containsKey(tp)) {
      return null;
    }
    return pausedAt.get(tp);
  }

  void resumed(TopicPartition tp) {
    pausedAt.remove(tp);
  }

  Set<TopicPartition> paused() {
    return Set.copyOf(pausedAt.keySet());
  }

  /** Where the application's next record of {@code tp} is ({@link Progress#resumeAt}), or null. */
  StartPosition resumeAt(TopicPartition tp) {
    Progress p = progress.get(tp);
    return p == null ? null : p.resumeAt();
  }

  /** The last offset handed out of {@code tp} since it was assigned, or -1. */
  long delivered(TopicPartition tp) {
    Progress p = progress.get(tp);
    return p == null ? Progress.NONE : p.delivered;
  }

  /**
   * A number that grows with every record handed out and with nothing else, read at a liveness tick so that the
   * hand-out pays nothing: each partition's last offset handed out grows with each record. A revoked partition's
   * share is kept in {@link #retired}: a rebalance is no sign of the application (Kafka's poll timer moves with poll
   * alone), and a revocation that moved this number kept a member whose application stopped in its group.
   */
  long handedOut() {
    long sum = retired;
    for (Progress p : progress.values()) {
      sum += p.delivered + 1; // NONE (-1) adds nothing
    }
    return sum;
  }

  /** Whether the sections bring records the application already had: the broker's positions went back. */
  boolean rereads(List<Section> sections, Map<TopicPartition, Integer> epochs) {
    for (Section s : sections) {
      // A section's records come in offset order: its first is its lowest.
      TopicPartition tp = s.partition();
      Progress p = progress.get(tp);
      if (seekEpochs.getOrDefault(tp, 0).equals(epochs.getOrDefault(tp, 0)) && p != null && p.before(s.first())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Decides at emission (when there is demand for the record) whether it is handed out; see the class comment.
   * Not in an iterator's hasNext: Mutiny asks that after each item to find the end, before there is demand.
   */
  boolean handOut(Run run, ConsumerRecord r) {
    Progress checked = run.progress;
    if (run.checkedAt == changes && !closed && checked.seek == null) {
      // Fast path, without the lock (two CAS per record): nothing the run's checks read changed since they were made
      // (every such change bumps changes under the lock; a paused run's checkedAt is -1, never equal), not closed,
      // no seek to clear. It reads none of what a change changes, so a change made meanwhile orders after this
      // hand-out, as if it had waited for the lock: a seek leaves delivered beside its own position (resumeAt and
      // before() read the seek first), a revocation drops the Progress written here, a pause or close holds back
      // from the next record on.
      if (r.offset() <= checked.delivered) {
        return false; // handed out before: the broker's position went back (see PollLoop)
      }
      Progress.DELIVERED.setRelease(checked, r.offset());
      return true;
    }
    synchronized (lock) {
      return closed ? false : handOutLocked(run, r);
    }
  }

  private boolean handOutLocked(Run run, ConsumerRecord r) {
    if (run.checkedAt != changes) {
      TopicPartition tp = run.tp;
      if (!assignment.contains(tp) || seekEpochs.getOrDefault(tp, 0) != run.epoch) {
        return false;
      }
      run.progress = progress(tp);
      // A paused partition is looked up again at each record: the first held back is remembered below.
      run.checkedAt = pausedAt.containsKey(tp) ? -1 : changes;
    }
    Progress at = run.progress;
    if (at.before(r.offset())) {
      return false; // handed out before: the broker's position went back (see PollLoop)
    }
    if (run.checkedAt == -1 && pausedAt.containsKey(run.tp)) {
      pausedAt.computeIfPresent(run.tp, (k, held) -> held == NONE_HELD ? r.offset() : held);
      return false;
    }
    at.delivered = r.offset();
    if (at.seek != null) {
      at.seek = null; // written only when set: an unneeded volatile write per record would cost a fence
    }
    return true;
  }
}
