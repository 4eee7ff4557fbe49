package io.sluice.streams;

import dev.cel.common.values.NullValue;
import io.sluice.streams.state.Kv;
import io.sluice.streams.state.StoreState;
import io.sluice.streams.state.Tx;
import io.sluice.streams.state.WindowSpec;
import io.sluice.streams.state.WindowSpec.Bounds;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs an {@link Step.Aggregate} step on one record against its task's store ({@link StoreState} shows the layout):
 * folds the record into its key's aggregate or windows, and hands each changed result ({@code emit: update}) or
 * each window as it closes ({@code emit: final}) to the steps after it. Deterministic (record time only), so a
 * replayed record changes the store and emits exactly as the first time. Not thread-safe: one task's records.
 */
final class Aggregates {
  static final String WINDOW_START = "sluice.window.start";
  static final String WINDOW_END = "sluice.window.end";
  /** On a TTL's tombstone: the key's last update time (epoch ms) before it expired. */
  static final String EXPIRED = "sluice.streams.expired";

  /** Where results go. */
  interface Emit {
    /** Runs the steps after the aggregation on one result. */
    void result(Object key, Object value, Map<String, String> headers, long timestamp) throws ProcessingException;

    /** A record for the dead-letter topic (a late record, or a closing window whose later steps failed). */
    void deadLetter(Object key, Object value, long timestamp, String step, String error) throws ProcessingException;
  }

  private Aggregates() {
  }

  /** A stored aggregate: its state, its latest record time, and whether its final result was emitted. */
  record Stored(Object state, long time, boolean emitted) {
    static Stored read(byte[] bytes) {
      if (bytes == null) {
        return null;
      }
      JsonObject o = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
      return new Stored(Format.toCel(o.getValue("a")), o.getLong("t", 0L), o.getBoolean("e", false));
    }

    byte[] bytes() {
      JsonObject o = new JsonObject().put("a", Format.fromCel(state)).put("t", time);
      if (emitted) {
        o.put("e", true);
      }
      return o.encode().getBytes(StandardCharsets.UTF_8);
    }
  }

  /**
   * Folds one record in. {@code key}: the group key (CEL) and {@code keyBytes} its bytes in the key format;
   * {@code vars}: the record's variables; {@code time}: its record time.
   */
  static void apply(Step.Aggregate a, StoreState st, Object key, byte[] keyBytes, Map<String, Object> vars,
      long time, long offset, Emit emit) throws ProcessingException {
    WindowSpec w = a.window();
    if (w == null) {
      byte[] k = StoreState.groupKey(keyBytes);
      Stored cur = Stored.read(st.tx().get(k));
      if (cur != null && expired(a, cur.time(), Math.max(st.streamTime(), time))) {
        // Due, but no record's budget reached it yet: it expired all the same, and the record starts afresh.
        st.tx().deleteLocal(StoreState.indexKey(StoreState.EXPIRE, expiry(a, cur.time()), k));
        forget(a.ttlMs(), a.tombstoneOnExpiry(), st, key, expiry(a, cur.time()), emit);
        cur = null;
      }
      Object state = Folds.add(a.agg(), a.where(), cur == null ? null : cur.state(), vars);
      long updated = a.ttlMs() > 0 && cur != null ? Math.max(time, cur.time()) : time;
      st.tx().put(k, new Stored(state, updated, false).bytes());
      if (a.ttlMs() > 0) {
        expireAt(a, st, k, cur, updated);
      }
      emit.result(key, Folds.result(a.agg(), state), new LinkedHashMap<>(), time);
      return;
    }
    st.observe(time);
    boolean accepted = switch (w.kind()) {
      case TUMBLING, HOPPING -> fixed(a, st, key, keyBytes, vars, time, emit);
      case SESSION -> session(a, st, key, keyBytes, vars, time, emit);
      case SLIDING -> sliding(a, st, key, keyBytes, vars, time, offset, emit);
    };
    if (!accepted) {
      st.countLate();
      if (a.lateToDeadLetter()) {
        emit.deadLetter(key, vars.get("value"), time, a.where(), "late record: time " + time + " is past the grace"
            + " period of its windows (stream time " + st.streamTime() + ", grace " + w.grace() + " ms)");
      }
    }
  }

