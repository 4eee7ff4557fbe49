package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.record.Header;
import io.sluice.record.Record;
import io.sluice.streams.state.Kv;
import io.sluice.streams.state.MemoryKv;
import io.sluice.streams.state.StoreState;
import io.sluice.streams.state.WindowSpec;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Window semantics against a plain reference model computed here, over seeded random input with out-of-order
 * timestamps: which records count in which windows (tumbling, hopping, sliding, session with merging), grace and
 * late records, the results of emit update (the last update of each window) and emit final (each closed window once,
 * with its complete result). Each run is also cut in two and resumed on a store rebuilt from the changelog records
 * of the first part alone, which must change nothing.
 */
class WindowsTest {
  private static final DefinitionParser PARSER = new DefinitionParser(new Expressions(4096, 1000),
      new StreamDefinition.Limits(64, 1000));
  private static final long GRACE = 2_000;

  private record In(String key, long time, long n) {
  }

  /** A window's identity. */
  private record Win(String key, long start, long end) {
  }

  private static List<In> input(long seed, int count) {
    Random r = new Random(seed);
    List<In> out = new ArrayList<>();
    long base = 10_000;
    for (int i = 0; i < count; i++) {
      // Times on a 250 ms grid, so that records fall exactly on window bounds, closing times and session gaps.
      base += r.nextInt(3) * 250L;
      // Mostly in order, some a little late, some later than any grace.
      long jitter = r.nextInt(10) < 7 ? 0 : r.nextInt(r.nextBoolean() ? 10 : 36) * 250L;
      out.add(new In("k" + r.nextInt(4), Math.max(0, base - jitter), r.nextInt(100)));
    }
    return out;
  }

  private static String definition(String window, String agg, String emit) {
    return """
        {"name": "w", "inputs": ["in"], "value_format": "json", "steps": [
          {"group_by": "key"}, {"window": %s}, {"%s": %s}, {"to": "out"}]}"""
        .formatted(window, agg, agg.equals("count") ? "{\"emit\": \"" + emit + "\"}"
            : "{\"value\": \"value.n\", \"emit\": \"" + emit + "\"}");
  }

  private static String window(String kind) {
    return switch (kind) {
      case "tumbling" -> "{\"tumbling\": \"5s\", \"grace\": \"2s\"}";
      case "hopping" -> "{\"hopping\": {\"size\": \"5s\", \"advance\": \"2s\"}, \"grace\": \"2s\"}";
      case "sliding" -> "{\"sliding\": \"3s\", \"grace\": \"2s\"}";
      default -> "{\"session\": \"1500ms\", \"grace\": \"2s\"}";
    };
  }

  /** What a run emitted: per window its results in order; and how many records were late. */
  private record Result(Map<Win, List<Long>> emitted, long late) {
  }

  private static final class Run {
    final StreamDefinition d;
    final Processor p;
    TaskStores stores;
    final List<Kv.Change> changelog = new ArrayList<>();
    final Map<Win, List<Long>> emitted = new TreeMap<>(java.util.Comparator.comparing(Win::key)
        .thenComparingLong(Win::start).thenComparingLong(Win::end));
    long late;

    Run(StreamDefinition d) {
      this.d = d;
      this.p = new Processor(d, 1000, 8 << 20);
      this.stores = TaskStores.inMemory(d);
    }

    void feed(List<In> records, int from, int to) throws Exception {
      for (int i = from; i < to; i++) {
        In in = records.get(i);
        Record r = new Record(i, in.time(), in.key().getBytes(StandardCharsets.UTF_8),
            ("{\"n\": " + in.n() + "}").getBytes(StandardCharsets.UTF_8), List.of());
        for (Processor.Output o : p.process("in", 0, r, t -> 1, Processor.Tracer.NONE, stores)) {
          if (o.topic().equals("out")) {
            emitted.computeIfAbsent(new Win(new String(o.key(), StandardCharsets.UTF_8),
                Long.parseLong(header(o, Aggregates.WINDOW_START)), Long.parseLong(header(o, Aggregates.WINDOW_END))),
                k -> new ArrayList<>()).add(Long.parseLong(new String(o.value(), StandardCharsets.UTF_8)));
          } else if (o.topic().equals(d.changelogTopic())) {
            changelog.add(new Kv.Change(o.key(), o.value()));
          }
        }
      }
      late = stores.lateRecords();
    }

    /** Replaces the store with one rebuilt from the changelog records alone, as a moved task does. */
    void restore() {
      long lateSoFar = late;
      MemoryKv kv = new MemoryKv();
      kv.write(changelog);
      StoreState st = new StoreState(d.aggregate().store(), kv);
      Aggregates.rebuild(d.aggregate(), st);
      stores = new TaskStores();
      stores.add(st);
      lateOffset = lateSoFar;
    }

