package io.sluice.share;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One share group's view of one partition (KIP-932's share-partition), kept by the partition's leader.
 *
 * <p>Offsets below the share-partition start offset (SPSO) are done: acknowledged, archived, or never to be
 * delivered. Offsets from the SPSO up to the share-partition end offset (SPEO, exclusive) are in flight, each with an
 * acquisition state; an offset in that range with no entry was a gap in the log (a compacted record, a control
 * record) and counts as done. Offsets at or past the SPEO have not been handed out yet.
 *
 * <p>Acquiring an offset makes it ACQUIRED by one member under a lock that expires {@code lockDurationMs} later and
 * raises its delivery count. An acknowledgement by the lock's holder moves it to ACKNOWLEDGED (ACCEPT), back to
 * AVAILABLE (RELEASE) or to ARCHIVED (REJECT); a lock that expires, or a member that leaves, releases it. A release
 * of a record already delivered {@code deliveryLimit} times archives it instead. The SPSO then moves past every done
 * offset at the front, so the in-flight range, bounded by {@code maxInFlight} offsets (Kafka's
 * {@code group.share.partition.max.record.locks}), slides along the log.
 *
 * <p>Pure state, no I/O: the caller reads the log, persists progress, and runs timers. Not thread-safe: the
 * partition's share-group host owns it on one context.
 */
final class SharePartition {

  /** KIP-932's acquisition states (ARCHIVING is not needed: an archive here is one step). */
  enum State { AVAILABLE, ACQUIRED, ACKNOWLEDGED, ARCHIVED }

  /** An acknowledgement's type, with Kafka's numbers (0 is a gap, which consumers never send here). */
  enum AckType {
    ACCEPT(1), RELEASE(2), REJECT(3);

    final int code;

    AckType(int code) {
      this.code = code;
    }
  }

  /** The configured limits: lock duration, delivery count limit, and the in-flight cap. */
  record Limits(long lockDurationMs, int deliveryLimit, int maxInFlight) {
    Limits {
      if (lockDurationMs <= 0 || deliveryLimit < 1 || maxInFlight < 1) {
        throw new IllegalArgumentException("share limits must be positive: " + lockDurationMs + " ms, "
            + deliveryLimit + " deliveries, " + maxInFlight + " in flight");
      }
    }
  }

  /** An offset handed to a member, with how many times it has now been delivered (1 the first time). */
  record Acquired(long offset, int deliveryCount) {
  }

  private static final class InFlight {
    State state = State.ACQUIRED;
    int deliveryCount;
    String member;
    long lockExpiresMs;
  }

  private final String name;
  private final Limits limits;
  private final TreeMap<Long, InFlight> inFlight = new TreeMap<>();
  private long startOffset;
  private long endOffset;
  private int stateEpoch;

  /** A share-partition whose first undelivered offset is {@code startOffset} (from share.auto.offset.reset). */
  SharePartition(String name, long startOffset, Limits limits) {
    this.name = name;
    this.limits = limits;
    this.startOffset = startOffset;
    this.endOffset = startOffset;
  }

  long startOffset() {
    return startOffset;
  }

  /** Raised by each reset, so that a snapshot tells which start a state belongs to (KIP-932's state epoch). */
  int stateEpoch() {
    return stateEpoch;
  }

  /**
   * What {@code __share_group_state} keeps of this share-partition ({@link ShareStateTopic}): the start, the end, the
   * state epoch, and each in-flight offset's state and delivery count, in runs of equal ones. An ACQUIRED record is
   * kept with its holder and its lock's deadline, so that the next keeper, which keeps the members too, does not hand
   * it to another member while its holder may still acknowledge it.
   */
  Snapshot snapshot() {
    List<Batch> batches = new ArrayList<>();
    Batch run = null;
    for (Map.Entry<Long, InFlight> e : inFlight.entrySet()) {
      InFlight r = e.getValue();
      String holder = r.state == State.ACQUIRED ? r.member : null;
      long until = r.state == State.ACQUIRED ? r.lockExpiresMs : 0;
      if (run != null && run.lastOffset() + 1 == e.getKey() && run.state() == r.state
          && run.deliveryCount() == r.deliveryCount && java.util.Objects.equals(run.member(), holder)
          && run.lockExpiresMs() == until) {
        run = new Batch(run.firstOffset(), e.getKey(), r.state, r.deliveryCount, holder, until);
        batches.set(batches.size() - 1, run);
      } else {
        run = new Batch(e.getKey(), e.getKey(), r.state, r.deliveryCount, holder, until);
        batches.add(run);
      }
    }
    return new Snapshot(startOffset, endOffset, stateEpoch, batches);
  }