  /**
   * TTL: moves the key's entry in the expiry index to its last update time plus the TTL, and counts the record's
   * time into the stream time that expiry follows.
   */
  private static void expireAt(Step.Aggregate a, StoreState st, byte[] k, Stored cur, long updated) {
    st.observe(updated);
    if (cur != null) {
      st.tx().deleteLocal(StoreState.indexKey(StoreState.EXPIRE, expiry(a, cur.time()), k));
    }
    st.tx().putLocal(StoreState.indexKey(StoreState.EXPIRE, expiry(a, updated), k), new byte[0]);
    st.indexAdded(StoreState.EXPIRE, expiry(a, updated));
  }

  private static long expiry(Step.Aggregate a, long updated) {
    return expiry(a.ttlMs(), updated);
  }

  /** When an entry last updated at {@code updated} expires with a TTL of {@code ttlMs} (capped, never overflowing). */
  static long expiry(long ttlMs, long updated) {
    return updated > Long.MAX_VALUE - ttlMs ? Long.MAX_VALUE : updated + ttlMs;
  }

  /** Whether a key last updated at {@code updated} has expired at stream time {@code streamTime}. */
  static boolean expired(Step.Aggregate a, long updated, long streamTime) {
    return a.ttlMs() > 0 && a.window() == null && expiry(a, updated) <= streamTime;
  }

  /**
   * TTL: forgets the keys whose last update is at least the TTL behind the stream time, at most {@code budget} per
   * record (the rest on later records; queries hide them meanwhile). Each deletion is logged, so the changelog gets
   * the key's tombstone with the record's other outputs and a restore does not bring the key back. With
   * {@code on_expiry: tombstone} the steps after the aggregation get the key with a null value, timed at its expiry
   * (its last update plus the TTL); if they fail, it goes to the dead-letter topic and the key is forgotten anyway.
   */
  private static void expireKeys(Step.Aggregate a, StoreState st, Format keyFormat, int budget, Emit emit)
      throws ProcessingException {
    if (!st.indexMayHold(StoreState.EXPIRE, st.streamTime())) {
      return;
    }
    List<Kv.Entry> due = st.tx().scan(st.indexStart(StoreState.EXPIRE),
        StoreState.indexUpTo(StoreState.EXPIRE, st.streamTime()), budget);
    for (Kv.Entry e : due) {
      byte[] k = StoreState.indexTarget(e.key());
      st.tx().deleteLocal(e.key());
      st.tx().delete(k);
      Object key = a.tombstoneOnExpiry() ? keyFormat.decode("key_format", StoreState.parse(k).key()) : null;
      forget(a.ttlMs(), a.tombstoneOnExpiry(), st, key, StoreState.indexTime(e.key()), emit);
    }
    if (due.size() < budget) {
      doneThrough(st, StoreState.EXPIRE, st.streamTime());
    }
  }

  /**
   * Counts a key's expiry at {@code at} (its last update plus the TTL) and, with {@code on_expiry: tombstone}, hands
   * its tombstone to the steps after the aggregation or table (to the dead-letter topic if they fail).
   */
  static void forget(long ttlMs, boolean tombstone, StoreState st, Object key, long at, Emit emit)
      throws ProcessingException {
    st.countExpired();
    if (!tombstone) {
      return;
    }
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put(EXPIRED, Long.toString(at - ttlMs));
    try {
      emit.result(key, NullValue.NULL_VALUE, headers, at);
    } catch (ProcessingException ex) {
      emit.deadLetter(key, NullValue.NULL_VALUE, at, ex.step(), ex.getMessage());
    }
  }

  private static boolean fixed(Step.Aggregate a, StoreState st, Object key, byte[] keyBytes,
      Map<String, Object> vars, long time, Emit emit) throws ProcessingException {
    boolean any = false;
    for (Bounds b : a.window().windowsOf(time)) {
      if (a.window().closed(b, st.streamTime())) {
        continue;
      }
      any = true;
      byte[] k = StoreState.windowKey(keyBytes, b.start(), b.end());
      Stored cur = Stored.read(st.tx().get(k));
      if (cur == null) {
        index(a, st, k, b);
      }
      Object state = Folds.add(a.agg(), a.where(), cur == null ? null : cur.state(), vars);
      Stored next = new Stored(state, Math.max(time, cur == null ? time : cur.time()), false);
      st.tx().put(k, next.bytes());
      emitUpdate(a, key, b, next, emit);
    }
    return any;
  }

