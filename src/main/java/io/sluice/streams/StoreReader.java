package io.sluice.streams;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.streams.state.Bytes;
import io.sluice.streams.state.Kv;
import io.sluice.streams.state.StoreState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;


/**
 * Reads a task's committed store for an interactive query: one key (its aggregate, or its windows whose start lies in
 * [from, to]) or a scan of keys (a range or a prefix of the key bytes). Reads the store itself, never the record in
 * progress, one entry at a time, and holds at most {@code maxBytes} of stored entries for its answer: a scan of a
 * windowed store read the whole store into memory first, and an answer of 10,000 keys had no size bound. Blocking:
 * a worker.
 */
final class StoreReader {
  private final StreamDefinition definition;
  private final Kv kv;
  private final long maxBytes;
  /** Read before any entry (see {@link StoreState#committedStreamTime}): entries its TTL passed are hidden. */
  private final long streamTime;
  private long held;

  StoreReader(StreamDefinition definition, StoreState store, long maxBytes) {
    this.definition = definition;
    this.kv = store.kv();
    this.maxBytes = maxBytes;
    this.streamTime = store.committedStreamTime();
  }

  /** A TTL's due key that no record has deleted yet (expiry deletes a bounded number per record). */
  private boolean expired(Aggregates.Stored s) {
    return Aggregates.expired(definition.aggregate(), s.time(), streamTime);
  }

  /** A table's due row (a TTL) that no record has deleted yet. */
  private boolean dueRow(byte[] key) {
    Step.Join j = definition.join();
    return j != null && j.rowTtl() && TableTtl.due(j, TableTtl.readTime(kv.get(TableTtl.timeKey(key))), streamTime);
  }

  private interface Visitor {
    /** Whether to go on. */
    boolean visit(Kv.Entry e) throws ProcessingException;
  }

  private void each(byte[] from, byte[] to, Visitor visitor) throws ProcessingException {
    ProcessingException[] failed = {null};
    kv.forEach(from, to, e -> {
      try {
        return visitor.visit(e);
      } catch (ProcessingException x) {
        failed[0] = x;
        return false;
      }
    });
    if (failed[0] != null) {
      throw failed[0];
    }
  }

  /** Counts an entry the answer will hold; refuses the query once they pass the bound. */
  private void hold(Kv.Entry e) {
    held += e.key().length + (long) e.value().length;
    if (held > maxBytes) {
      throw new SluiceException(ErrorCode.INVALID_REQUEST, "The answer would hold more than " + maxBytes
          + " bytes of stored entries (streams.max.answer.bytes, shared among the store's partitions in a scan):"
          + " ask for fewer keys (limit), a narrower range or prefix, or a narrower time range (from, to)");
    }
  }

  /** {"key", "value"} or {"key", "windows": [...]}, or null when the store has nothing for the key. */
  JsonObject key(byte[] key, long from, long to) throws ProcessingException {
    if (streamStream()) {
      JsonArray records = new JsonArray();
      for (byte side : new byte[] {Joins.LEFT_REC, Joins.RIGHT_REC}) {
        byte[] prefix = recordPrefix(side, key);
        each(prefix, Bytes.prefixEnd(prefix), e -> {
          StoreState.Parsed p = StoreState.parse(e.key());
          if (p.a() >= from && p.a() <= to) {
            hold(e);
            records.add(windowRecord(side, e.value()));
          }
          return true;
        });
      }
      return records.isEmpty() ? null : new JsonObject().put("key", keyJson(key)).put("records", sorted(records));
    }
    if (definition.aggregate() == null) {
      byte[] row = kv.get(StoreState.groupKey(key));
      return row == null || dueRow(key) ? null : row(key, row);
    }
    if (definition.aggregate().window() == null) {
      Aggregates.Stored s = Aggregates.Stored.read(kv.get(StoreState.groupKey(key)));
      return s == null || expired(s) ? null : entry(key, s);
    }
    byte[] prefix = StoreState.windowPrefix(key);
    JsonArray windows = new JsonArray();
    each(prefix, Bytes.prefixEnd(prefix), e -> {
      StoreState.Parsed p = StoreState.parse(e.key());
      if (p.a() >= from && p.a() <= to) {
        hold(e);
        windows.add(window(p, Aggregates.Stored.read(e.value())));
      }
      return true;
    });
    return windows.isEmpty() ? null : new JsonObject().put("key", keyJson(key)).put("windows", windows);
  }

