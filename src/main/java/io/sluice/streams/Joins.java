package io.sluice.streams;

import dev.cel.common.values.NullValue;
import io.sluice.streams.Step.JoinKind;
import io.sluice.streams.Step.JoinType;
import io.sluice.streams.state.Bytes;
import io.sluice.streams.state.Kv;
import io.sluice.streams.state.StoreState;
import io.sluice.streams.state.Tx;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link Step.Join} on one record read from the stream's repartition topic (where both sides met, in one
 * ordered log) against the task's store, and hands each joined record to the steps after it. Deterministic: what a
 * record meets is what came before it in that log, so a replay emits exactly as the first run.
 *
 * <p>Store layout (keys; values are the stream's value format's bytes unless said):
 * <pre>
 * 'K' key                               the table's row (a table alone, a stream-table join's table), or the result
 *                                       of a table-table join                                          (logged)
 * 'A' key, 'B' key                      a table-table join's left and right rows                         (logged)
 * 'L'|'M' len(4) key time(8) offset(8)  a stream-stream join's left|right record: JSON {"v": base64 value,
 *                                       "h": headers, "t": time, "m": matched}                           (logged)
 * 'X' at(8) recordKey                   a stream-stream record to close once closeTime >= at              (local)
 * 'T' key, 'S', 'X', 'N'                 a table's rows with a TTL: their update times ({@link TableTtl})
 * </pre>
 * A stream-stream record at time t joins the other side's records of its key with times in [t - within, t +
 * within]. Stream time is the highest record time seen; closeTime is stream time minus grace. A record with t below
 * closeTime is late (dropped, counted); a record is closed once closeTime passes t + within (no record that is not
 * late can join it any more): it is deleted then, and a left (outer) join emits it with a null partner if it never
 * joined. Not thread-safe: one task's records.
 */
final class Joins {
  /** The header that tags a record's side in the repartition topic ("L" or "R"). */
  static final String SIDE_HEADER = "sluice.join.side";
  static final byte LEFT_ROW = 'A';
  static final byte RIGHT_ROW = 'B';
  static final byte LEFT_REC = 'L';
  static final byte RIGHT_REC = 'M';

  private final Format keyFormat;
  private final Format valueFormat;

  Joins(StreamDefinition definition) {
    this.keyFormat = definition.keyFormat();
    this.valueFormat = definition.valueFormat();
  }

  /** One side's record at the join. {@code vars}: the record's variables, {@code key} its join key. */
  record Side(boolean right, Object key, byte[] keyBytes, Object value, Map<String, Object> vars, long time,
      long offset) {
    @SuppressWarnings("unchecked")
    Map<String, String> headers() {
      return (Map<String, String>) vars.get("headers");
    }
  }

  void apply(Step.Join j, StoreState st, Side in, Aggregates.Emit emit) throws ProcessingException {
    switch (j.kind()) {
      case TABLE -> table(j, st, in, emit);
      case STREAM_TABLE -> streamTable(j, st, in, emit);
      case TABLE_TABLE -> tableTable(j, st, in, emit);
      default -> streamStream(j, st, in, emit);
    }
  }

  private void table(Step.Join j, StoreState st, Side in, Aggregates.Emit emit) throws ProcessingException {
    byte[] k = StoreState.groupKey(in.keyBytes());
    if (j.rowTtl()) {
      TableTtl.arrive(j, st, in.key(), in.keyBytes(), in.time(), emit);
    }
    if (isNull(in.value())) {
      if (j.rowTtl()) {
        TableTtl.delete(j, st, in.keyBytes());
      }
      if (st.tx().get(k) != null) {
        st.tx().delete(k);
        emit.result(in.key(), NullValue.NULL_VALUE, in.headers(), in.time());
      }
      return;
    }
    st.tx().put(k, encode(j, in.value()));
    if (j.rowTtl()) {
      TableTtl.put(j, st, in.keyBytes(), in.time());
    }
    emit.result(in.key(), in.value(), in.headers(), in.time());
  }

  private void streamTable(Step.Join j, StoreState st, Side in, Aggregates.Emit emit) throws ProcessingException {
    byte[] k = StoreState.groupKey(in.keyBytes());
    if (in.right()) {
      if (j.rowTtl()) {
        TableTtl.arrive(j, st, in.key(), in.keyBytes(), in.time(), emit);
      }
      if (isNull(in.value())) {
        st.tx().delete(k);
        if (j.rowTtl()) {
          TableTtl.delete(j, st, in.keyBytes());
        }
      } else {
        st.tx().put(k, encode(j, in.value()));
        if (j.rowTtl()) {
          TableTtl.put(j, st, in.keyBytes(), in.time());
        }
      }
      return;
    }
    if (j.rowTtl()) {
      TableTtl.forgetIfDue(j, st, in.key(), in.keyBytes(), emit);
    }
    byte[] row = st.tx().get(k);
    if (row == null && j.type() == JoinType.INNER) {
      return;
    }
    Object right = decode(j, row);
    emit.result(in.key(), joined(j, in.vars(), in.value(), right), in.headers(), in.time());
  }