  private static boolean session(Step.Aggregate a, StoreState st, Object key, byte[] keyBytes,
      Map<String, Object> vars, long time, Emit emit) throws ProcessingException {
    WindowSpec w = a.window();
    long gap = w.size();
    if (w.closed(new Bounds(time, time), st.streamTime())) {
      return false;
    }
    long start = time;
    long end = time;
    Object state = null;
    long latest = time;
    // Sessions sort by start: none starting past time + gap can take the record.
    try (Tx.Scan scan = st.tx().scan(StoreState.windowPrefix(keyBytes),
        StoreState.windowKey(keyBytes, time + gap + 1, Long.MIN_VALUE))) {
      for (Kv.Entry e = scan.next(); e != null; e = scan.next()) {
        StoreState.Parsed p = StoreState.parse(e.key());
        Bounds b = new Bounds(p.a(), p.b());
        if (w.closed(b, st.streamTime()) || time < b.start() - gap || time > b.end() + gap) {
          continue; // closed sessions are final; others farther than the gap stay apart
        }
        Stored s = Stored.read(e.value());
        state = state == null ? s.state() : Folds.merge(a.agg(), a.where(), state, s.state(), vars);
        start = Math.min(start, b.start());
        end = Math.max(end, b.end());
        latest = Math.max(latest, s.time());
        st.tx().delete(e.key());
        unindex(a, st, e.key(), b);
      }
    }
    state = Folds.add(a.agg(), a.where(), state, vars);
    Bounds merged = new Bounds(start, end);
    byte[] k = StoreState.windowKey(keyBytes, start, end);
    Stored next = new Stored(state, latest, false);
    st.tx().put(k, next.bytes());
    index(a, st, k, merged);
    emitUpdate(a, key, merged, next, emit);
    return true;
  }

  private static boolean sliding(Step.Aggregate a, StoreState st, Object key, byte[] keyBytes,
      Map<String, Object> vars, long time, long offset, Emit emit) throws ProcessingException {
    WindowSpec w = a.window();
    long size = w.size();
    if (w.closed(new Bounds(time - size, time), st.streamTime())) {
      return false;
    }
    byte[] raw = StoreState.rawKey(keyBytes, time, offset);
    JsonObject r = new JsonObject().put("v", Format.fromCel(vars.get("value"))).put("h", vars.get("headers"))
        .put("t", time).put("o", offset);
    st.tx().put(raw, r.encode().getBytes(StandardCharsets.UTF_8));
    // A record is needed while an open window may still hold it: until closeTime passes time + size.
    st.tx().putLocal(StoreState.indexKey(StoreState.EXPIRE, time + size + 1, raw), new byte[0]);
    st.indexAdded(StoreState.EXPIRE, time + size + 1);
    slide(a, st, key, keyBytes, vars, time, emit);
    // The windows ending after the record that hold it: they start in [start(time + 1), start(time + size)] (keys
    // sort by start, then end), so the walk reads no window of the key outside them.
    try (Tx.Scan windows = st.tx().scan(StoreState.windowKey(keyBytes, w.slidingStart(time + 1), time + 1),
        StoreState.windowKey(keyBytes, w.slidingStart(time + size) + 1, Long.MIN_VALUE))) {
      for (Kv.Entry e = windows.next(); e != null; e = windows.next()) {
        long end = StoreState.parse(e.key()).b();
        if (end > time && end <= time + size) {
          slide(a, st, key, keyBytes, vars, end, emit);
        }
      }
    }
    return true;
  }

  /** Refolds the sliding window ending at {@code end} (a put on its own key: the walk over the windows goes on). */
  private static void slide(Step.Aggregate a, StoreState st, Object key, byte[] keyBytes, Map<String, Object> vars,
      long end, Emit emit) throws ProcessingException {
    Bounds b = new Bounds(a.window().slidingStart(end), end);
    byte[] k = StoreState.windowKey(keyBytes, b.start(), end);
    boolean fresh = st.tx().get(k) == null;
    Stored next = new Stored(refold(a, st, keyBytes, b.start(), end, vars), end, false);
    st.tx().put(k, next.bytes());
    if (fresh) {
      index(a, st, k, b);
    }
    emitUpdate(a, key, b, next, emit);
  }