  /**
   * The share-partition a {@link #snapshot} describes, as a new keeper takes it over: what was ACQUIRED stays so,
   * held by the same member until the same deadline; one written without a holder (an older snapshot) is released
   * (AVAILABLE with its delivery count kept, ARCHIVED once delivered {@code deliveryLimit} times), as a lock that
   * timed out would be. The keeper then releases what members it does not know hold ({@link #releaseUnless}).
   */
  static SharePartition restore(String name, Snapshot snapshot, Limits limits) {
    SharePartition sp = new SharePartition(name, snapshot.startOffset(), limits);
    sp.endOffset = Math.max(snapshot.startOffset(), snapshot.endOffset());
    sp.stateEpoch = snapshot.stateEpoch();
    for (Batch b : snapshot.batches()) {
      for (long offset = Math.max(b.firstOffset(), sp.startOffset); offset <= b.lastOffset()
          && offset < sp.endOffset; offset++) {
        InFlight r = new InFlight();
        r.state = b.state();
        r.deliveryCount = b.deliveryCount();
        r.member = b.member();
        r.lockExpiresMs = b.lockExpiresMs();
        sp.inFlight.put(offset, r);
        if (r.state == State.ACQUIRED && r.member == null) {
          sp.release(r);
        }
      }
    }
    sp.advance();
    return sp;
  }

  /** A share-partition's kept state ({@link #snapshot}). */
  record Snapshot(long startOffset, long endOffset, int stateEpoch, List<Batch> batches) {
  }

  /**
   * Offsets {@code firstOffset..lastOffset} (inclusive), all in {@code state}, each delivered {@code deliveryCount}
   * times; ACQUIRED ones held by {@code member} until {@code lockExpiresMs} (null and 0 in other states).
   */
  record Batch(long firstOffset, long lastOffset, State state, int deliveryCount, String member, long lockExpiresMs) {
    Batch(long firstOffset, long lastOffset, State state, int deliveryCount) {
      this(firstOffset, lastOffset, state, deliveryCount, null, 0);
    }
  }

  long endOffset() {
    return endOffset;
  }

  /** How many new offsets may still be acquired before the in-flight cap is reached. */
  int room() {
    return (int) Math.max(0, limits.maxInFlight() - (endOffset - startOffset));
  }

  /**
   * Re-acquires up to {@code max} AVAILABLE offsets (released or timed out), lowest first, for {@code member}.
   * Locks past their time are expired first.
   */
  List<Acquired> acquireAvailable(String member, int max, long nowMs) {
    expireLocks(nowMs);
    List<Acquired> out = new ArrayList<>();
    for (Map.Entry<Long, InFlight> e : inFlight.entrySet()) {
      if (out.size() >= max) {
        break;
      }
      if (e.getValue().state == State.AVAILABLE) {
        out.add(lock(e.getKey(), e.getValue(), member, nowMs));
      }
    }
    return out;
  }

  /**
   * Acquires, for {@code member}, the offsets a read of the log from the SPEO found ({@code logOffsets}, ascending),
   * up to {@code max} and the in-flight cap; offsets below the SPEO (another member took them while this read ran) are
   * skipped. {@code readEnd} is the offset after the read: when every offset found was taken, the SPEO moves there,
   * past trailing gaps.
   */
  List<Acquired> acquireNew(String member, List<Long> logOffsets, long readEnd, int max, long nowMs) {
    List<Acquired> out = new ArrayList<>();
    boolean tookAll = true;
    for (long offset : logOffsets) {
      if (offset < endOffset) {
        continue;
      }
      if (out.size() >= max || offset >= startOffset + limits.maxInFlight()) {
        tookAll = false;
        break;
      }
      InFlight record = new InFlight();
      inFlight.put(offset, record);
      out.add(lock(offset, record, member, nowMs));
      endOffset = offset + 1;
    }
    if (tookAll && readEnd > endOffset && readEnd <= startOffset + limits.maxInFlight()) {
      endOffset = readEnd;
    }
    advance();
    return out;
  }

  private Acquired lock(long offset, InFlight record, String member, long nowMs) {
    record.state = State.ACQUIRED;
    record.member = member;
    record.deliveryCount++;
    record.lockExpiresMs = nowMs + limits.lockDurationMs();
    return new Acquired(offset, record.deliveryCount);
  }

  /**
   * Gives back offsets acquired by {@link #acquireAvailable} or {@link #acquireNew} that could not be delivered (the
   * log read failed): they become AVAILABLE with the delivery they did not get uncounted.
   */
  void undeliver(String member, List<Long> offsets) {
    for (long offset : offsets) {
      InFlight record = inFlight.get(offset);
      if (record != null && record.state == State.ACQUIRED && member.equals(record.member)) {
        record.deliveryCount--;
        record.state = State.AVAILABLE;
        record.member = null;
      }
    }
  }

