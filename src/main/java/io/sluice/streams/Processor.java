package io.sluice.streams;

import dev.cel.common.values.CelByteString;
import io.sluice.record.Header;
import io.sluice.record.Partitioner;
import io.sluice.record.Record;
import io.sluice.streams.Expressions.Expression;
import io.sluice.streams.state.WindowSpec;
import io.vertx.core.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * Runs one input record through a definition's steps and answers its output records, in a fixed order (the order of
 * the steps, then of a flat_map's elements), with their partitions chosen. Deterministic: the same record gives the
 * same outputs, which exactly-once replay relies on (no clock, no randomness; a null key goes to the input's
 * partition number modulo the output's partitions, not round robin; windows use record time). Thread-safe: a
 * stateful stream's state is in the {@link TaskStores} its caller passes.
 */
public final class Processor {
  private final StreamDefinition definition;
  private final int maxOutputs;
  private final long maxBytes;
  private final Joins joins;

  /**
   * {@code maxOutputs}: streams.max.outputs.per.record; {@code maxBytes}: streams.max.bytes.per.record, what one
   * record's outputs and its state changes may take together.
   */
  public Processor(StreamDefinition definition, int maxOutputs, long maxBytes) {
    this.definition = definition;
    this.maxOutputs = maxOutputs;
    this.maxBytes = maxBytes;
    this.joins = new Joins(definition);
  }

  /** What a step passed on, for preview. */
  public interface Tracer {
    Tracer NONE = (where, record) -> { };

    void emitted(String where, Output record);
  }

  /** An output record (also what preview shows after each step, with partition -1 before a {@code to}). */
  public record Output(String topic, int partition, byte[] key, byte[] value, List<Header> headers, long timestamp) {
  }

  /** A record between steps: CEL values. */
  static final class Current {
    Object key;
    Object value;
    Map<String, String> headers;
    long timestamp;

    Current copy() {
      Current c = new Current();
      c.key = key;
      c.value = value;
      c.headers = headers;
      c.timestamp = timestamp;
      return c;
    }
  }

  /** What one input record is, with where it came from ({@code repartitioned}: read from the repartition topic). */
  private record Source(String topic, int partition, long offset, boolean repartitioned) {
  }

  /** What one record's run carries through the steps; {@code outBytes[0]}: the bytes of its outputs so far. */
  private record Call(Source src, ToIntFunction<String> partitions, Tracer tracer, List<Output> out,
      TaskStores stores, long[] outBytes) {
    Call(Source src, ToIntFunction<String> partitions, Tracer tracer, List<Output> out, TaskStores stores) {
      this(src, partitions, tracer, out, stores, new long[1]);
    }
  }

  /** The bytes an output record holds. */
  static long bytes(Output o) {
    long n = (o.key() == null ? 0 : o.key().length) + (o.value() == null ? 0 : (long) o.value().length);
    for (Header h : o.headers()) {
      n += h.key().length() + (h.value() == null ? 0 : h.value().length);
    }
    return n;
  }

  /**
   * The outputs of {@code record} read from {@code topic}/{@code partition}; {@code partitions} gives an output
   * topic's partition count.
   *
   * @throws ProcessingException naming the step that failed
   */
  public List<Output> process(String topic, int partition, Record record, ToIntFunction<String> partitions,
      Tracer tracer) throws ProcessingException {
    return process(topic, partition, record, partitions, tracer, null);
  }

  /**
   * As above, with the task's state stores (null for a stream without state). A record that fails leaves the stores
   * as they were; one that succeeds commits its changes, and its outputs end with their changelog records.
   */
  List<Output> process(String topic, int partition, Record record, ToIntFunction<String> partitions,
      Tracer tracer, TaskStores stores) throws ProcessingException {
    if (definition.join() != null && topic.equals(definition.repartitionTopic())) {
      JoinSync sync = stores == null ? null : stores.sync();
      if (sync != null) {
        return synced(sync, topic, partition, record, partitions, stores);
      }
      if (JoinSync.isMarker(record)) {
        return List.of(); // a run without the sync (preview) meets records in the log's order
      }
    }
    return processOne(topic, partition, record, partitions, tracer, stores);
  }

  /**
   * A repartition record of a synchronised join ({@link JoinSync}): a record whose time the safe time reached goes
   * now; otherwise it is held, and the records that may go (after a marker, or left by an earlier record's budget)
   * go in time order, each with its own dead letter if it fails. The sync's and each record's store changes are
   * committed one after another, so a failed record rolls back only its own.
   */
  private List<Output> synced(JoinSync sync, String topic, int partition, Record record,
      ToIntFunction<String> partitions, TaskStores stores) throws ProcessingException {
    io.sluice.streams.state.StoreState st = stores.get(definition.join().store());
    if (sync.accept(record, st, partitions)) {
      List<Output> out = processOne(topic, partition, record, partitions, Tracer.NONE, stores);
      sync.after(record.offset(), st, 0xffff - 64 - out.size());
      out.addAll(commit(stores, partition, record.timestamp()));
      return out;
    }
    List<Output> out = new ArrayList<>(commit(stores, partition, record.timestamp()));
    int released = 0;
    Record next;
    while ((released == 0 || out.size() + maxOutputs + 64 <= 0xffff) && (next = sync.next(st)) != null) {
      released++;
      out.addAll(commit(stores, partition, record.timestamp())); // the held record's delete, if it was stored
      try {
        out.addAll(processOne(topic, partition, next, partitions, Tracer.NONE, stores));
      } catch (ProcessingException e) {
        if (definition.failOnError()) {
          throw e;
        }
        out.add(deadLetter(topic, partition, next, e, partitions));
      }
    }
    if (released > 0 && out.size() + maxOutputs + 64 > 0xffff) {
      sync.readyLeft();
    }
    sync.after(record.offset(), st, 0xffff - 64 - out.size());
    out.addAll(commit(stores, partition, record.timestamp()));
    return out;
  }

  /** Commits the stores' pending changes (the sync's): their changelog records. */
  private List<Output> commit(TaskStores stores, int partition, long timestamp) throws ProcessingException {
    Call call = new Call(new Source(definition.repartitionTopic(), partition, -1, true), t -> 0, Tracer.NONE,
        new ArrayList<>(), stores);
    changelog(call, timestamp);
    return call.out();
  }

  /** A held record that failed: to the dead-letter topic as it was read, naming the step and where it came from. */
  private Output deadLetter(String topic, int partition, Record rec, ProcessingException e,
      ToIntFunction<String> partitions) {
    List<Header> headers = new ArrayList<>(rec.headers());
    headers.add(Header.of("sluice.streams.stream", definition.name()));
    headers.add(Header.of("sluice.streams.step", e.step()));
    headers.add(Header.of("sluice.streams.error", String.valueOf(e.getMessage())));
    headers.add(Header.of("sluice.streams.source.topic", topic));
    headers.add(Header.of("sluice.streams.source.partition", Integer.toString(partition)));
    headers.add(Header.of("sluice.streams.source.offset", Long.toString(rec.offset())));
    String dlq = definition.deadLetterTopic();
    return new Output(dlq, partition % partitions.applyAsInt(dlq), rec.key(), rec.value(), headers, rec.timestamp());
  }

  private List<Output> processOne(String topic, int partition, Record record, ToIntFunction<String> partitions,
      Tracer tracer, TaskStores stores) throws ProcessingException {
    Current c = new Current();
    c.key = definition.keyFormat().decode("key_format", record.key());
    c.value = definition.valueFormat().decode("value_format", record.value());
    c.headers = headers(record.headers());
    c.timestamp = record.timestamp();
    List<Output> out = new ArrayList<>();
    if (stores != null) {
      stores.all().values().forEach(st -> st.tx().limit(maxBytes));
    }
    boolean repartitioned = topic.equals(definition.repartitionTopic());
    Call call = new Call(new Source(topic, partition, record.offset(), repartitioned), partitions, tracer, out,
        stores);
    // From the repartition topic, and a join's other side (or a table read alone) straight, the steps resume at
    // the keyed step.
    boolean toKeyed = repartitioned || definition.join() != null && (topic.equals(definition.join().right())
        || definition.join().kind() == Step.JoinKind.TABLE || definition.join().kind() == Step.JoinKind.TABLE_TABLE);
    List<Step> steps = toKeyed
        ? definition.steps().subList(definition.steps().indexOf(definition.keyed()), definition.steps().size())
        : definition.steps();
    try {
      run(steps, c, call);
      if (stores != null && ownsState(repartitioned)) {
        if (definition.aggregate() != null) {
          closeWindows(call);
        } else {
          closeJoin(call, vars(c, call.src()));
        }
        changelog(call, record.timestamp());
      }
    } catch (io.sluice.streams.state.Tx.TooLarge e) {
      stores.rollback();
      throw new ProcessingException(definition.keyed() == null ? "steps" : definition.keyed().where(),
          e.getMessage());
    } catch (ProcessingException | RuntimeException e) {
      if (stores != null) {
        stores.rollback();
      }
      throw e;
    }
    return out;
  }

  /** Whether a task reading this input keeps the stream's state (else it only feeds the repartition topic). */
  boolean ownsState(boolean repartitionInput) {
    return definition.keyed() != null && (repartitionInput || definition.repartitionTopic() == null);
  }

  private void run(List<Step> steps, Current c, Call call) throws ProcessingException {
    Source src = call.src();
    for (int i = 0; i < steps.size(); i++) {
      Step step = steps.get(i);
      if (step instanceof Step.Filter f) {
        if (!bool(f.predicate(), vars(c, src))) {
          return;
        }
      } else if (step instanceof Step.MapStep m) {
        c = map(m, c, src);
      } else if (step instanceof Step.SelectKey s) {
        c = c.copy();
        c.key = s.key().eval(vars(c, src));
      } else if (step instanceof Step.FlatMap f) {
        flatMap(f, steps.subList(i + 1, steps.size()), c, call);
        return;
      } else if (step instanceof Step.Branch b) {
        branch(b, c, call);
        return;
      } else if (step instanceof Step.Aggregate a) {
        aggregate(a, steps.subList(i + 1, steps.size()), c, call);
        return;
      } else if (step instanceof Step.Join j) {
        join(j, steps.subList(i + 1, steps.size()), c, call);
        return;
      } else if (step instanceof Step.ToStream) {
        // a marker: the steps after it already see the table's changes as records
      } else if (step instanceof Step.To t) {
        add(call, t.where(), output(t, c, src, call.partitions()));
        return;
      }
      call.tracer().emitted(step.where(), trace(c));
    }
  }

  private void add(Call call, String where, Output o) throws ProcessingException {
    if (call.out().size() >= maxOutputs) {
      throw new ProcessingException(where, "the record made more than " + maxOutputs
          + " output records (streams.max.outputs.per.record)");
    }
    call.outBytes()[0] += bytes(o);
    if (call.outBytes()[0] > maxBytes) {
      throw new ProcessingException(where, "the record made more than " + maxBytes + " bytes of output records"
          + " (streams.max.bytes.per.record)");
    }
    call.out().add(o);
    call.tracer().emitted(where, o);
  }

  /** group_by + window + aggregation: to the repartition topic first if the key changed, else into the store. */
  private void aggregate(Step.Aggregate a, List<Step> rest, Current c, Call call) throws ProcessingException {
    Source src = call.src();
    Object key = src.repartitioned() || a.key() == null ? c.key : a.key().eval(vars(c, src));
    if (key == null || key instanceof dev.cel.common.values.NullValue) {
      throw new ProcessingException(a.where(), "group_by gave a null key; records are grouped by a key");
    }
    byte[] keyBytes = definition.keyFormat().encode(a.where() + " (key)", key);
    Current g = c.copy();
    g.key = key;
    if (a.repartition() && !src.repartitioned()) {
      String topic = definition.repartitionTopic();
      add(call, a.where(), new Output(topic, Partitioner.partitionForKey(keyBytes, call.partitions()
          .applyAsInt(topic)), keyBytes, definition.valueFormat().encode(a.where() + " (value)", g.value),
          toHeaders(g.headers), g.timestamp));
      return;
    }
    long time = g.timestamp;
    String timeAt = a.where();
    if (a.time() != null) {
      Object t = a.time().eval(vars(g, src));
      if (!(t instanceof Long ts)) {
        throw new ProcessingException(a.time().where(), "a record time must be an int (epoch milliseconds), not "
            + t);
      }
      time = ts;
      timeAt = a.time().where();
    }
    checkTime(timeAt, time);
    Aggregates.apply(a, call.stores().get(a.store()), key, keyBytes, vars(g, src), time, src.offset(),
        emitter(a, rest, call));
  }

  /**
   * A join: a record of either side goes to the repartition topic first, keyed by its join key and tagged with its
   * side; read back from there, it meets the store.
   */
  private void join(Step.Join j, List<Step> rest, Current c, Call call) throws ProcessingException {
    Source src = call.src();
    boolean right = src.repartitioned() ? "R".equals(c.headers.get(Joins.SIDE_HEADER))
        : src.topic().equals(j.right());
    Object key = src.repartitioned() || right || j.key() == null ? c.key : j.key().eval(vars(c, src));
    if (Joins.isNull(key)) {
      throw new ProcessingException(j.where(), "the join key is null; records join by a key");
    }
    byte[] keyBytes = definition.keyFormat().encode(j.where() + " (key)", key);
    Current g = c.copy();
    g.key = key;
    g.headers = new LinkedHashMap<>(c.headers);
    if (!src.repartitioned()) {
      g.headers.put(Joins.SIDE_HEADER, right ? "R" : "L");
      String topic = definition.repartitionTopic();
      add(call, j.where(), new Output(topic, Partitioner.partitionForKey(keyBytes, call.partitions()
          .applyAsInt(topic)), keyBytes, definition.valueFormat().encode(j.where() + " (value)", g.value),
          toHeaders(g.headers), g.timestamp));
      return;
    }
    g.headers.remove(Joins.SIDE_HEADER);
    if (j.kind() == Step.JoinKind.STREAM_STREAM) {
      checkTime(j.where(), g.timestamp);
    }
    joins.apply(j, call.stores().get(j.store()), new Joins.Side(right, key, keyBytes, g.value, vars(g, src),
        g.timestamp, src.offset()), emitter(j, rest, call));
  }

  /** Window and join arithmetic adds times and durations: both stay in [0, MAX_TIME] so that it never overflows. */
  private static void checkTime(String where, long time) throws ProcessingException {
    if (time < 0 || time > WindowSpec.MAX_TIME) {
      throw new ProcessingException(where, "a record time must be in [0, " + WindowSpec.MAX_TIME + "] (epoch"
          + " milliseconds), not " + time);
    }
  }

  /** Stream-stream join records whose window closed with this record's stream time. */
  private void closeJoin(Call call, Map<String, Object> vars) throws ProcessingException {
    Step.Join j = definition.join();
    List<Step> steps = definition.steps();
    joins.close(j, call.stores().get(j.store()), vars, Math.max(1, maxOutputs / 4),
        emitter(j, steps.subList(steps.indexOf(j) + 1, steps.size()), call));
  }

  private Aggregates.Emit emitter(Step a, List<Step> rest, Call call) {
    return new Aggregates.Emit() {
      @Override
      public void result(Object key, Object value, Map<String, String> headers, long timestamp)
          throws ProcessingException {
        Current r = new Current();
        r.key = key;
        r.value = value;
        r.headers = headers;
        r.timestamp = timestamp;
        call.tracer().emitted(a.where(), trace(r));
        run(rest, r, call);
      }

      @Override
      public void deadLetter(Object key, Object value, long timestamp, String step, String error)
          throws ProcessingException {
        if (definition.failOnError()) {
          throw new ProcessingException(step, error);
        }
        List<Header> headers = new ArrayList<>();
        headers.add(Header.of("sluice.streams.stream", definition.name()));
        headers.add(Header.of("sluice.streams.step", step));
        headers.add(Header.of("sluice.streams.error", error));
        headers.add(Header.of("sluice.streams.source.topic", call.src().topic()));
        headers.add(Header.of("sluice.streams.source.partition", Integer.toString(call.src().partition())));
        headers.add(Header.of("sluice.streams.source.offset", Long.toString(call.src().offset())));
        String dlq = definition.deadLetterTopic();
        add(call, step, new Output(dlq, call.src().partition() % call.partitions().applyAsInt(dlq),
            lenient(definition.keyFormat(), key), lenient(definition.valueFormat(), value), headers, timestamp));
      }
    };
  }

  private static byte[] lenient(Format format, Object value) {
    try {
      return format.encode("dead letter", value);
    } catch (ProcessingException e) {
      return Json.encode(Format.fromCel(value)).getBytes(StandardCharsets.UTF_8);
    }
  }

  /** Windows that closed with this record's stream time: their final results, at most a quarter of the outputs. */
  private void closeWindows(Call call) throws ProcessingException {
    Step.Aggregate a = definition.aggregate();
    List<Step> steps = definition.steps();
    List<Step> rest = steps.subList(steps.indexOf(a) + 1, steps.size());
    Aggregates.close(a, call.stores().get(a.store()), definition.keyFormat(), Math.max(1, maxOutputs / 4),
        emitter(a, rest, call));
  }

  /** The record's changes to each store, as records of the store's changelog (partition: the task's input's). */
  private void changelog(Call call, long timestamp) throws ProcessingException {
    long changes = call.out().size();
    for (io.sluice.streams.state.StoreState st : call.stores().all().values()) {
      changes += st.tx().loggedCount();
    }
    if (changes > 0xffff) {
      // Output sequences keep 16 bits for an output's index within its input record.
      throw new ProcessingException("steps", "the record made " + changes + " records with its state changes,"
          + " more than 65535");
    }
    for (io.sluice.streams.state.StoreState st : call.stores().all().values()) {
      String topic = TaskStores.changelogTopic(definition.name(), st.name());
      for (io.sluice.streams.state.Kv.Change ch : st.commit()) {
        call.out().add(new Output(topic, call.src().partition(), ch.key(), ch.value(), List.of(), timestamp));
      }
    }
  }

  private void flatMap(Step.FlatMap f, List<Step> rest, Current c, Call call) throws ProcessingException {
    Object values = f.values().eval(vars(c, call.src()));
    if (!(values instanceof List<?> list)) {
      throw new ProcessingException(f.where(), "flat_map needs a list, not " + Format.typeName(values));
    }
    if (list.size() > maxOutputs) {
      throw new ProcessingException(f.where(), "flat_map made " + list.size() + " records, more than "
          + maxOutputs + " (streams.max.outputs.per.record)");
    }
    for (Object v : list) {
      Current each = c.copy();
      each.value = v;
      call.tracer().emitted(f.where(), trace(each));
      run(rest, each, call);
    }
  }

  private void branch(Step.Branch b, Current c, Call call) throws ProcessingException {
    for (int i = 0; i < b.arms().size(); i++) {
      Step.Arm arm = b.arms().get(i);
      if (arm.when() == null || bool(arm.when(), vars(c, call.src()))) {
        call.tracer().emitted(b.where() + "[" + i + "]", trace(c));
        run(arm.steps(), c, call);
        return;
      }
    }
  }

  private Current map(Step.MapStep m, Current c, Source src) throws ProcessingException {
    Map<String, Object> vars = vars(c, src);
    Current n = c.copy();
    if (m.key() != null) {
      n.key = m.key().eval(vars);
    }
    if (m.value() != null) {
      n.value = m.value().eval(vars);
    }
    if (m.headers() != null) {
      Object h = m.headers().eval(vars);
      if (!(h instanceof Map<?, ?> map)) {
        throw new ProcessingException(m.where() + ".headers", "headers must be a map, not " + Format.typeName(h));
      }
      Map<String, String> hs = new LinkedHashMap<>();
      map.forEach((k, v) -> hs.put(String.valueOf(k), v instanceof String s ? s
          : v instanceof CelByteString b ? b.toStringUtf8() : Json.encode(Format.fromCel(v))));
      n.headers = hs;
    }
    if (m.timestamp() != null) {
      Object t = m.timestamp().eval(vars);
      if (!(t instanceof Long ts) || ts < 0) {
        throw new ProcessingException(m.where() + ".timestamp", "timestamp must be a non-negative int, not " + t);
      }
      n.timestamp = ts;
    }
    return n;
  }

  private Output output(Step.To t, Current c, Source src, ToIntFunction<String> partitions)
      throws ProcessingException {
    byte[] key = definition.keyFormat().encode(t.where() + " (key)", c.key);
    byte[] value = definition.valueFormat().encode(t.where() + " (value)", c.value);
    int count = partitions.applyAsInt(t.topic());
    int partition;
    if (t.partition() != null) {
      Object p = t.partition().eval(vars(c, src));
      if (!(p instanceof Long l) || l < 0 || l >= count) {
        throw new ProcessingException(t.where() + ".partition", "partition must be an int in [0, " + count
            + "), not " + p);
      }
      partition = l.intValue();
    } else {
      partition = key == null ? src.partition() % count : Partitioner.partitionForKey(key, count);
    }
    return new Output(t.topic(), partition, key, value, toHeaders(c.headers), c.timestamp);
  }

  private Output trace(Current c) throws ProcessingException {
    return new Output(null, -1, definition.keyFormat().encode("key", c.key),
        definition.valueFormat().encode("value", c.value), toHeaders(c.headers), c.timestamp);
  }

  private static boolean bool(Expression e, Map<String, Object> vars) throws ProcessingException {
    Object v = e.eval(vars);
    if (v instanceof Boolean b) {
      return b;
    }
    throw new ProcessingException(e.where(), "the expression must give a bool, not " + Format.typeName(v));
  }

  private static Map<String, Object> vars(Current c, Source src) {
    Map<String, Object> vars = new HashMap<>(10);
    vars.put("key", c.key);
    vars.put("value", c.value);
    vars.put("headers", c.headers);
    vars.put("timestamp", c.timestamp);
    vars.put("topic", src.topic());
    vars.put("partition", (long) src.partition());
    vars.put("offset", src.offset());
    return vars;
  }

  private static Map<String, String> headers(List<Header> headers) {
    Map<String, String> m = new LinkedHashMap<>();
    for (Header h : headers) {
      m.put(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
    }
    return m;
  }

  private static List<Header> toHeaders(Map<String, String> headers) {
    List<Header> out = new ArrayList<>(headers.size());
    headers.forEach((k, v) -> out.add(Header.of(k, v)));
    return out;
  }
}
