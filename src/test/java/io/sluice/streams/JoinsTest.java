package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.record.Record;
import io.sluice.streams.state.Kv;
import io.sluice.streams.state.MemoryKv;
import io.sluice.streams.state.StoreState;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Joins against a plain reference model computed here, over seeded random input: a stream-table join (inner, left),
 * a table read alone, a table-table join (inner, left, outer) with deletes, and a stream-stream join (inner, left,
 * outer) with out-of-order and late records. Records run as on a broker: each side's record through the processor
 * into the repartition topic, then from there into the store. Each run is also cut in two and resumed on a store
 * rebuilt from the changelog records of the first part alone (a task that moved), which must change nothing.
 */
class JoinsTest {
  private static final DefinitionParser PARSER = new DefinitionParser(new Expressions(4096, 1000),
      new StreamDefinition.Limits(64, 1000));
  private static final long WITHIN = 1_000;
  private static final long GRACE = 1_500;

  /** An input record: its side (right: the joined table or stream), key, time and n (null: a delete). */
  private record In(boolean right, String key, long time, Long n) {
  }

  /** A joined output: key, the left and right n (null: none), or a delete of the key (a table's result). */
  private record Out(String key, Long left, Long right, boolean delete) {
    static Out of(String key, Long left, Long right) {
      return new Out(key, left, right, false);
    }

    static Out deleted(String key) {
      return new Out(key, null, null, true);
    }
  }

  /** {@code streams}: the right side is a stream (no deletes); {@code leftTable}: the left side is a table. */
  private static List<In> input(long seed, int count, boolean streams, boolean leftTable) {
    Random r = new Random(seed);
    List<In> out = new ArrayList<>();
    long base = 10_000;
    for (int i = 0; i < count; i++) {
      base += r.nextInt(3) * 250L;
      long jitter = r.nextInt(10) < 7 ? 0 : r.nextInt(r.nextBoolean() ? 6 : 16) * 250L;
      boolean right = r.nextBoolean();
      boolean delete = (right ? !streams : leftTable) && r.nextInt(100) < 15;
      out.add(new In(right, "k" + r.nextInt(4), Math.max(0, base - jitter), delete ? null : (long) r.nextInt(100)));
    }
    return out;
  }

  private static String definition(String kind, String type) {
    return switch (kind) {
      case "stream-table" -> """
          {"name": "j", "inputs": ["in"], "value_format": "json", "steps": [
            {"filter": "value.n >= 0"},
            {"join": {"table": "other", "type": "%s", "value": "{'left': left, 'right': right, 'k': key}"}},
            {"to": "out"}]}""".formatted(type);
      case "table" -> """
          {"name": "j", "table": "in", "value_format": "json", "steps": [{"to_stream": {}}, {"to": "out"}]}""";
      case "table-table" -> """
          {"name": "j", "table": "in", "value_format": "json", "steps": [
            {"join": {"table": "other", "type": "%s"}}, {"to_stream": {}}, {"to": "out"}]}""".formatted(type);
      default -> """
          {"name": "j", "inputs": ["in"], "value_format": "json", "steps": [
            {"join": {"stream": "other", "type": "%s", "within": "%dms", "grace": "%dms"}},
            {"to": "out"}]}""".formatted(type, WITHIN, GRACE);
    };
  }

  private static final class Run {
    final StreamDefinition d;
    final Processor p;
    TaskStores stores;
    final List<Kv.Change> changelog = new ArrayList<>();
    final List<Out> emitted = new ArrayList<>();
    long repartitionOffset;
    long lateBefore;

    Run(StreamDefinition d) {
      this.d = d;
      this.p = new Processor(d, 1000, 8 << 20);
      this.stores = TaskStores.inMemory(d);
    }