  /**
   * Applies {@code member}'s acknowledgement of {@code offset}. Fails with INVALID_RECORD_STATE when the record is
   * not acquired by that member now (never delivered, acknowledged already, its lock expired, held by another).
   */
  void acknowledge(String member, long offset, AckType type) {
    InFlight record = inFlight.get(offset);
    if (record == null || record.state != State.ACQUIRED || !member.equals(record.member)) {
      throw new SluiceException(ErrorCode.INVALID_RECORD_STATE, "Offset " + offset + " of " + name
          + " is not acquired by member '" + member + "' (" + describe(offset, record) + ")");
    }
    switch (type) {
      case ACCEPT -> finish(record, State.ACKNOWLEDGED);
      case REJECT -> finish(record, State.ARCHIVED);
      case RELEASE -> release(record);
    }
    advance();
  }

  private String describe(long offset, InFlight record) {
    if (record != null) {
      return record.state == State.ACQUIRED ? "acquired by another member" : record.state.toString();
    }
    return offset < startOffset ? "done: below the start offset " + startOffset
        : offset >= endOffset ? "not delivered yet" : "not a record";
  }

  private static void finish(InFlight record, State state) {
    record.state = state;
    record.member = null;
  }

  private void release(InFlight record) {
    finish(record, record.deliveryCount >= limits.deliveryLimit() ? State.ARCHIVED : State.AVAILABLE);
  }

  /** Releases every lock past its time; true when any was. */
  boolean expireLocks(long nowMs) {
    boolean any = false;
    for (InFlight record : inFlight.values()) {
      if (record.state == State.ACQUIRED && record.lockExpiresMs <= nowMs) {
        release(record);
        any = true;
      }
    }
    if (any) {
      advance();
    }
    return any;
  }

  /** Releases every record {@code member} holds (it left or its session expired). */
  void releaseMember(String member) {
    for (InFlight record : inFlight.values()) {
      if (record.state == State.ACQUIRED && member.equals(record.member)) {
        release(record);
      }
    }
    advance();
  }

  /** Releases every record held by a member {@code known} does not name (restored without its holder). */
  void releaseUnless(java.util.function.Predicate<String> known) {
    for (InFlight record : inFlight.values()) {
      if (record.state == State.ACQUIRED && !known.test(record.member)) {
        release(record);
      }
    }
    advance();
  }

  /** True when {@code member} holds {@code offset} now. */
  boolean holds(String member, long offset) {
    InFlight record = inFlight.get(offset);
    return record != null && record.state == State.ACQUIRED && member.equals(record.member);
  }

  /** The earliest lock expiry, or {@code Long.MAX_VALUE} with no record acquired. */
  long nextLockExpiryMs() {
    long next = Long.MAX_VALUE;
    for (InFlight record : inFlight.values()) {
      if (record.state == State.ACQUIRED) {
        next = Math.min(next, record.lockExpiresMs);
      }
    }
    return next;
  }

  /** True while some member holds a record. */
  boolean anyAcquired() {
    return nextLockExpiryMs() != Long.MAX_VALUE;
  }

  /**
   * The log's start moved to {@code logStartOffset} (retention, deleted records): what lies below is gone, so the
   * share-partition starts there too.
   */
  void logStartMoved(long logStartOffset) {
    if (logStartOffset > startOffset) {
      inFlight.headMap(logStartOffset).clear();
      startOffset = logStartOffset;
      endOffset = Math.max(endOffset, logStartOffset);
      advance();
    }
  }

  /**
   * Moves the start to {@code offset} and forgets every in-flight state (kafka-share-groups.sh --reset-offsets).
   * Only while no record is acquired; the caller checks the group is empty.
   */
  void resetTo(long offset) {
    if (anyAcquired()) {
      throw new SluiceException(ErrorCode.NON_EMPTY_GROUP, "Records of " + name + " are acquired; the share group"
          + " must be empty to reset its start offset");
    }
    inFlight.clear();
    startOffset = offset;
    endOffset = offset;
    stateEpoch++;
  }

  /** How many in-flight offsets are in each state. */
  Map<State, Integer> stateCounts() {
    Map<State, Integer> counts = new EnumMap<>(State.class);
    for (State s : State.values()) {
      counts.put(s, 0);
    }
    inFlight.values().forEach(r -> counts.merge(r.state, 1, Integer::sum));
    return counts;
  }

  /** The state of {@code offset}: null when it is not in flight. */
  State stateOf(long offset) {
    InFlight record = inFlight.get(offset);
    return record == null ? null : record.state;
  }

  /** Moves the SPSO past the done offsets and gaps at the front. */
  private void advance() {
    Iterator<Map.Entry<Long, InFlight>> it = inFlight.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, InFlight> e = it.next();
      State s = e.getValue().state;
      if (s != State.ACKNOWLEDGED && s != State.ARCHIVED) {
        startOffset = e.getKey();
        return;
      }
      it.remove();
    }
    startOffset = endOffset;
  }
}
