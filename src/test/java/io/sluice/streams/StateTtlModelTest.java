package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.record.Header;
import io.sluice.record.Record;
import io.sluice.streams.state.Kv;
import io.sluice.streams.state.MemoryKv;
import io.sluice.streams.state.StoreState;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * State TTL against a plain model over seeded random input (out-of-order and late records, keys that go quiet and
 * come back): what each key emits in order (counts, and tombstones at their expiry time), which keys a query
 * answers at every step, and how many keys expired. The processor deletes at most two due keys per record
 * ({@code streams.max.outputs.per.record} 8), so due keys wait for later records: neither a query nor a record of
 * the key may see them then. Each run is also cut in two and resumed on a store rebuilt from the changelog records
 * of the first part alone (as a moved task's restore, or a standby, which applies the same changelog): it must
 * emit and answer exactly as the whole run.
 */
class StateTtlModelTest {
  private static final DefinitionParser PARSER = new DefinitionParser(new Expressions(4096, 1000),
      new StreamDefinition.Limits(64, 1000));
  private static final long TTL = 3_000;
  private static final int KEYS = 12;

  private record In(String key, long time) {
  }

  private static List<In> input(long seed, int count) {
    Random r = new Random(seed);
    List<In> out = new ArrayList<>();
    long base = 0;
    for (int i = 0; i < count; i++) {
      base += r.nextInt(40) == 0 ? 5_000 : r.nextInt(4) * 250L; // now and then every key at once is due
      long jitter = r.nextInt(10) < 8 ? 0 : r.nextInt(20) * 250L; // some late, some by more than the TTL
      // A few hot keys and many quiet ones, so that keys expire and come back.
      String key = "k" + (r.nextInt(3) == 0 ? r.nextInt(2) : r.nextInt(KEYS));
      out.add(new In(key, Math.max(0, base - jitter)));
    }
    long end = base;
    for (int i = 0; i < KEYS; i++) {
      out.add(new In("flush", end)); // past the budget of any one record: every due key goes before the end
    }
    return out;
  }

  /** The model: counts with their last update, stream time, no index and no budget. */
  private static final class Model {
    final Map<String, long[]> rows = new TreeMap<>(); // key -> {count, last update}
    final Map<String, List<String>> emitted = new TreeMap<>();
    long streamTime = Long.MIN_VALUE;
    long expired;

    void add(In in) {
      streamTime = Math.max(streamTime, in.time());
      long[] row = rows.get(in.key());
      if (row != null && row[1] + TTL <= streamTime) {
        forget(in.key(), row);
        row = null;
      }
      long[] next = row == null ? new long[] {1, in.time()} : new long[] {row[0] + 1, Math.max(row[1], in.time())};
      rows.put(in.key(), next);
      emitted.computeIfAbsent(in.key(), k -> new ArrayList<>()).add(next[0] + "@" + in.time());
      // then every key due at the new stream time, by expiry time then key (the index's order)
      rows.entrySet().stream().filter(e -> e.getValue()[1] + TTL <= streamTime)
          .sorted(java.util.Comparator.comparingLong((Map.Entry<String, long[]> e) -> e.getValue()[1])
              .thenComparing(Map.Entry::getKey))
          .toList().forEach(e -> forget(e.getKey(), e.getValue()));
    }

    private void forget(String key, long[] row) {
      rows.remove(key);
      expired++;
      emitted.computeIfAbsent(key, k -> new ArrayList<>()).add("null@" + (row[1] + TTL));
    }
  }

  private static final class Run {
    final StreamDefinition d;
    final Processor p;
    TaskStores stores;
    final List<Kv.Change> changelog = new ArrayList<>();
    final Map<String, List<String>> emitted = new TreeMap<>();
    long expiredBefore;

    Run(StreamDefinition d) {
      this.d = d;
      this.p = new Processor(d, 8, 8 << 20);
      this.stores = TaskStores.inMemory(d);
    }

    void feed(In in, long offset) throws Exception {
      Record r = new Record(offset, in.time(), in.key().getBytes(StandardCharsets.UTF_8),
          "{}".getBytes(StandardCharsets.UTF_8), List.of());
      for (Processor.Output o : p.process("in", 0, r, t -> 1, Processor.Tracer.NONE, stores)) {
        if (o.topic().equals("out")) {
          emitted.computeIfAbsent(new String(o.key(), StandardCharsets.UTF_8), k -> new ArrayList<>())
              .add((o.value() == null ? "null" : new String(o.value(), StandardCharsets.UTF_8)) + "@"
                  + o.timestamp());
          if (o.value() == null) {
            assertThat(header(o, Aggregates.EXPIRED)).isEqualTo(Long.toString(o.timestamp() - TTL));
          }
        } else if (o.topic().equals(d.changelogTopic())) {
          changelog.add(new Kv.Change(o.key(), o.value()));
        }
      }
    }

    /** Replaces the store with one rebuilt from the changelog records alone, as a moved task does. */
    void restore() {
      expiredBefore += stores.expiredEntries();
      MemoryKv kv = new MemoryKv();
      kv.write(changelog);
      StoreState st = new StoreState(d.aggregate().store(), kv);
      Aggregates.rebuild(d.aggregate(), st);
      stores = new TaskStores();
      stores.add(st);
    }

    /** What a query answers for each key (null: a 404). */
    Map<String, Long> answers() throws Exception {
      StoreReader reader = new StoreReader(d, stores.get(d.aggregate().store()), Long.MAX_VALUE);
      Map<String, Long> out = new TreeMap<>();
      for (int i = 0; i < KEYS; i++) {
        JsonObject found = reader.key(("k" + i).getBytes(StandardCharsets.UTF_8), Long.MIN_VALUE, Long.MAX_VALUE);
        out.put("k" + i, found == null ? null : found.getLong("value"));
      }
      return out;
    }

    long expired() {
      return expiredBefore + stores.expiredEntries();
    }
  }

  private static Map<String, Long> answers(Model m) {
    Map<String, Long> out = new TreeMap<>();
    for (int i = 0; i < KEYS; i++) {
      long[] row = m.rows.get("k" + i);
      out.put("k" + i, row == null ? null : row[0]);
    }
    return out;
  }

  private static String header(Processor.Output o, String name) {
    for (Header h : o.headers()) {
      if (h.key().equals(name)) {
        return new String(h.value(), StandardCharsets.UTF_8);
      }
    }
    throw new AssertionError("no header " + name);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void expiryMatchesTheModelWithinTheBudgetAndAcrossARestore(long seed) throws Exception {
    StreamDefinition d = PARSER.parse(new JsonObject("""
        {"name": "t", "inputs": ["in"], "key_format": "string", "value_format": "json",
         "steps": [{"group_by": "key"}, {"count": {"ttl": 3000, "on_expiry": "tombstone"}}, {"to": "out"}]}"""), null);
    List<In> in = input(seed, 400);
    Model model = new Model();
    Run whole = new Run(d);
    Run cut = new Run(d);
    boolean waited = false;
    for (int i = 0; i < in.size(); i++) {
      model.add(in.get(i));
      whole.feed(in.get(i), i);
      if (i == in.size() / 2) {
        cut.restore();
      }
      cut.feed(in.get(i), i);
      assertThat(whole.answers()).as("queries after record %d, seed %d", i, seed).isEqualTo(answers(model));
      assertThat(cut.answers()).as("queries of the restored run after record %d, seed %d", i, seed)
          .isEqualTo(answers(model));
      waited |= whole.expired() < model.expired;
    }
    assertThat(waited).as("some due keys waited for a later record's budget, seed %d", seed).isTrue();
    assertThat(whole.emitted).as("per key, seed %d", seed).isEqualTo(model.emitted);
    assertThat(cut.emitted).as("resumed from the changelog, seed %d", seed).isEqualTo(whole.emitted);
    assertThat(whole.expired()).isEqualTo(model.expired).isPositive();
    assertThat(cut.expired()).isEqualTo(model.expired);
  }
}