  private void tableTable(Step.Join j, StoreState st, Side in, Aggregates.Emit emit) throws ProcessingException {
    byte[] leftKey = prefixed(LEFT_ROW, in.keyBytes());
    byte[] rightKey = prefixed(RIGHT_ROW, in.keyBytes());
    byte[] mine = in.right() ? rightKey : leftKey;
    if (isNull(in.value())) {
      st.tx().delete(mine);
    } else {
      st.tx().put(mine, encode(j, in.value()));
    }
    Object left = decode(j, st.tx().get(leftKey));
    Object right = decode(j, st.tx().get(rightKey));
    boolean has = switch (j.type()) {
      case INNER -> !isNull(left) && !isNull(right);
      case LEFT -> !isNull(left);
      default -> !isNull(left) || !isNull(right);
    };
    byte[] result = StoreState.groupKey(in.keyBytes());
    if (has) {
      Object v = joined(j, in.vars(), left, right);
      st.tx().put(result, encode(j, v));
      emit.result(in.key(), v, in.headers(), in.time());
    } else if (st.tx().get(result) != null) {
      st.tx().delete(result);
      emit.result(in.key(), NullValue.NULL_VALUE, in.headers(), in.time());
    }
  }

  private void streamStream(Step.Join j, StoreState st, Side in, Aggregates.Emit emit) throws ProcessingException {
    st.observe(in.time());
    if (in.time() < st.streamTime() - j.graceMs()) {
      st.countLate();
      return;
    }
    byte other = in.right() ? LEFT_REC : RIGHT_REC;
    boolean matched = false;
    long from = in.time() - j.withinMs();
    long to = in.time() + j.withinMs();
    try (Tx.Scan partners = st.tx().scan(recPrefix(other, in.keyBytes(), from),
        recPrefix(other, in.keyBytes(), to + 1))) {
      for (Kv.Entry e = partners.next(); e != null; e = partners.next()) {
        matched = true;
        JsonObject partner = new JsonObject(new String(e.value(), StandardCharsets.UTF_8));
        if (j.type() != JoinType.INNER && !partner.getBoolean("m", false)) {
          st.tx().put(e.key(), partner.put("m", true).encode().getBytes(StandardCharsets.UTF_8));
        }
        Object p = decode(j, bytes(partner));
        Object value = in.right() ? joined(j, in.vars(), p, in.value()) : joined(j, in.vars(), in.value(), p);
        emit.result(in.key(), value, in.headers(), Math.max(in.time(), partner.getLong("t")));
      }
    }
    byte[] k = recKey(in.right() ? RIGHT_REC : LEFT_REC, in.keyBytes(), in.time(), in.offset());
    byte[] v = encode(j, in.value());
    JsonObject headers = new JsonObject();
    in.headers().forEach(headers::put);
    JsonObject rec = new JsonObject().put("v", v == null ? null : Base64.getEncoder().encodeToString(v))
        .put("h", headers).put("t", in.time()).put("m", matched);
    st.tx().put(k, rec.encode().getBytes(StandardCharsets.UTF_8));
    st.tx().putLocal(StoreState.indexKey(StoreState.EXPIRE, closesAt(j, in.time()), k), new byte[0]);
  }

  private static long closesAt(Step.Join j, long time) {
    return time + j.withinMs() + 1;
  }