  /** Up to {@code limit} keys from {@code fromKey} (inclusive) to {@code toKey} (exclusive), or with a prefix. */
  JsonArray scan(byte[] fromKey, byte[] toKey, byte[] prefix, int limit) throws ProcessingException {
    if (streamStream()) {
      return scanWindowRecords(fromKey, toKey, prefix, limit);
    }
    boolean windowed = definition.aggregate() != null && definition.aggregate().window() != null;
    byte kind = windowed ? StoreState.WINDOW : StoreState.GROUP;
    JsonArray out = new JsonArray();
    byte[] start = new byte[] {kind};
    byte[] end = new byte[] {(byte) (kind + 1)};
    if (!windowed) {
      byte[] lo = prefix != null ? prefix : fromKey;
      byte[] hi = prefix != null ? Bytes.prefixEnd(prefix) : toKey;
      start = lo == null ? start : StoreState.groupKey(lo);
      end = hi == null ? end : StoreState.groupKey(hi);
    }
    JsonObject[] current = {null};
    each(start, end, e -> {
      StoreState.Parsed p = StoreState.parse(e.key());
      if (!inRange(p.key(), fromKey, toKey, prefix)) {
        return true;
      }
      String order = HexFormat.of().formatHex(p.key());
      Aggregates.Stored stored = definition.aggregate() == null ? null : Aggregates.Stored.read(e.value());
      if (!windowed && stored != null && expired(stored) || stored == null && dueRow(p.key())) {
        return true;
      }
      if (windowed && current[0] != null && current[0].getString("order").equals(order)) {
        hold(e);
        current[0].getJsonArray("windows").add(window(p, stored));
        return true;
      }
      if (out.size() >= limit) {
        return false;
      }
      hold(e);
      if (definition.aggregate() == null) {
        out.add(row(p.key(), e.value()).put("order", order));
      } else if (!windowed) {
        out.add(entry(p.key(), stored).put("order", order));
      } else {
        current[0] = new JsonObject().put("key", keyJson(p.key())).put("windows", new JsonArray()
            .add(window(p, stored))).put("order", order);
        out.add(current[0]);
      }
      return true;
    });
    return out;
  }

  private boolean streamStream() {
    return definition.join() != null && definition.join().kind() == Step.JoinKind.STREAM_STREAM;
  }

  /**
   * A stream-stream join's open records by key (both sides' keys are laid out as {@code len key time offset}, so
   * neither range is in key order: every record is read and grouped, as for windows), the first {@code limit} keys
   * in key-byte order.
   */
  private JsonArray scanWindowRecords(byte[] fromKey, byte[] toKey, byte[] prefix, int limit)
      throws ProcessingException {
    java.util.TreeMap<byte[], JsonArray> byKey = new java.util.TreeMap<>(Bytes.ORDER);
    for (byte side : new byte[] {Joins.LEFT_REC, Joins.RIGHT_REC}) {
      each(new byte[] {side}, new byte[] {(byte) (side + 1)}, e -> {
        StoreState.Parsed p = StoreState.parse(e.key());
        if (inRange(p.key(), fromKey, toKey, prefix)) {
          hold(e); // every open record in range, not only the first keys': they come in no key order
          byKey.computeIfAbsent(p.key(), k -> new JsonArray()).add(windowRecord(side, e.value()));
        }
        return true;
      });
    }
    JsonArray out = new JsonArray();
    for (java.util.Map.Entry<byte[], JsonArray> e : byKey.entrySet()) {
      if (out.size() >= limit) {
        break;
      }
      out.add(new JsonObject().put("key", keyJson(e.getKey())).put("records", sorted(e.getValue()))
          .put("order", HexFormat.of().formatHex(e.getKey())));
    }
    return out;
  }

  private static byte[] recordPrefix(byte side, byte[] key) {
    return java.nio.ByteBuffer.allocate(1 + 4 + key.length).put(side).putInt(key.length).put(key).array();
  }

  /** One open record: {"side": "left" | "right", "time", "value", "matched"} (matched: it has joined already). */
  private JsonObject windowRecord(byte side, byte[] stored) throws ProcessingException {
    JsonObject rec = new JsonObject(new String(stored, java.nio.charset.StandardCharsets.UTF_8));
    String v = rec.getString("v");
    Object value = v == null ? null : Format.fromCel(definition.valueFormat().decode("value_format",
        Base64.getDecoder().decode(v)));
    return new JsonObject().put("side", side == Joins.LEFT_REC ? "left" : "right").put("time", rec.getLong("t"))
        .put("value", value).put("matched", rec.getBoolean("m", false));
  }

  /** By time, then left before right. */
  private static JsonArray sorted(JsonArray records) {
    List<JsonObject> list = new java.util.ArrayList<>();
    records.forEach(o -> list.add((JsonObject) o));
    list.sort(java.util.Comparator.comparingLong((JsonObject o) -> o.getLong("time"))
        .thenComparing(o -> o.getString("side")));
    return new JsonArray(new java.util.ArrayList<>(list));
  }

  private static boolean inRange(byte[] key, byte[] from, byte[] to, byte[] prefix) {
    if (prefix != null) {
      return key.length >= prefix.length && java.util.Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }
    return (from == null || Bytes.ORDER.compare(key, from) >= 0) && (to == null || Bytes.ORDER.compare(key, to) < 0);
  }

  private JsonObject entry(byte[] key, Aggregates.Stored s) throws ProcessingException {
    return new JsonObject().put("key", keyJson(key)).put("value", Format.fromCel(Folds.result(
        definition.aggregate().agg(), s.state())));
  }

  /** A table's row (a join's store keeps the value in the stream's value format). */
  private JsonObject row(byte[] key, byte[] value) throws ProcessingException {
    return new JsonObject().put("key", keyJson(key)).put("value", Format.fromCel(definition.valueFormat()
        .decode("value_format", value)));
  }

  private JsonObject window(StoreState.Parsed p, Aggregates.Stored s) {
    return new JsonObject().put("start", p.a()).put("end", p.b()).put("value", Format.fromCel(Folds.result(
        definition.aggregate().agg(), s.state())));
  }

  private Object keyJson(byte[] key) throws ProcessingException {
    return definition.keyFormat() == Format.BYTES ? Base64.getEncoder().encodeToString(key)
        : Format.fromCel(definition.keyFormat().decode("key_format", key));
  }

  static byte[] bytes(JsonObject request, String field) {
    String v = request.getString(field);
    return v == null ? null : Base64.getDecoder().decode(v);
  }

}
