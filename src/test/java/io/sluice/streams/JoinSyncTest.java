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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The time synchronisation of a join's sides ({@link JoinSync}) over a repartition log built as the upstream tasks
 * write it: each side's records through the processor, in chunks each followed by the task's progress marker, the
 * table's task lagging behind the stream's two. Checked against Kafka Streams' rule computed here (every record in
 * time order, a stream record meeting the table as of its time); the same log met in arrival order (the sync off,
 * as before it) must differ, which shows the check can fail. A run cut anywhere and resumed from its checkpoint on a
 * store rebuilt from its changelog alone writes exactly the uninterrupted run's records (after the leaders' drop of
 * the sequences already written). And a silent side holds records only until the task's release marker.
 */
class JoinSyncTest {
  private static final DefinitionParser PARSER = new DefinitionParser(new Expressions(4096, 1000),
      new StreamDefinition.Limits(64, 1000));
  /** "in" (the stream) has two partitions, "other" (the table) one; the repartition topic one. */
  private static final ToIntFunction<String> PARTITIONS = t -> t.equals("in") ? 2 : 1;
  private static final String[] UPSTREAMS = {"j/in/0", "j/in/1", "j/other/0"};

  /** An upstream task's record: which task (0, 1: the stream's; 2: the table's), time, key, n (null: delete). */
  private record Ev(int upstream, long time, String key, Long n) {
  }

  private static StreamDefinition definition(String type, String maxIdle) {
    return PARSER.parse(new JsonObject("""
        {"name": "j", "inputs": ["in"], "value_format": "json", "steps": [
          {"join": {"table": "other", "type": "%s", "max_idle": "%s"}}, {"to": "out"}]}""".formatted(type, maxIdle)),
        null);
  }

  /** Seeded records with distinct rising times, about a third of them the table's (some deletes). */
  private static List<Ev> events(long seed, int n) {
    Random r = new Random(seed);
    List<Ev> out = new ArrayList<>();
    long time = 1_000;
    for (int i = 0; i < n; i++) {
      time += 1 + r.nextInt(5);
      boolean table = r.nextInt(10) < 3;
      out.add(new Ev(table ? 2 : r.nextInt(2), time, "k" + r.nextInt(5),
          table && r.nextInt(10) == 0 ? null : (long) r.nextInt(100)));
    }
    return out;
  }

  /**
   * The repartition log: each upstream task's records in its order, in chunks of 1 to 4, each chunk followed by the
   * task's marker (its highest time so far; caught up after its last chunk); the table's task takes a turn a quarter
   * as often as each stream task, so its rows arrive after stream records of later times.
   */
  private static List<Record> log(StreamDefinition d, List<Ev> events, long seed) throws Exception {
    return log(d, events, seed, false);
  }

  /**
   * As above; {@code idleBetween}: a task also reports caught up now and then before its last chunk (it had read
   * all its input then, and more came later), so records also go at once, in arrival order.
   */
  private static List<Record> log(StreamDefinition d, List<Ev> events, long seed, boolean idleBetween)
      throws Exception {
    Processor upstream = new Processor(d, 1000, 8 << 20);
    Random r = new Random(seed * 31);
    List<List<Ev>> queues = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
    events.forEach(e -> queues.get(e.upstream()).add(e));
    int[] next = new int[3];
    long[] high = {Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE};
    List<Record> log = new ArrayList<>();
    while (next[0] < queues.get(0).size() || next[1] < queues.get(1).size() || next[2] < queues.get(2).size()) {
      int u = r.nextInt(9);
      u = u < 4 ? 0 : u < 8 ? 1 : 2;
      List<Ev> q = queues.get(u);
      if (next[u] >= q.size()) {
        continue;
      }
      for (int k = 1 + r.nextInt(4); k > 0 && next[u] < q.size(); k--) {
        Ev e = q.get(next[u]++);
        byte[] value = e.n() == null ? null : ("{\"n\": " + e.n() + "}").getBytes(StandardCharsets.UTF_8);
        Record in = new Record(next[u], e.time(), e.key().getBytes(StandardCharsets.UTF_8), value, List.of());
        for (Processor.Output o : upstream.process(u == 2 ? "other" : "in", u == 2 ? 0 : u, in, PARTITIONS,
            Processor.Tracer.NONE)) {
          log.add(new Record(log.size(), o.timestamp(), o.key(), o.value(), withTask(o.headers(), u)));
          high[u] = Math.max(high[u], o.timestamp());
        }
      }
      log.add(marker(log.size(), u, high[u], next[u] == q.size() || idleBetween && r.nextInt(3) == 0));
    }
    return log;
  }