  /**
   * Closes the stream-stream records whose window passed (at most {@code budget} per record, so one record never
   * makes unboundedly many outputs; the rest follow on later records): deletes them, and emits those of a left
   * (outer) join that never joined with a null partner. One whose later steps fail goes to the dead-letter topic;
   * the closing still happens.
   */
  void close(Step.Join j, StoreState st, Map<String, Object> vars, int budget, Aggregates.Emit emit)
      throws ProcessingException {
    if (j.rowTtl()) {
      TableTtl.close(j, st, keyFormat, budget, emit);
    }
    if (j.kind() != JoinKind.STREAM_STREAM || st.streamTime() == Long.MIN_VALUE) {
      return;
    }
    long closeTime = st.streamTime() - j.graceMs();
    for (Kv.Entry e : st.tx().scan(StoreState.indexFrom(StoreState.EXPIRE),
        StoreState.indexUpTo(StoreState.EXPIRE, closeTime), budget)) {
      st.tx().deleteLocal(e.key());
      byte[] k = StoreState.indexTarget(e.key());
      byte[] stored = st.tx().get(k);
      if (stored == null) {
        continue;
      }
      st.tx().delete(k);
      JsonObject rec = new JsonObject(new String(stored, StandardCharsets.UTF_8));
      boolean left = k[0] == LEFT_REC;
      if (rec.getBoolean("m", false) || j.type() == JoinType.INNER || j.type() == JoinType.LEFT && !left) {
        continue;
      }
      StoreState.Parsed p = StoreState.parse(k);
      Object key = keyFormat.decode("key_format", p.key());
      Object value = decode(j, bytes(rec));
      Map<String, String> headers = new LinkedHashMap<>();
      rec.getJsonObject("h", new JsonObject()).forEach(h -> headers.put(h.getKey(), String.valueOf(h.getValue())));
      Map<String, Object> v = new HashMap<>(vars);
      v.put("key", key);
      v.put("value", value);
      v.put("headers", headers);
      v.put("timestamp", rec.getLong("t"));
      Object out = left ? joined(j, v, value, NullValue.NULL_VALUE) : joined(j, v, NullValue.NULL_VALUE, value);
      try {
        emit.result(key, out, headers, rec.getLong("t"));
      } catch (ProcessingException ex) {
        emit.deadLetter(key, out, rec.getLong("t"), ex.step(), ex.getMessage());
      }
    }
  }

  /** Rebuilds a restored store's close index and stream time from its records. Blocking: a worker. */
  static void rebuild(Step.Join j, StoreState st) {
    if (j.rowTtl()) {
      TableTtl.rebuild(j, st);
    }
    if (j.kind() != JoinKind.STREAM_STREAM) {
      return;
    }
    long streamTime = Long.MIN_VALUE;
    byte[] from = new byte[] {LEFT_REC};
    byte[] to = new byte[] {RIGHT_REC + 1};
    while (true) {
      List<Kv.Entry> page = st.kv().scan(from, to, 10_000);
      List<Kv.Change> index = new ArrayList<>(page.size());
      for (Kv.Entry e : page) {
        long time = StoreState.parse(e.key()).a();
        streamTime = Math.max(streamTime, time);
        index.add(new Kv.Change(StoreState.indexKey(StoreState.EXPIRE, closesAt(j, time), e.key()), new byte[0]));
      }
      st.kv().write(index);
      if (page.size() < 10_000) {
        break;
      }
      from = Bytes.concat(page.get(page.size() - 1).key(), new byte[] {0});
    }
    st.restoredStreamTime(streamTime);
  }

  /** The joined value: {@code value} over left and right, or {'left': left, 'right': right}. */
  private static Object joined(Step.Join j, Map<String, Object> vars, Object left, Object right)
      throws ProcessingException {
    Object l = left == null ? NullValue.NULL_VALUE : left;
    Object r = right == null ? NullValue.NULL_VALUE : right;
    if (j.value() == null) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("left", l);
      m.put("right", r);
      return m;
    }
    Map<String, Object> v = new HashMap<>(vars);
    v.put("left", l);
    v.put("right", r);
    return j.value().eval(v);
  }

  private byte[] encode(Step.Join j, Object value) throws ProcessingException {
    return valueFormat.encode(j.where() + " (value)", value);
  }

  private Object decode(Step.Join j, byte[] bytes) throws ProcessingException {
    return bytes == null ? NullValue.NULL_VALUE : valueFormat.decode(j.where() + " (stored value)", bytes);
  }

  private static byte[] bytes(JsonObject rec) {
    String v = rec.getString("v");
    return v == null ? null : Base64.getDecoder().decode(v);
  }

  static boolean isNull(Object v) {
    return v == null || v instanceof NullValue;
  }

  private static byte[] prefixed(byte kind, byte[] key) {
    return ByteBuffer.allocate(1 + key.length).put(kind).put(key).array();
  }

  /** A stream-stream record's store key (the layout of {@link StoreState#rawKey}, another kind byte). */
  static byte[] recKey(byte kind, byte[] key, long time, long offset) {
    byte[] k = StoreState.rawKey(key, time, offset);
    k[0] = kind;
    return k;
  }

  private static byte[] recPrefix(byte kind, byte[] key, long time) {
    byte[] k = StoreState.rawPrefix(key, time);
    k[0] = kind;
    return k;
  }
}
