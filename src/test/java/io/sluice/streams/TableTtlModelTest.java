package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.record.Header;
import io.sluice.record.Record;
import io.sluice.streams.state.Kv;
import io.sluice.streams.state.MemoryKv;
import io.sluice.streams.state.StoreState;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A table's TTL (a table read alone, a stream-table join's table) against a plain model over seeded random input:
 * table updates and deletes out of order, keys that go quiet and come back, and for the join stream records that
 * look rows up. What each key emits in order, which keys a query answers after every record, and how many rows
 * expired. The processor deletes at most two due rows per record ({@code streams.max.outputs.per.record} 8), so due
 * rows wait for later records: neither a query nor a lookup may see them then. A second run is cut every few records
 * and resumed on a store rebuilt from the changelog records so far alone, and must emit and answer exactly as the
 * whole run: the update times and the table's stream time travel in the changelog.
 */
class TableTtlModelTest {
  private static final DefinitionParser PARSER = new DefinitionParser(new Expressions(4096, 1000),
      new StreamDefinition.Limits(64, 1000));
  private static final long TTL = 3_000;
  private static final int KEYS = 12;

  /** A table record ({@code stream} false: value {@code n}, null a delete) or a stream record to join. */
  private record In(boolean stream, String key, Integer n, long time) {
  }

  private static List<In> input(long seed, int count, boolean join) {
    Random r = new Random(seed);
    List<In> out = new ArrayList<>();
    long base = 0;
    for (int i = 0; i < count; i++) {
      base += r.nextInt(40) == 0 ? 5_000 : r.nextInt(4) * 250L;
      long jitter = r.nextInt(10) < 8 ? 0 : r.nextInt(20) * 250L; // some late, some by more than the TTL
      String key = "k" + (r.nextInt(3) == 0 ? r.nextInt(2) : r.nextInt(KEYS));
      boolean stream = join && r.nextInt(2) == 0;
      Integer n = !stream && r.nextInt(8) == 0 ? null : i;
      out.add(new In(stream, key, n, Math.max(0, base - jitter)));
    }
    for (int i = 0; i < KEYS; i++) {
      out.add(new In(false, "flush", i, base)); // past any record's budget: every due row goes before the end
    }
    return out;
  }

  /** The model: rows with their last update, the table's stream time (table records only), no index, no budget. */
  private static final class Model {
    /** A table read alone (emits its changes and, on expiry, tombstones) rather than a join's table. */
    final boolean alone;
    final Map<String, long[]> rows = new TreeMap<>(); // key -> {value, last update}
    final Map<String, List<String>> emitted = new TreeMap<>();
    long streamTime = Long.MIN_VALUE;
    long expired;

    Model(boolean alone) {
      this.alone = alone;
    }