    void feed(List<In> records, int from, int to) throws Exception {
      for (int i = from; i < to; i++) {
        In in = records.get(i);
        String topic = in.right() ? "other" : "in";
        byte[] value = in.n() == null ? null : ("{\"n\": " + in.n() + "}").getBytes(StandardCharsets.UTF_8);
        Record r = new Record(i, in.time(), in.key().getBytes(StandardCharsets.UTF_8), value, List.of());
        for (Processor.Output o : p.process(topic, 0, r, t -> 1, Processor.Tracer.NONE, null)) {
          assertThat(o.topic()).isEqualTo(d.repartitionTopic());
          Record again = new Record(repartitionOffset++, o.timestamp(), o.key(), o.value(), o.headers());
          for (Processor.Output j : p.process(o.topic(), 0, again, t -> 1, Processor.Tracer.NONE, stores)) {
            if (j.topic().equals("out")) {
              emitted.add(out(j));
            } else {
              assertThat(j.topic()).isEqualTo(d.changelogTopic());
              changelog.add(new Kv.Change(j.key(), j.value()));
            }
          }
        }
      }
    }

    /** Replaces the store with one rebuilt from the changelog records alone, as a moved task does. */
    void restore() {
      lateBefore += stores.lateRecords();
      MemoryKv kv = new MemoryKv();
      kv.write(changelog);
      StoreState st = new StoreState(d.store(), kv);
      StoreRestorer.rebuild(d.keyed(), st);
      stores = new TaskStores();
      stores.add(st);
    }

    long late() {
      return lateBefore + stores.lateRecords();
    }
  }

  private static Out out(Processor.Output o) {
    String key = new String(o.key(), StandardCharsets.UTF_8);
    if (o.value() == null) {
      return Out.deleted(key);
    }
    JsonObject v = new JsonObject(new String(o.value(), StandardCharsets.UTF_8));
    if (v.containsKey("n")) {
      return Out.of(key, v.getLong("n"), null); // a table read alone: its rows
    }
    if (v.containsKey("k")) {
      assertThat(v.getString("k")).isEqualTo(key);
    }
    return Out.of(key, n(v.getValue("left")), n(v.getValue("right")));
  }

  private static Long n(Object side) {
    return side == null ? null : ((JsonObject) side).getLong("n");
  }

  @ParameterizedTest
  @CsvSource({"stream-table,inner", "stream-table,left", "table,inner", "table-table,inner", "table-table,left",
      "table-table,outer", "stream-stream,inner", "stream-stream,left", "stream-stream,outer"})
  void joinsMatchTheReferenceModel(String kind, String type) throws Exception {
    for (long seed = 1; seed <= 3; seed++) {
      boolean streams = kind.equals("stream-stream");
      List<In> in = input(seed, 400, streams, kind.startsWith("table"));
      if (kind.equals("table")) {
        in = in.stream().map(i -> new In(false, i.key(), i.time(), i.n())).toList();
      }
      StreamDefinition d = PARSER.parse(new JsonObject(definition(kind, type)), null);
      Run whole = new Run(d);
      whole.feed(in, 0, in.size());
      Run cut = new Run(d);
      cut.feed(in, 0, in.size() / 2);
      cut.restore();
      cut.feed(in, in.size() / 2, in.size());

      Reference ref = new Reference(kind, type);
      in.forEach(ref::add);
      if (streams) {
        // The order of a record's matches and of closings follows the store's keys: compare as multisets.
        assertThat(whole.emitted).as("seed %d", seed).containsExactlyInAnyOrderElementsOf(ref.out);
        assertThat(whole.late()).as("late records, seed %d", seed).isEqualTo(ref.late).isPositive();
        assertThat(ref.out).as("some records joined").anyMatch(o -> o.left() != null && o.right() != null);
        if (!type.equals("inner")) {
          assertThat(ref.out).as("some records never joined").anyMatch(o -> o.right() == null);
        }
      } else {
        assertThat(whole.emitted).as("seed %d", seed).containsExactlyElementsOf(ref.out);
      }
      if (kind.equals("table")) {
        // an interactive query reads the table's rows
        StoreReader reader = new StoreReader(d, whole.stores.get(d.store()), 8 << 20);
        for (int k = 0; k < 4; k++) {
          JsonObject row = reader.key(("k" + k).getBytes(StandardCharsets.UTF_8), 0, Long.MAX_VALUE);
          Long n = ref.left.get("k" + k);
          assertThat(row == null ? null : row.getJsonObject("value").getLong("n")).as("k%d", k).isEqualTo(n);
        }
      }
      assertThat(cut.emitted).as("resumed from the changelog, seed %d", seed).containsExactlyElementsOf(whole.emitted);
      assertThat(cut.late()).isEqualTo(whole.late());
    }
  }