    long lateOffset;

    Result result() {
      return new Result(emitted, lateOffset + stores.lateRecords());
    }
  }

  private static String header(Processor.Output o, String name) {
    for (Header h : o.headers()) {
      if (h.key().equals(name)) {
        return new String(h.value(), StandardCharsets.UTF_8);
      }
    }
    throw new AssertionError("no header " + name);
  }

  /** A window's arithmetic would have overflowed a long, or put one record in millions of windows (an OOM). */
  @Test
  void windowsWhoseArithmeticWouldOverflowOrExplodeAreRefused() {
    assertRefused("{\"hopping\": {\"size\": \"1d\", \"advance\": 1}}", "steps[1].window.hopping",
        "86400000 windows; at most 1000");
    assertRefused("{\"tumbling\": 9223372036854775807}", "steps[1].window.tumbling",
        "longer than the longest duration");
    assertRefused("{\"tumbling\": \"60s\", \"grace\": \"999999999999d\"}", "steps[1].window.grace",
        "longer than the longest duration");
    StreamDefinition most = PARSER.parse(new JsonObject(definition(
        "{\"hopping\": {\"size\": \"1000s\", \"advance\": \"1s\"}}", "count", "update")), null);
    assertThat(most.aggregate().window().windowsPerRecord()).isEqualTo(1000);
  }

  private static void assertRefused(String window, String where, String message) {
    assertThatThrownBy(() -> PARSER.parse(new JsonObject(definition(window, "count", "update")), null))
        .hasMessageContaining(where).hasMessageContaining(message);
  }

  /**
   * Kafka allows any timestamp up to 2^63 - 1; a window's bounds from such a time wrapped around (tumbling and
   * hopping looped until the heap ran out). Such a record is a bad record (the task dead-letters it); the windows go on.
   */
  @ParameterizedTest
  @CsvSource({"tumbling", "hopping", "sliding", "session"})
  void aRecordTimeBeyondTheLatestAStreamTakesIsADeadLetterAndTheWindowsGoOn(String kind) throws Exception {
    StreamDefinition d = PARSER.parse(new JsonObject(definition(window(kind), "count", "update")), null);
    Run run = new Run(d);
    Record far = new Record(0, Long.MAX_VALUE, "k".getBytes(StandardCharsets.UTF_8),
        "{\"n\": 1}".getBytes(StandardCharsets.UTF_8), List.of());
    assertThatThrownBy(() -> run.p.process("in", 0, far, t -> 1, Processor.Tracer.NONE, run.stores))
        .isInstanceOf(ProcessingException.class)
        .hasMessageContaining("must be in [0, " + WindowSpec.MAX_TIME + "]")
        .satisfies(e -> assertThat(((ProcessingException) e).step()).isEqualTo("steps[0].group_by"));
    run.feed(List.of(new In("k", 10_000, 1)), 0, 1);
    assertThat(run.emitted).isNotEmpty();
  }

  @ParameterizedTest
  @CsvSource({"tumbling,count,update", "tumbling,sum,final", "hopping,count,final", "hopping,sum,update",
      "sliding,count,update", "sliding,sum,final", "session,count,final", "session,sum,update"})
  void windowsMatchTheReferenceModel(String kind, String agg, String emit) throws Exception {
    for (long seed = 1; seed <= 3; seed++) {
      List<In> in = input(seed, 300);
      StreamDefinition d = PARSER.parse(new JsonObject(definition(window(kind), agg, emit)), null);
      Run whole = new Run(d);
      whole.feed(in, 0, in.size());
      Run cut = new Run(d);
      cut.feed(in, 0, in.size() / 2);
      cut.restore();
      cut.feed(in, in.size() / 2, in.size());

      Reference ref = new Reference(kind, agg.equals("count"));
      in.forEach(ref::add);
      Map<Win, Long> expected = emit.equals("final") ? ref.closed() : ref.all();
      Map<Win, Long> actual = new HashMap<>();
      whole.emitted.forEach((w, values) -> actual.put(w, values.get(values.size() - 1)));
      if (kind.equals("session") && emit.equals("update")) {
        // Sessions that merged into a later one were updates of their own; each lies inside a surviving session.
        for (Win w : new ArrayList<>(actual.keySet())) {
          if (!expected.containsKey(w)) {
            assertThat(expected.keySet()).as("%s merged into a later session", w).anyMatch(e -> e.key().equals(w.key())
                && e.start() <= w.start() && e.end() >= w.end());
            actual.remove(w);
          }
        }
      }
      assertThat(actual).as("seed %d", seed).isEqualTo(expected);
      assertThat(whole.stores.lateRecords()).as("late records, seed %d", seed).isEqualTo(ref.late);
      assertThat(ref.late).as("the input has late records").isPositive();
      if (emit.equals("final")) {
        whole.emitted.forEach((w, values) -> assertThat(values).as("%s emitted once", w).hasSize(1));
      } else {
        assertThat(whole.emitted.values().stream().mapToLong(List::size).sum()).as("one update per change")
            .isEqualTo(ref.updates);
      }
      assertThat(cut.emitted).as("resumed from the changelog, seed %d", seed).isEqualTo(whole.emitted);
      assertThat(cut.result().late()).isEqualTo(whole.stores.lateRecords());
    }
  }

