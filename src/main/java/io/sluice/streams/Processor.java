package io.sluice.streams;

import com.google.protobuf.ByteString;
import io.sluice.record.Header;
import io.sluice.record.Partitioner;
import io.sluice.record.Record;
import io.sluice.streams.Expressions.Expression;
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
 * partition number modulo the output's partitions, not round robin). Thread-safe; stateless.
 */
public final class Processor {
  private final StreamDefinition definition;
  private final int maxOutputs;

  public Processor(StreamDefinition definition, int maxOutputs) {
    this.definition = definition;
    this.maxOutputs = maxOutputs;
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
  private static final class Current {
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

  /** What one input record is, with where it came from. */
  private record Source(String topic, int partition, long offset) {
  }

  /**
   * The outputs of {@code record} read from {@code topic}/{@code partition}; {@code partitions} gives an output
   * topic's partition count.
   *
   * @throws ProcessingException naming the step that failed
   */
  public List<Output> process(String topic, int partition, Record record, ToIntFunction<String> partitions,
      Tracer tracer) throws ProcessingException {
    Current c = new Current();
    c.key = definition.keyFormat().decode("key_format", record.key());
    c.value = definition.valueFormat().decode("value_format", record.value());
    c.headers = headers(record.headers());
    c.timestamp = record.timestamp();
    List<Output> out = new ArrayList<>();
    run(definition.steps(), c, new Source(topic, partition, record.offset()), partitions, tracer, out);
    return out;
  }

  private void run(List<Step> steps, Current c, Source src, ToIntFunction<String> partitions, Tracer tracer,
      List<Output> out) throws ProcessingException {
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
        flatMap(f, steps.subList(i + 1, steps.size()), c, src, partitions, tracer, out);
        return;
      } else if (step instanceof Step.Branch b) {
        branch(b, c, src, partitions, tracer, out);
        return;
      } else if (step instanceof Step.To t) {
        Output o = output(t, c, src, partitions);
        if (out.size() >= maxOutputs) {
          throw new ProcessingException(t.where(), "the record made more than " + maxOutputs
              + " output records (streams.max.outputs.per.record)");
        }
        out.add(o);
        tracer.emitted(t.where(), o);
        return;
      }
      tracer.emitted(step.where(), trace(c));
    }
  }

  private void flatMap(Step.FlatMap f, List<Step> rest, Current c, Source src, ToIntFunction<String> partitions,
      Tracer tracer, List<Output> out) throws ProcessingException {
    Object values = f.values().eval(vars(c, src));
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
      tracer.emitted(f.where(), trace(each));
      run(rest, each, src, partitions, tracer, out);
    }
  }

  private void branch(Step.Branch b, Current c, Source src, ToIntFunction<String> partitions, Tracer tracer,
      List<Output> out) throws ProcessingException {
    for (int i = 0; i < b.arms().size(); i++) {
      Step.Arm arm = b.arms().get(i);
      if (arm.when() == null || bool(arm.when(), vars(c, src))) {
        tracer.emitted(b.where() + "[" + i + "]", trace(c));
        run(arm.steps(), c, src, partitions, tracer, out);
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
          : v instanceof ByteString b ? b.toStringUtf8() : Json.encode(Format.fromCel(v))));
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