  /** The plain model: maps for tables, lists of records for the stream-stream window; no store, no indexes. */
  private static final class Reference {
    final String kind;
    final String type;
    final List<Out> out = new ArrayList<>();
    final Map<String, Long> left = new HashMap<>();
    final Map<String, Long> right = new HashMap<>();
    final Map<String, Boolean> result = new HashMap<>();
    final List<long[]> windowed = new ArrayList<>(); // [side, key, time, n, matched]
    long streamTime = Long.MIN_VALUE;
    long late;

    Reference(String kind, String type) {
      this.kind = kind;
      this.type = type;
    }

    void add(In in) {
      switch (kind) {
        case "stream-table" -> {
          if (in.right()) {
            put(right, in);
          } else if (right.containsKey(in.key()) || type.equals("left")) {
            out.add(Out.of(in.key(), in.n(), right.get(in.key())));
          }
        }
        case "table" -> {
          boolean had = left.containsKey(in.key());
          put(left, in);
          if (in.n() != null) {
            out.add(Out.of(in.key(), in.n(), null));
          } else if (had) {
            out.add(Out.deleted(in.key()));
          }
        }
        case "table-table" -> tableTable(in);
        default -> streamStream(in);
      }
    }

    private static void put(Map<String, Long> table, In in) {
      if (in.n() == null) {
        table.remove(in.key());
      } else {
        table.put(in.key(), in.n());
      }
    }

    private void tableTable(In in) {
      put(in.right() ? right : left, in);
      Long l = left.get(in.key());
      Long r = right.get(in.key());
      boolean has = switch (type) {
        case "inner" -> l != null && r != null;
        case "left" -> l != null;
        default -> l != null || r != null;
      };
      if (has) {
        out.add(Out.of(in.key(), l, r));
        result.put(in.key(), true);
      } else if (result.remove(in.key()) != null) {
        out.add(Out.deleted(in.key()));
      }
    }

    private void streamStream(In in) {
      streamTime = Math.max(streamTime, in.time());
      long closeTime = streamTime - GRACE;
      long key = Long.parseLong(in.key().substring(1));
      if (in.time() < closeTime) {
        late++;
      } else {
        boolean matched = false;
        for (long[] w : windowed) {
          if (w[0] != (in.right() ? 1 : 0) && w[1] == key && Math.abs(w[2] - in.time()) <= WITHIN) {
            matched = true;
            w[4] = 1;
            out.add(in.right() ? Out.of(in.key(), w[3], in.n()) : Out.of(in.key(), in.n(), w[3]));
          }
        }
        windowed.add(new long[] {in.right() ? 1 : 0, key, in.time(), in.n(), matched ? 1 : 0});
      }
      for (Iterator<long[]> it = windowed.iterator(); it.hasNext(); ) {
        long[] w = it.next();
        if (w[2] + WITHIN < closeTime) {
          it.remove();
          boolean leftSide = w[0] == 0;
          if (w[4] == 0 && (type.equals("outer") || type.equals("left") && leftSide)) {
            out.add(leftSide ? Out.of("k" + w[1], w[3], null) : Out.of("k" + w[1], null, w[3]));
          }
        }
      }
    }
  }
}