    void add(In in) {
      if (in.stream()) {
        long[] row = due(in.key()) ? null : rows.get(in.key());
        if (row != null) {
          emit(in.key(), "\"" + in.n() + "+" + row[0] + "\"@" + in.time()); // a JSON string
        }
      } else {
        streamTime = Math.max(streamTime, in.time());
        long[] row = due(in.key()) ? null : rows.get(in.key());
        if (in.n() == null) {
          if (rows.remove(in.key()) != null && alone) {
            emit(in.key(), "null@" + in.time());
          }
        } else {
          rows.put(in.key(), new long[] {in.n(), row == null ? in.time() : Math.max(row[1], in.time())});
          if (alone) {
            emit(in.key(), in.n() + "@" + in.time());
          }
        }
      }
      rows.entrySet().stream().filter(e -> e.getValue()[1] + TTL <= streamTime)
          .sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> e.getValue()[1])
              .thenComparing(Map.Entry::getKey))
          .toList().forEach(e -> forget(e.getKey(), e.getValue()));
    }

    /** A due row met by a record is forgotten first. */
    private boolean due(String key) {
      long[] row = rows.get(key);
      if (row != null && row[1] + TTL <= streamTime) {
        forget(key, row);
        return true;
      }
      return false;
    }

    private void forget(String key, long[] row) {
      rows.remove(key);
      expired++;
      if (alone) {
        emit(key, "expired@" + (row[1] + TTL));
      }
    }

    private void emit(String key, String what) {
      emitted.computeIfAbsent(key, k -> new ArrayList<>()).add(what);
    }

    Map<String, Long> answers() {
      Map<String, Long> out = new TreeMap<>();
      for (int i = 0; i < KEYS; i++) {
        long[] row = rows.get("k" + i);
        out.put("k" + i, row == null ? null : row[0]);
      }
      return out;
    }
  }

  private static final class Run {
    final StreamDefinition d;
    final Processor p;
    TaskStores stores;
    final List<Kv.Change> changelog = new ArrayList<>();
    final Map<String, List<String>> emitted = new TreeMap<>();
    long offset;
    long expiredBefore;

    Run(StreamDefinition d) {
      this.d = d;
      this.p = new Processor(d, 8, 8 << 20);
      this.stores = TaskStores.inMemory(d);
    }

    void feed(In in) throws Exception {
      byte[] value = in.n() == null ? null : Integer.toString(in.n()).getBytes(StandardCharsets.UTF_8);
      Record r = new Record(offset++, in.time(), in.key().getBytes(StandardCharsets.UTF_8), value, List.of());
      if (d.repartitionTopic() == null) {
        collect(p.process(d.inputs().get(0), 0, r, t -> 1, Processor.Tracer.NONE, stores));
        return;
      }
      for (Processor.Output o : p.process(in.stream() ? "orders" : "customers", 0, r, t -> 1,
          Processor.Tracer.NONE, null)) {
        Record again = new Record(offset++, o.timestamp(), o.key(), o.value(), o.headers());
        collect(p.process(o.topic(), 0, again, t -> 1, Processor.Tracer.NONE, stores));
      }
    }

    private void collect(List<Processor.Output> outs) {
      for (Processor.Output o : outs) {
        if (o.topic().equals("out")) {
          String key = new String(o.key(), StandardCharsets.UTF_8);
          String expiredAt = header(o, Aggregates.EXPIRED);
          String v = o.value() == null ? expiredAt != null ? "expired" : "null"
              : new String(o.value(), StandardCharsets.UTF_8);
          if (expiredAt != null) {
            assertThat(Long.parseLong(expiredAt)).isEqualTo(o.timestamp() - TTL);
          }
          emitted.computeIfAbsent(key, k -> new ArrayList<>()).add(v + "@" + o.timestamp());
        } else {
          assertThat(o.topic()).isEqualTo(d.changelogTopic());
          changelog.add(new Kv.Change(o.key(), o.value()));
        }
      }
    }

    /** Replaces the store with one rebuilt from the changelog records alone, as a moved task does. */
    void restore() {
      expiredBefore += stores.expiredEntries();
      MemoryKv kv = new MemoryKv();
      kv.write(changelog);
      StoreState st = new StoreState(d.store(), kv);
      StoreRestorer.rebuild(d.keyed(), st);
      stores = new TaskStores();
      stores.add(st);
    }

    Map<String, Long> answers() throws Exception {
      StoreReader reader = new StoreReader(d, stores.get(d.store()), Long.MAX_VALUE);
      Map<String, Long> out = new TreeMap<>();
      for (int i = 0; i < KEYS; i++) {
        JsonObject found = reader.key(("k" + i).getBytes(StandardCharsets.UTF_8), Long.MIN_VALUE, Long.MAX_VALUE);
        out.put("k" + i, found == null ? null : found.getLong("value"));
      }
      Map<String, Long> scanned = new TreeMap<>();
      out.keySet().forEach(k -> scanned.put(k, null));
      reader.scan(null, null, null, 1000).forEach(o -> {
        JsonObject row = (JsonObject) o;
        if (!row.getString("key").equals("flush")) {
          scanned.put(row.getString("key"), row.getLong("value"));
        }
      });
      assertThat(scanned).as("a scan answers as the keys' lookups").isEqualTo(out);
      return out;
    }

    long expired() {
      return expiredBefore + stores.expiredEntries();
    }
  }

  private static String header(Processor.Output o, String name) {
    for (Header h : o.headers()) {
      if (h.key().equals(name)) {
        return new String(h.value(), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  private static final String TABLE = """
      {"name": "t", "table": "customers", "key_format": "string", "value_format": "json", "ttl": 3000,
       "on_expiry": "tombstone", "steps": [{"to_stream": {}}, {"to": "out"}]}""";
  private static final String JOIN = """
      {"name": "t", "inputs": ["orders"], "key_format": "string", "value_format": "json",
       "steps": [{"join": {"table": "customers", "ttl": "3s", "value": "string(left) + '+' + string(right)"}},
                 {"to": "out"}]}""";

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void aTableReadAloneForgetsRowsAsTheModel(long seed) throws Exception {
    check(PARSER.parse(new JsonObject(TABLE), null), input(seed, 400, false), new Model(true), seed);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void aStreamTableJoinsTableForgetsRowsAsTheModel(long seed) throws Exception {
    check(PARSER.parse(new JsonObject(JOIN), null), input(seed, 400, true), new Model(false), seed);
  }

  private static void check(StreamDefinition d, List<In> in, Model model, long seed) throws Exception {
    Run whole = new Run(d);
    Run cut = new Run(d);
    boolean waited = false;
    for (int i = 0; i < in.size(); i++) {
      model.add(in.get(i));
      whole.feed(in.get(i));
      if (i % 7 == 3) {
        cut.restore();
      }
      cut.feed(in.get(i));
      assertThat(whole.answers()).as("queries after record %d, seed %d", i, seed).isEqualTo(model.answers());
      assertThat(cut.answers()).as("queries of the restored run after record %d, seed %d", i, seed)
          .isEqualTo(model.answers());
      waited |= whole.expired() < model.expired;
    }
    assertThat(waited).as("some due rows waited for a later record's budget, seed %d", seed).isTrue();
    assertThat(whole.emitted).as("per key, seed %d", seed).isEqualTo(model.emitted);
    assertThat(cut.emitted).as("resumed from the changelog, seed %d", seed).isEqualTo(whole.emitted);
    assertThat(whole.expired()).isEqualTo(model.expired).isPositive();
    assertThat(cut.expired()).isEqualTo(model.expired);
  }

  /**
   * A table's changelog written before it had a TTL (rows without update times) loads under a definition with one:
   * its rows count as updated at the first record after the load, and expire a TTL later, also across a restore.
   */
  @Test
  void rowsStoredWithoutATtlAreStampedByTheFirstRecordAfterTheLoad() throws Exception {
    JsonObject noTtl = new JsonObject(TABLE);
    noTtl.remove("ttl");
    noTtl.remove("on_expiry");
    StreamDefinition before = PARSER.parse(noTtl, null);
    assertThat(before.join().ttlMs()).isZero();
    Run old = new Run(before);
    old.feed(new In(false, "k1", 1, 1_000));
    old.feed(new In(false, "k2", 2, 90_000));
    assertThat(old.changelog).as("no update times without a TTL").hasSize(2);
    Run upgraded = new Run(PARSER.parse(new JsonObject(TABLE), null));
    upgraded.changelog.addAll(old.changelog);
    upgraded.restore();
    assertThat(upgraded.answers()).containsEntry("k1", 1L).containsEntry("k2", 2L);
    upgraded.feed(new In(false, "k3", 3, 10_000)); // stamps k1 and k2 with the stream time: 10,000
    upgraded.restore();
    upgraded.feed(new In(false, "k3", 4, 12_999));
    assertThat(upgraded.answers()).containsEntry("k1", 1L).containsEntry("k2", 2L);
    upgraded.feed(new In(false, "k3", 5, 13_000));
    assertThat(upgraded.answers()).containsEntry("k1", null).containsEntry("k2", null).containsEntry("k3", 5L);
    assertThat(upgraded.emitted.get("k1")).containsExactly("expired@13000");
    assertThat(upgraded.expired()).isEqualTo(2);
  }

  @Test
  void theTopologyShowsTheTablesTtl() {
    assertThat(TopologyDescriber.json(PARSER.parse(new JsonObject(JOIN), null)).getJsonArray("stores")
        .getJsonObject(0).getLong("ttl_ms")).isEqualTo(TTL);
    assertThat(TopologyDescriber.json(PARSER.parse(new JsonObject(TABLE), null)).getJsonArray("stores")
        .getJsonObject(0).getLong("ttl_ms")).isEqualTo(TTL);
  }

  @Test
  void aTtlIsRefusedWhereNoTableKeepsRows() {
    assertThatThrownBy(() -> PARSER.parse(new JsonObject("""
        {"name": "t", "inputs": ["a"], "steps": [{"join": {"stream": "b", "within": "1s", "ttl": "1h"}},
         {"to": "out"}]}"""), null)).hasMessageContaining("steps[0].join.ttl");
    assertThatThrownBy(() -> PARSER.parse(new JsonObject("""
        {"name": "t", "inputs": ["a"], "ttl": "1h", "steps": [{"to": "out"}]}"""), null))
        .hasMessageContaining("ttl: at the top level only for a \"table\"");
    assertThatThrownBy(() -> PARSER.parse(new JsonObject("""
        {"name": "t", "table": "a", "ttl": "1h", "steps": [{"join": {"table": "b"}}, {"to": "out"}]}"""), null))
        .hasMessageContaining("table-table join keeps none");
    assertThatThrownBy(() -> PARSER.parse(new JsonObject("""
        {"name": "t", "table": "a", "on_expiry": "tombstone", "steps": [{"to_stream": {}}, {"to": "out"}]}"""),
        null)).hasMessageContaining("on_expiry: only with a ttl");
  }
}