  /** The fold of every stored record of the key with a time in [from, to], in time then offset order. */
  private static Object refold(Step.Aggregate a, StoreState st, byte[] keyBytes, long from, long to,
      Map<String, Object> vars) throws ProcessingException {
    Object state = null;
    try (Tx.Scan raw = st.tx().scan(StoreState.rawPrefix(keyBytes, from), StoreState.rawPrefix(keyBytes, to + 1))) {
      for (Kv.Entry e = raw.next(); e != null; e = raw.next()) {
        JsonObject r = new JsonObject(new String(e.value(), StandardCharsets.UTF_8));
        Map<String, Object> v = new HashMap<>(vars);
        v.put("value", Format.toCel(r.getValue("v")));
        Map<String, String> headers = new LinkedHashMap<>();
        r.getJsonObject("h", new JsonObject()).forEach(h -> headers.put(h.getKey(), String.valueOf(h.getValue())));
        v.put("headers", headers);
        v.put("timestamp", r.getLong("t"));
        v.put("offset", r.getLong("o"));
        state = Folds.add(a.agg(), a.where(), state, v);
      }
    }
    return state;
  }

  private static void index(Step.Aggregate a, StoreState st, byte[] k, Bounds b) {
    long closes = a.window().closesAt(b);
    if (a.emitFinal()) {
      st.tx().putLocal(StoreState.indexKey(StoreState.CLOSE, closes, k), new byte[0]);
      st.indexAdded(StoreState.CLOSE, closes);
    }
    st.tx().putLocal(StoreState.indexKey(StoreState.EXPIRE, a.window().expiresAt(closes), k), new byte[0]);
    st.indexAdded(StoreState.EXPIRE, a.window().expiresAt(closes));
  }

  private static void unindex(Step.Aggregate a, StoreState st, byte[] k, Bounds b) {
    long closes = a.window().closesAt(b);
    st.tx().deleteLocal(StoreState.indexKey(StoreState.CLOSE, closes, k));
    st.tx().deleteLocal(StoreState.indexKey(StoreState.EXPIRE, a.window().expiresAt(closes), k));
  }

  private static void emitUpdate(Step.Aggregate a, Object key, Bounds b, Stored s, Emit emit)
      throws ProcessingException {
    if (!a.emitFinal()) {
      emit.result(key, Folds.result(a.agg(), s.state()), windowHeaders(b), s.time());
    }
  }