  /** The plain model: lists of records per window, stream time and grace, no store, no indexes. */
  private static final class Reference {
    final String kind;
    final boolean count;
    long streamTime = Long.MIN_VALUE;
    long late;
    long updates;
    /** Accepted records per window (or per key for sliding and session). */
    final Map<Win, List<In>> windows = new HashMap<>();
    final Map<String, List<In>> accepted = new HashMap<>();
    final Map<String, List<long[]>> sessions = new HashMap<>(); // [start, end, value]
    final Map<Win, Long> sessionResults = new HashMap<>();

    Reference(String kind, boolean count) {
      this.kind = kind;
      this.count = count;
    }

    long v(In in) {
      return count ? 1 : in.n();
    }

    void add(In in) {
      streamTime = Math.max(streamTime, in.time());
      long closeTime = streamTime - GRACE;
      switch (kind) {
        case "tumbling", "hopping" -> {
          long size = 5_000;
          long step = kind.equals("tumbling") ? 5_000 : 2_000;
          boolean any = false;
          for (long s = 0; s <= in.time(); s += step) {
            if (s + size > in.time() && s + size > closeTime) {
              windows.computeIfAbsent(new Win(in.key(), s, s + size), k -> new ArrayList<>()).add(in);
              any = true;
              updates++;
            }
          }
          late += any ? 0 : 1;
        }
        case "sliding" -> {
          long size = 3_000;
          if (in.time() < closeTime) {
            late++;
            return;
          }
          List<In> keyed = accepted.computeIfAbsent(in.key(), k -> new ArrayList<>());
          keyed.add(in);
          // windows end at each accepted time; this record changes its own and those ending in (t, t + size]
          java.util.Set<Long> ends = new java.util.TreeSet<>();
          for (In o : keyed) {
            if (o.time() >= in.time() && o.time() <= in.time() + size) {
              ends.add(o.time());
            }
          }
          updates += ends.size();
        }
        default -> {
          long gap = 1_500;
          if (in.time() + gap < closeTime) {
            late++;
            return;
          }
          List<long[]> ss = sessions.computeIfAbsent(in.key(), k -> new ArrayList<>());
          long start = in.time();
          long end = in.time();
          long value = v(in);
          for (java.util.Iterator<long[]> it = ss.iterator(); it.hasNext(); ) {
            long[] s = it.next();
            boolean closed = s[1] + gap < closeTime;
            if (!closed && in.time() >= s[0] - gap && in.time() <= s[1] + gap) {
              start = Math.min(start, s[0]);
              end = Math.max(end, s[1]);
              value += s[2];
              it.remove();
            }
          }
          ss.add(new long[] {start, end, value});
          updates++;
        }
      }
    }

    /** Every window's result. */
    Map<Win, Long> all() {
      Map<Win, Long> out = new HashMap<>();
      if (kind.equals("tumbling") || kind.equals("hopping")) {
        windows.forEach((w, l) -> out.put(w, l.stream().mapToLong(this::v).sum()));
      } else if (kind.equals("sliding")) {
        accepted.forEach((k, l) -> {
          for (In e : l) {
            // a window starts at 0 at the earliest (Kafka's SlidingWindows)
            out.put(new Win(k, Math.max(0, e.time() - 3_000), e.time()), l.stream().filter(o -> o.time() >= e.time() - 3_000
                && o.time() <= e.time()).mapToLong(this::v).sum());
          }
        });
      } else {
        sessions.forEach((k, l) -> l.forEach(s -> out.put(new Win(k, s[0], s[1]), s[2])));
      }
      return out;
    }

    /** The results of windows closed at the final stream time. */
    Map<Win, Long> closed() {
      long closeTime = streamTime - GRACE;
      Map<Win, Long> out = new HashMap<>();
      all().forEach((w, v) -> {
        boolean closed = switch (kind) {
          case "tumbling", "hopping" -> w.end() <= closeTime;
          case "sliding" -> w.end() < closeTime;
          default -> w.end() + 1_500 < closeTime;
        };
        if (closed) {
          out.put(w, v);
        }
      });
      return out;
    }
  }
}