  private static Record marker(long offset, int upstream, long time, boolean caughtUp) {
    return new Record(offset, Math.max(0, time), null, null,
        withTask(JoinSync.progressHeaders(upstream == 2 ? "R" : "L", time, caughtUp), upstream));
  }

  private static List<Header> withTask(List<Header> headers, int upstream) {
    List<Header> all = new ArrayList<>(headers);
    all.add(Header.of(TaskWriter.TASK_HEADER, UPSTREAMS[upstream]));
    return all;
  }

  /** Kafka Streams' answer: every record in time order; a stream record joins the table's row of its key then. */
  private static List<String> reference(List<Ev> events, boolean left) {
    Map<String, Long> table = new HashMap<>();
    List<String> out = new ArrayList<>();
    for (Ev e : events) {
      if (e.upstream() == 2) {
        if (e.n() == null) {
          table.remove(e.key());
        } else {
          table.put(e.key(), e.n());
        }
      } else if (left || table.containsKey(e.key())) {
        Long right = table.get(e.key());
        out.add(e.key() + "=" + e.n() + "/" + right);
      }
    }
    return out;
  }

  /** One join task over the log: what it wrote, with the sequences the task's writer gives. */
  private static final class Run {
    final StreamDefinition d;
    final Processor p;
    TaskStores stores;
    final List<Long> seqs = new ArrayList<>();
    final List<String> out = new ArrayList<>();
    final List<long[]> changelogSeqs = new ArrayList<>();
    final List<Kv.Change> changelog = new ArrayList<>();

    Run(StreamDefinition d, boolean sync, long persistEvery) {
      this.d = d;
      this.p = new Processor(d, 1000, 8 << 20);
      this.stores = TaskStores.inMemory(d);
      if (sync) {
        stores.sync(JoinSync.open(d, stores.get(d.store()), 0, persistEvery));
      }
    }

    void feed(List<Record> log, int from, int to) throws Exception {
      for (int i = from; i < to; i++) {
        Record r = log.get(i);
        List<Processor.Output> outs = p.process(d.repartitionTopic(), 0, r, PARTITIONS, Processor.Tracer.NONE,
            stores);
        for (int k = 0; k < outs.size(); k++) {
          Processor.Output o = outs.get(k);
          long seq = r.offset() << 16 | k;
          if (o.topic().equals("out")) {
            seqs.add(seq);
            out.add(text(o));
          } else {
            assertThat(o.topic()).isEqualTo(d.changelogTopic());
            changelogSeqs.add(new long[] {seq});
            changelog.add(new Kv.Change(o.key(), o.value()));
          }
        }
      }
    }

    JoinSync sync() {
      return stores.sync();
    }

    /** A task that starts from checkpoint {@code at}: the store from the changelog records of the inputs before it. */
    static Run resumed(Run crashed, long at, long persistEvery) {
      MemoryKv kv = new MemoryKv();
      List<Kv.Change> upTo = new ArrayList<>();
      for (int i = 0; i < crashed.changelog.size(); i++) {
        if (crashed.changelogSeqs.get(i)[0] >>> 16 < at) {
          upTo.add(crashed.changelog.get(i));
        }
      }
      kv.write(upTo);
      StoreState st = new StoreState(crashed.d.store(), kv);
      StoreRestorer.rebuild(crashed.d.keyed(), st);
      Run r = new Run(crashed.d, false, persistEvery);
      r.stores = new TaskStores();
      r.stores.add(st);
      r.stores.sync(JoinSync.open(crashed.d, st, at, persistEvery));
      return r;
    }
  }