  static Map<String, String> windowHeaders(Bounds b) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put(WINDOW_START, Long.toString(b.start()));
    h.put(WINDOW_END, Long.toString(b.end()));
    return h;
  }

  /**
   * Emits the final results of windows that closed (emit final) and deletes what expired, at most {@code budget}
   * of each per record so that one record never makes unboundedly many outputs: the rest follow on later records.
   * A closing window whose later steps fail goes to the dead-letter topic; the closing still happens.
   */
  static void close(Step.Aggregate a, StoreState st, Format keyFormat, int budget, Emit emit)
      throws ProcessingException {
    if (a.window() == null && a.ttlMs() > 0 && st.streamTime() != Long.MIN_VALUE) {
      expireKeys(a, st, keyFormat, budget, emit);
    }
    if (a.window() == null || st.streamTime() == Long.MIN_VALUE) {
      return;
    }
    long closeTime = st.streamTime() - a.window().grace();
    if (a.emitFinal() && st.indexMayHold(StoreState.CLOSE, closeTime)) {
      List<Kv.Entry> closing = st.tx().scan(st.indexStart(StoreState.CLOSE),
          StoreState.indexUpTo(StoreState.CLOSE, closeTime), budget);
      if (closing.size() < budget) {
        doneThrough(st, StoreState.CLOSE, closeTime); // each one below is processed (deleted) in the loop
      }
      for (Kv.Entry e : closing) {
        st.tx().deleteLocal(e.key());
        byte[] k = StoreState.indexTarget(e.key());
        Stored s = Stored.read(st.tx().get(k));
        if (s == null || s.emitted()) {
          continue;
        }
        st.tx().put(k, new Stored(s.state(), s.time(), true).bytes());
        StoreState.Parsed p = StoreState.parse(k);
        Object key = keyFormat.decode("key_format", p.key());
        Object value = Folds.result(a.agg(), s.state());
        try {
          emit.result(key, value, windowHeaders(new Bounds(p.a(), p.b())), s.time());
        } catch (ProcessingException ex) {
          emit.deadLetter(key, value, s.time(), ex.step(), ex.getMessage());
        }
      }
    }
    if (!st.indexMayHold(StoreState.EXPIRE, closeTime)) {
      return;
    }
    List<Kv.Entry> expiring = st.tx().scan(st.indexStart(StoreState.EXPIRE),
        StoreState.indexUpTo(StoreState.EXPIRE, closeTime), budget);
    boolean all = expiring.size() < budget;
    for (Kv.Entry e : expiring) {
      byte[] k = StoreState.indexTarget(e.key());
      if (a.emitFinal() && k[0] == StoreState.WINDOW) {
        Stored s = Stored.read(st.tx().get(k));
        if (s != null && !s.emitted()) {
          all = false;
          break; // its final result is still to be emitted (the closing budget ran out first)
        }
      }
      st.tx().deleteLocal(e.key());
      st.tx().delete(k);
    }
    if (all) {
      doneThrough(st, StoreState.EXPIRE, closeTime);
    }
  }

  /**
   * Every entry of index {@code kind} at or before {@code at} is processed: moves the scans' floor past them, and
   * looks up the next entry's time, so that the records before it skip the scan.
   */
  static void doneThrough(StoreState st, byte kind, long at) {
    st.indexDoneThrough(kind, at);
    if (at == Long.MAX_VALUE) {
      st.indexNextAt(kind, Long.MAX_VALUE);
      return;
    }
    List<Kv.Entry> next = st.tx().scan(StoreState.indexUpTo(kind, at), StoreState.indexFrom((byte) (kind + 1)), 1);
    st.indexNextAt(kind, next.isEmpty() ? Long.MAX_VALUE : StoreState.indexTime(next.get(0).key()));
  }

  /** Rebuilds a restored store's indexes and stream time from its content. Blocking: a worker. */
  static void rebuild(Step.Aggregate a, StoreState st) {
    if (a.window() == null) {
      if (a.ttlMs() > 0) {
        rebuildExpiry(a, st);
      }
      return;
    }
    long streamTime = Long.MIN_VALUE;
    byte[] from = new byte[] {StoreState.RAW};
    byte[] to = new byte[] {StoreState.WINDOW + 1};
    List<Kv.Change> index = new ArrayList<>();
    while (true) {
      List<Kv.Entry> page = st.kv().scan(from, to, 10_000);
      for (Kv.Entry e : page) {
        StoreState.Parsed p = StoreState.parse(e.key());
        if (p.kind() == StoreState.RAW) {
          streamTime = Math.max(streamTime, p.a());
          index.add(new Kv.Change(StoreState.indexKey(StoreState.EXPIRE, p.a() + a.window().size() + 1, e.key()),
              new byte[0]));
        } else if (p.kind() == StoreState.WINDOW) {
          Stored s = Stored.read(e.value());
          streamTime = Math.max(streamTime, s.time());
          long closes = a.window().closesAt(new Bounds(p.a(), p.b()));
          if (a.emitFinal() && !s.emitted()) {
            index.add(new Kv.Change(StoreState.indexKey(StoreState.CLOSE, closes, e.key()), new byte[0]));
          }
          index.add(new Kv.Change(StoreState.indexKey(StoreState.EXPIRE, a.window().expiresAt(closes), e.key()),
              new byte[0]));
        }
      }
      if (index.size() > 10_000 || page.size() < 10_000) {
        st.kv().write(index);
        index = new ArrayList<>();
      }
      if (page.size() < 10_000) {
        break;
      }
      from = io.sluice.streams.state.Bytes.concat(page.get(page.size() - 1).key(), new byte[] {0});
    }
    st.restoredStreamTime(streamTime);
  }

  /** TTL: the expiry index and the stream time (the latest update kept: it cannot have expired) from the keys. */
  private static void rebuildExpiry(Step.Aggregate a, StoreState st) {
    long streamTime = Long.MIN_VALUE;
    byte[] from = new byte[] {StoreState.GROUP};
    byte[] to = new byte[] {StoreState.GROUP + 1};
    while (true) {
      List<Kv.Entry> page = st.kv().scan(from, to, 10_000);
      List<Kv.Change> index = new ArrayList<>(page.size());
      for (Kv.Entry e : page) {
        long updated = Stored.read(e.value()).time();
        streamTime = Math.max(streamTime, updated);
        index.add(new Kv.Change(StoreState.indexKey(StoreState.EXPIRE, expiry(a, updated), e.key()), new byte[0]));
      }
      st.kv().write(index);
      if (page.size() < 10_000) {
        break;
      }
      from = io.sluice.streams.state.Bytes.concat(page.get(page.size() - 1).key(), new byte[] {0});
    }
    st.restoredStreamTime(streamTime);
  }

  static String json(Object celValue) {
    return Json.encode(Format.fromCel(celValue));
  }
}
