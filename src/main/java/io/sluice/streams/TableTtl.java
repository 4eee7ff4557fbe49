package io.sluice.streams;

import io.sluice.streams.state.Bytes;
import io.sluice.streams.state.Kv;
import io.sluice.streams.state.StoreState;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A table's rows with a TTL ({@link Step.Join#rowTtl}: a table read alone, a stream-table join's table): a row not
 * updated for {@code ttl} in the table's stream time is forgotten, with an aggregation's semantics ({@link
 * Aggregates}): its changelog gets tombstones, an expiry index finds due rows, at most a budget per record, a due row
 * no record deleted yet is absent for queries and lookups and is expired first by its key's next record, and
 * {@code on_expiry: tombstone} sends a table's forgotten key down its steps as a null.
 *
 * <p>Store layout besides the rows ({@code 'K' key}: the value's bytes, as without a TTL):
 * <pre>
 * 'T' key        the row's last update time (8 bytes: the highest record time that wrote it)    (logged)
 * 'S'            the table's stream time (8 bytes), written by a delete record that moves it    (logged)
 * 'X' at(8) 'K' key   a row to forget once the stream time reaches at                           (local)
 * 'N' key        a row without an update time still to be given one                             (local)
 * </pre>
 * The row's value keeps its format, so changelogs written before (or without a TTL) load as they are; the update
 * time is a record of its own in the changelog. The table's stream time is the highest time of the table's records
 * (puts and deletes; a join's stream records only read the table, and move nothing, as Kafka's versioned stores'
 * observed stream time): a restore takes it back as the highest of the update times and {@code 'S'}, which is exact,
 * since the row that holds it can be removed only by a delete record, which then writes {@code 'S'}. A row without an
 * update time (stored before the table had a TTL) is given the stream time as one by the next records, a budget
 * per record, logged, so a replay gives it the same.
 */
final class TableTtl {
  static final byte TIME = 'T';
  static final byte STREAM_TIME = 'S';
  static final byte UNSTAMPED = 'N';

  private TableTtl() {
  }

  static byte[] timeKey(byte[] keyBytes) {
    return ByteBuffer.allocate(1 + keyBytes.length).put(TIME).put(keyBytes).array();
  }

  private static byte[] unstampedKey(byte[] keyBytes) {
    return ByteBuffer.allocate(1 + keyBytes.length).put(UNSTAMPED).put(keyBytes).array();
  }

  private static byte[] time(long t) {
    ByteBuffer b = ByteBuffer.allocate(8);
    Bytes.putLong(b, t);
    return b.array();
  }

  static Long readTime(byte[] v) {
    return v == null ? null : Bytes.getLong(ByteBuffer.wrap(v));
  }

  /**
   * A table record of key {@code keyBytes} at {@code time}: counts its time into the stream time and forgets the row
   * first if it is due (so a put starts afresh and a delete finds nothing).
   */
  static void arrive(Step.Join j, StoreState st, Object key, byte[] keyBytes, long time, Aggregates.Emit emit)
      throws ProcessingException {
    st.observe(time);
    forgetIfDue(j, st, key, keyBytes, emit);
  }

  /** Forgets the row of {@code keyBytes} if it is due (a lookup then finds nothing). */
  static void forgetIfDue(Step.Join j, StoreState st, Object key, byte[] keyBytes, Aggregates.Emit emit)
      throws ProcessingException {
    Long updated = readTime(st.tx().get(timeKey(keyBytes)));
    if (due(j, updated, st.streamTime())) {
      expire(j, st, key, keyBytes, updated, emit);
    }
  }

  /** Whether a stored row last updated at {@code updated} is due at stream time {@code streamTime}. */
  static boolean due(Step.Join j, Long updated, long streamTime) {
    return updated != null && Aggregates.expiry(j.ttlMs(), updated) <= streamTime;
  }

  /** The row was written at {@code time}: its update time becomes the later of it and the one before. */
  static void put(Step.Join j, StoreState st, byte[] keyBytes, long time) {
    byte[] k = StoreState.groupKey(keyBytes);
    Long before = readTime(st.tx().get(timeKey(keyBytes)));
    long updated = before == null ? time : Math.max(before, time);
    if (before != null) {
      st.tx().deleteLocal(StoreState.indexKey(StoreState.EXPIRE, Aggregates.expiry(j.ttlMs(), before), k));
    }
    st.tx().deleteLocal(unstampedKey(keyBytes));
    st.tx().put(timeKey(keyBytes), time(updated));
    st.tx().putLocal(StoreState.indexKey(StoreState.EXPIRE, Aggregates.expiry(j.ttlMs(), updated), k), new byte[0]);
    st.indexAdded(StoreState.EXPIRE, Aggregates.expiry(j.ttlMs(), updated));
  }

  /** A delete record (the row, if any, is deleted by the caller): drops its time, keeps the stream time it moved. */
  static void delete(Step.Join j, StoreState st, byte[] keyBytes) {
    unindex(j, st, keyBytes);
    Long kept = readTime(st.tx().get(new byte[] {STREAM_TIME}));
    if (kept == null || kept < st.streamTime()) {
      st.tx().put(new byte[] {STREAM_TIME}, time(st.streamTime()));
    }
  }

  private static void unindex(Step.Join j, StoreState st, byte[] keyBytes) {
    byte[] tk = timeKey(keyBytes);
    Long updated = readTime(st.tx().get(tk));
    if (updated != null) {
      st.tx().delete(tk);
      st.tx().deleteLocal(StoreState.indexKey(StoreState.EXPIRE, Aggregates.expiry(j.ttlMs(), updated),
          StoreState.groupKey(keyBytes)));
    }
    st.tx().deleteLocal(unstampedKey(keyBytes));
  }

  private static void expire(Step.Join j, StoreState st, Object key, byte[] keyBytes, long updated,
      Aggregates.Emit emit) throws ProcessingException {
    unindex(j, st, keyBytes);
    st.tx().delete(StoreState.groupKey(keyBytes));
    Aggregates.forget(j.ttlMs(), j.tombstoneOnExpiry(), st, key, Aggregates.expiry(j.ttlMs(), updated), emit);
  }

  /**
   * After each record: gives up to {@code budget} rows without an update time the stream time as one, then forgets
   * up to {@code budget} due rows (the rest on later records; queries and lookups take them for absent meanwhile).
   */
  static void close(Step.Join j, StoreState st, Format keyFormat, int budget, Aggregates.Emit emit)
      throws ProcessingException {
    if (st.streamTime() == Long.MIN_VALUE) {
      return;
    }
    if (st.unstampedRows()) {
      stamp(j, st, budget);
    }
    if (!st.indexMayHold(StoreState.EXPIRE, st.streamTime())) {
      return;
    }
    List<Kv.Entry> due = st.tx().scan(st.indexStart(StoreState.EXPIRE),
        StoreState.indexUpTo(StoreState.EXPIRE, st.streamTime()), budget);
    for (Kv.Entry e : due) {
      byte[] keyBytes = StoreState.parse(StoreState.indexTarget(e.key())).key();
      Object key = j.tombstoneOnExpiry() ? keyFormat.decode("key_format", keyBytes) : null;
      expire(j, st, key, keyBytes, StoreState.indexTime(e.key()) - j.ttlMs(), emit);
    }
    if (due.size() < budget) {
      Aggregates.doneThrough(st, StoreState.EXPIRE, st.streamTime());
    }
  }

  private static void stamp(Step.Join j, StoreState st, int budget) {
    byte[] from = {UNSTAMPED};
    byte[] to = {UNSTAMPED + 1};
    if (st.kv().scan(from, to, 1).isEmpty()) {
      st.unstampedRows(false); // read from the committed store: none left whatever this record does
      return;
    }
    for (Kv.Entry e : st.tx().scan(from, to, budget)) {
      put(j, st, java.util.Arrays.copyOfRange(e.key(), 1, e.key().length), st.streamTime());
    }
  }

  /** Rebuilds a restored table's expiry index, rows still to stamp, and stream time from its content. A worker. */
  static void rebuild(Step.Join j, StoreState st) {
    long streamTime = Math.max(Long.MIN_VALUE, orMin(readTime(st.kv().get(new byte[] {STREAM_TIME}))));
    byte[] from = {StoreState.GROUP};
    byte[] to = {StoreState.GROUP + 1};
    boolean unstamped = false;
    while (true) {
      List<Kv.Entry> page = st.kv().scan(from, to, 10_000);
      List<Kv.Change> index = new ArrayList<>(page.size());
      for (Kv.Entry e : page) {
        byte[] keyBytes = StoreState.parse(e.key()).key();
        Long updated = readTime(st.kv().get(timeKey(keyBytes)));
        if (updated == null) {
          unstamped = true;
          index.add(new Kv.Change(unstampedKey(keyBytes), new byte[0]));
        } else {
          streamTime = Math.max(streamTime, updated);
          index.add(new Kv.Change(StoreState.indexKey(StoreState.EXPIRE, Aggregates.expiry(j.ttlMs(), updated),
              e.key()), new byte[0]));
        }
      }
      st.kv().write(index);
      if (page.size() < 10_000) {
        break;
      }
      from = Bytes.concat(page.get(page.size() - 1).key(), new byte[] {0});
    }
    st.unstampedRows(unstamped);
    st.restoredStreamTime(streamTime);
  }

  private static long orMin(Long t) {
    return t == null ? Long.MIN_VALUE : t;
  }
}