  private static String text(Processor.Output o) {
    JsonObject v = new JsonObject(new String(o.value(), StandardCharsets.UTF_8));
    JsonObject right = v.getJsonObject("right");
    return new String(o.key(), StandardCharsets.UTF_8) + "=" + v.getJsonObject("left").getLong("n") + "/"
        + (right == null ? null : right.getLong("n"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"inner", "left"})
  void aStreamRecordMeetsTheTableAsOfItsTimeWhateverTheArrivalOrder(String type) throws Exception {
    StreamDefinition d = definition(type, "5s");
    boolean arrivalOrderDiffered = false;
    for (long seed = 1; seed <= 5; seed++) {
      List<Ev> events = events(seed, 600);
      List<Record> log = log(d, events, seed);
      Run synced = new Run(d, true, 64);
      synced.feed(log, 0, log.size());
      List<String> expected = reference(events, type.equals("left"));
      assertThat(synced.out).as("seed %d", seed).containsExactlyElementsOf(expected);
      assertThat(synced.sync().heldCount()).isZero();

      Run arrival = new Run(d, false, 64);
      arrival.feed(log, 0, log.size());
      arrivalOrderDiffered |= !arrival.out.equals(expected);
    }
    assertThat(arrivalOrderDiffered).as("the log's arrival order joins differently (the old rule)").isTrue();
  }

  @Test
  void aTaskResumedFromItsCheckpointWritesWhatTheUninterruptedRunWrote() throws Exception {
    StreamDefinition d = definition("left", "5s");
    Random r = new Random(7);
    boolean heldAcrossACheckpoint = false;
    boolean storedHeldRestored = false;
    for (long seed = 1; seed <= 3; seed++) {
      List<Ev> events = events(seed, 400);
      List<Record> log = log(d, events, seed, seed > 1);
      Run whole = new Run(d, true, 16);
      whole.feed(log, 0, log.size());
      for (int cut = 0; cut < 15; cut++) {
        int crashAt = 1 + r.nextInt(log.size() - 1);
        Run first = new Run(d, true, 16);
        first.feed(log, 0, crashAt);
        long checkpoint = first.sync().checkpointable();
        assertThat(checkpoint).isLessThanOrEqualTo(crashAt);
        heldAcrossACheckpoint |= checkpoint < crashAt && first.sync().heldCount() > 0;
        Run second = Run.resumed(first, checkpoint, 16);
        storedHeldRestored |= second.sync().heldCount() > 0;
        second.feed(log, (int) checkpoint, log.size());
        // the output's leader writes only sequences above the last it holds for the task
        List<String> written = new ArrayList<>(first.out);
        long last = first.seqs.isEmpty() ? -1 : first.seqs.get(first.seqs.size() - 1);
        for (int i = 0; i < second.out.size(); i++) {
          if (second.seqs.get(i) > last) {
            written.add(second.out.get(i));
          }
        }
        assertThat(written).as("seed %d, crash at %d, checkpoint %d", seed, crashAt, checkpoint)
            .containsExactlyElementsOf(whole.out);
        assertThat(second.seqs.subList(second.seqs.size() - (whole.out.size() - first.out.size()),
            second.seqs.size())).isEqualTo(whole.seqs.subList(first.out.size(), whole.seqs.size()));
      }
    }
    assertThat(heldAcrossACheckpoint).as("some crash came with records held past the checkpoint").isTrue();
    assertThat(storedHeldRestored).as("some restore brought held records back from the changelog").isTrue();
  }

  @Test
  void aSilentSideHoldsRecordsOnlyUntilTheReleaseMarker() throws Exception {
    StreamDefinition d = definition("left", "2s");
    Run run = new Run(d, true, 4096);
    List<Record> log = new ArrayList<>();
    log.add(marker(0, 0, Long.MIN_VALUE, true));
    log.add(marker(1, 1, Long.MIN_VALUE, true));
    log.add(streamRecord(2, 100, "a", 1));
    log.add(streamRecord(3, 200, "b", 2));
    run.feed(log, 0, log.size());
    assertThat(run.out).as("the table's task never reported: held").isEmpty();
    assertThat(run.sync().heldCount()).isEqualTo(2);

    long now = System.currentTimeMillis();
    assertThat(run.sync().releaseDue(now)).as("not idle long enough").isNull();
    assertThat(run.sync().releaseDue(now + 2_000)).as("after max_idle: up to the latest held time").isEqualTo(200L);
    assertThat(run.sync().releaseDue(now + 4_000)).as("asked once until the marker is read").isNull();
    log.add(new Record(4, now, null, null, List.of(Header.of(JoinSync.RELEASE_HEADER, "200"),
        Header.of(TaskWriter.TASK_HEADER, "j/j-repartition-0/0"))));
    log.add(streamRecord(5, 150, "c", 3)); // at or below the released time: goes at once
    log.add(streamRecord(6, 300, "d", 4)); // later: held again
    run.feed(log, 4, 7);
    assertThat(run.out).containsExactly("a=1/null", "b=2/null", "c=3/null");
    assertThat(run.sync().heldCount()).isEqualTo(1);

    log.add(marker(7, 2, Long.MIN_VALUE, true)); // the table's task reports, caught up
    run.feed(log, 7, 8);
    assertThat(run.out).endsWith("d=4/null");
    assertThat(run.sync().heldCount()).isZero();
  }

  @Test
  void anEmptyCaughtUpTableHoldsNothing() throws Exception {
    Run run = new Run(definition("left", "5s"), true, 4096);
    List<Record> log = List.of(marker(0, 0, Long.MIN_VALUE, true), marker(1, 1, Long.MIN_VALUE, true),
        marker(2, 2, Long.MIN_VALUE, true), streamRecord(3, 100, "a", 1));
    run.feed(log, 0, log.size());
    assertThat(run.out).containsExactly("a=1/null");
    assertThat(run.sync().releaseDue(System.currentTimeMillis() + 60_000)).isNull();
  }

  @Test
  void markersWrittenByHandAreIgnored() throws Exception {
    Run run = new Run(definition("left", "5s"), true, 4096);
    List<Record> log = new ArrayList<>();
    log.add(new Record(0, 0, null, null, List.of(Header.of(JoinSync.PROGRESS_HEADER, "soon 1"))));
    log.add(new Record(1, 0, null, null, List.of(Header.of(JoinSync.PROGRESS_HEADER, "5 1")))); // no task
    log.add(new Record(2, 0, null, null, withTask(List.of(Header.of(JoinSync.RELEASE_HEADER, "x")), 0)));
    log.add(streamRecord(3, 100, "a", 1));
    run.feed(log, 0, log.size());
    assertThat(run.out).isEmpty();
    assertThat(run.sync().heldCount()).isEqualTo(1);
  }

  @Test
  void aTableRowAtARecordsTimeIsSeenByIt() throws Exception {
    Run run = new Run(definition("inner", "5s"), true, 4096);
    List<Record> log = new ArrayList<>();
    log.add(marker(0, 1, Long.MIN_VALUE, true));
    log.add(streamRecord(1, 500, "a", 1)); // from j/in/0, before the table's row of the same time arrives
    log.add(marker(2, 0, 500, true));
    log.add(tableRow(3, 500, "a", 9));
    log.add(marker(4, 2, 500, true));
    run.feed(log, 0, log.size());
    assertThat(run.out).containsExactly("a=1/9");
  }

  private static Record streamRecord(long offset, long time, String key, long n) {
    return new Record(offset, time, key.getBytes(StandardCharsets.UTF_8),
        ("{\"n\": " + n + "}").getBytes(StandardCharsets.UTF_8),
        withTask(List.of(Header.of(Joins.SIDE_HEADER, "L")), 0));
  }

  private static Record tableRow(long offset, long time, String key, long n) {
    return new Record(offset, time, key.getBytes(StandardCharsets.UTF_8),
        ("{\"n\": " + n + "}").getBytes(StandardCharsets.UTF_8),
        withTask(List.of(Header.of(Joins.SIDE_HEADER, "R")), 2));
  }
}
