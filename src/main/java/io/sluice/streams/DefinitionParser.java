package io.sluice.streams;

import io.sluice.broker.TopicNames;
import io.sluice.streams.Expressions.Expression;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parses and compiles a definition ({@link StreamDefinition} shows the shape). Every error is an
 * INVALID_STREAM_DEFINITION naming the field or step ("steps[1].map.value") and, for expressions, the line and column:
 * a definition that does not compile is never stored.
 */
public final class DefinitionParser {
  private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9._-]{1,200}");
  private static final Set<String> TOP_LEVEL = Set.of("name", "inputs", "key_format", "value_format", "on_error",
      "guarantee", "start", "dead_letter_topic", "steps", "table", "standby_replicas",
      "ttl", "on_expiry");

  private final Expressions expressions;
  private final StreamDefinition.Limits limits;
  private final AggregateParser aggregates;
  private final JoinParser joins;

  /** Whether {@code name} may name a stream: it becomes a ZooKeeper node's name, so never "." or "..". */
  static boolean validName(String name) {
    return NAME.matcher(name).matches() && !name.equals(".") && !name.equals("..");
  }

  public DefinitionParser(Expressions expressions, StreamDefinition.Limits limits) {
    this.expressions = expressions;
    this.limits = limits;
    this.aggregates = new AggregateParser(expressions, limits.maxOutputsPerRecord());
    this.joins = new JoinParser(expressions);
  }

  /** The top-level {@code ttl} of a table read alone (0: none); refused anywhere else. */
  private static long tableTtl(JsonObject json, boolean tableInput, Context ctx) {
    if (!json.containsKey("ttl") && !json.containsKey("on_expiry")) {
      return 0;
    }
    if (!tableInput || ctx.join != null) {
      throw invalid((json.containsKey("ttl") ? "ttl" : "on_expiry") + ": at the top level only for a \"table\" read"
          + " alone (an aggregation's ttl goes in its step, a stream-table join's in its join; a table-table join"
          + " keeps none)");
    }
    return AggregateParser.ttl("ttl", json.getValue("ttl"), null);
  }

  /** Parses {@code json}; {@code pathName}, when not null, must equal its name (PUT /streams/{name}). */
  public StreamDefinition parse(JsonObject json, String pathName) {
    for (String field : json.fieldNames()) {
      if (!TOP_LEVEL.contains(field)) {
        throw invalid(field + ": unknown field; a definition has " + new java.util.TreeSet<>(TOP_LEVEL));
      }
    }
    String name = string(json, "name", true);
    if (!validName(name)) {
      throw invalid("name: '" + name + "' must be 1 to 200 of a-z A-Z 0-9 . _ -, and not . or ..");
    }
    if (pathName != null && !pathName.equals(name)) {
      throw invalid("name: '" + name + "' differs from the stream named in the path, '" + pathName + "'");
    }
    boolean tableInput = json.containsKey("table");
    if (tableInput && json.containsKey("inputs")) {
      throw invalid("table: a definition reads either \"inputs\" (streams) or a \"table\", not both");
    }
    Set<String> inputs = new LinkedHashSet<>(tableInput ? List.of(JoinParser.tableTopic(json.getValue("table")))
        : topics("inputs", json.getValue("inputs")));
    Format key = orDefault(Format.parse("key_format", json.getValue("key_format")), Format.STRING);
    Format value = orDefault(Format.parse("value_format", json.getValue("value_format")), Format.JSON);
    boolean fail = choice(json, "on_error", "dead_letter", "fail").equals("fail");
    boolean exactlyOnce = choice(json, "guarantee", "exactly_once", "at_least_once").equals("exactly_once");
    boolean latest = choice(json, "start", "earliest", "latest").equals("latest");
    String dlq = json.containsKey("dead_letter_topic") ? topic("dead_letter_topic", json.getValue("dead_letter_topic"))
        : StreamDefinition.defaultDeadLetterTopic(name);
    Object standbys = json.getValue("standby_replicas", 0);
    if (!(standbys instanceof Integer n) || n < 0 || n > 1) {
      throw invalid("standby_replicas: 0 or 1 (a standby copy of each task's store on another broker), not "
          + standbys);
    }
    Object stepsJson = json.getValue("steps");
    if (!(stepsJson instanceof JsonArray steps) || steps.isEmpty()) {
      throw invalid("steps: a non-empty array of steps is required");
    }
    Context ctx = new Context(inputs);
    ctx.tableInput = tableInput;
    List<Step> parsed = steps(ctx, "steps", steps, true);
    long ttl = tableTtl(json, tableInput, ctx);
    if (tableInput && ctx.join == null) {
      ctx.join = JoinParser.tableAlone(ttl, AggregateParser.onExpiry("on_expiry", json.getValue("on_expiry"), ttl));
      parsed.add(0, ctx.join);
    }
    if (ctx.count > limits.maxSteps()) {
      throw invalid("steps: " + ctx.count + " steps, more than the " + limits.maxSteps()
          + " allowed (streams.max.steps)");
    }
    if (inputs.isEmpty()) {
      throw invalid("inputs: at least one input topic is required");
    }
    if (inputs.contains(dlq) || !java.util.Collections.disjoint(inputs, ctx.outputs)) {
      throw invalid("inputs: a stream may not read a topic it writes to (its outputs and dead-letter topic)");
    }
    Set<String> outputs = new LinkedHashSet<>(ctx.outputs);
    outputs.add(dlq);
    Step.Aggregate agg = ctx.aggregate;
    String repartition = null;
    if (ctx.join != null) {
      repartition = joinTopics(name, ctx, inputs, outputs);
    }
    if (agg != null) {
      if (!agg.repartition() && inputs.size() > 1) {
        // Equal keys of several inputs would meet in different tasks (one per input partition): bring them together.
        Step.Aggregate a = agg;
        agg = a.repartitioned();
        parsed.set(parsed.indexOf(a), agg);
      }
      if (agg.repartition()) {
        repartition = TaskStores.repartitionTopic(name, 0);
        AggregateParser.checkTopic(agg.where(), repartition);
        outputs.add(repartition);
      }
      String changelog = TaskStores.changelogTopic(name, agg.store());
      AggregateParser.checkTopic(agg.where(), changelog);
      outputs.add(changelog);
      if (inputs.contains(repartition) || inputs.contains(changelog)) {
        throw invalid("inputs: a stream may not read its own internal topics");
      }
    }
    for (String out : outputs) {
      // Tasks write (and delete_topics deletes) as the broker: a stream writing __consumer_offsets corrupted groups.
      if (io.sluice.api.InternalTopics.isManaged(out)) {
        throw new io.sluice.errors.SluiceException(io.sluice.errors.ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic '" + out
            + "' is internal to the broker: a stream may not write to it (to, branch or dead_letter_topic)");
      }
    }
    return new StreamDefinition(name, List.copyOf(inputs), key, value, fail, exactlyOnce, latest, dlq,
        List.copyOf(parsed), Set.copyOf(outputs), json.copy(), repartition, agg, ctx.join);
  }

  /**
   * A join's internal topics (both sides meet through the repartition topic; the store has a changelog), with its
   * other side added to the inputs. Answers the repartition topic.
   */
  private static String joinTopics(String name, Context ctx, Set<String> inputs, Set<String> outputs) {
    Step.Join j = ctx.join;
    if (j.right() != null) {
      if (inputs.contains(j.right())) {
        throw invalid(j.where() + ": '" + j.right() + "' is also an input of the stream; a topic joined with itself"
            + " is not supported");
      }
      if (outputs.contains(j.right())) {
        throw invalid(j.where() + ": a stream may not read a topic it writes to ('" + j.right() + "')");
      }
      inputs.add(j.right());
    }
    String repartition = TaskStores.repartitionTopic(name, 0);
    String changelog = TaskStores.changelogTopic(name, j.store());
    AggregateParser.checkTopic(j.where(), repartition);
    AggregateParser.checkTopic(j.where(), changelog);
    if (inputs.contains(repartition) || inputs.contains(changelog)) {
      throw invalid("inputs: a stream may not read its own internal topics");
    }
    outputs.add(repartition);
    outputs.add(changelog);
    return repartition;
  }

  /** What parsing collects across nested step lists. */
  private static final class Context {
    final Set<String> inputs;
    final Set<String> outputs = new LinkedHashSet<>();
    int count;
    Step.Aggregate aggregate;
    boolean keyChanged;
    boolean tableInput;
    Step.Join join;
    boolean toStream;

    Context(Set<String> inputs) {
      this.inputs = inputs;
    }
  }

  private List<Step> steps(Context ctx, String where, JsonArray array, boolean topLevel) {
    List<Step> out = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      String at = where + "[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject o) || o.size() != 1) {
        throw invalid(at + ": a step is an object with one key naming its kind (filter, map, flat_map, select_key,"
            + " branch, merge, group_by, to)");
      }
      ctx.count++;
      String kind = o.fieldNames().iterator().next();
      Object body = o.getValue(kind);
      if (kind.equals("group_by")) {
        if (!topLevel || ctx.aggregate != null || ctx.join != null || ctx.tableInput) {
          throw invalid(at + ".group_by: a definition has at most one group_by or join, in its top-level steps, and"
              + " a definition reading a table has none");
        }
        AggregateParser.Parsed p = aggregates.parse(where, array, i, ctx.keyChanged);
        ctx.count += p.consumed() - 1;
        ctx.aggregate = p.step();
        out.add(p.step());
        i += p.consumed() - 1;
        if (i == array.size() - 1) {
          throw invalid(at + ".group_by: the aggregation must be followed by steps ending in a 'to' or a 'branch'");
        }
        continue;
      }
      if (kind.equals("join") || kind.equals("to_stream")) {
        out.add(joinOrToStream(ctx, at, kind, body, topLevel, i));
        if (i == array.size() - 1) {
          throw invalid(at + "." + kind + ": must be followed by steps ending in a 'to' or a 'branch'");
        }
        continue;
      }
      if (kind.equals("window") || AggregateParser.KINDS.contains(kind)) {
        throw invalid(at + "." + kind + ": " + kind + " follows a group_by");
      }
      if (topLevel && (kind.equals("select_key") || kind.equals("map") && body instanceof JsonObject m
          && m.containsKey("key"))) {
        ctx.keyChanged = true;
      }
      if (kind.equals("merge")) {
        if (!topLevel || ctx.tableInput) {
          throw invalid(at + ".merge: merge adds inputs to the stream, so it belongs to the top-level steps of a"
              + " definition reading streams");
        }
        ctx.inputs.addAll(topics(at + ".merge", body));
        continue;
      }
      Step step = step(ctx, at + "." + kind, kind, body);
      boolean last = i == array.size() - 1;
      if (step instanceof Step.To && !last) {
        throw invalid(at + ".to: 'to' ends its list of steps; nothing may follow it");
      }
      if (last && !(step instanceof Step.To) && !(step instanceof Step.Branch)) {
        throw invalid(at + "." + kind + ": a list of steps must end in a 'to' or a 'branch'");
      }
      out.add(step);
    }
    if (out.isEmpty() && topLevel) {
      throw invalid(where + ": the steps must end in a 'to' or a 'branch'");
    }
    return out;
  }

  private Step joinOrToStream(Context ctx, String at, String kind, Object body, boolean topLevel, int i) {
    if (kind.equals("to_stream")) {
      boolean table = ctx.aggregate != null || ctx.tableInput;
      if (!topLevel || !table || ctx.toStream || !(body instanceof JsonObject o) || !o.isEmpty()) {
        throw invalid(at + ".to_stream: {} once in the top-level steps, after a table (the definition's table, or an"
            + " aggregation): it turns the table's changes into records");
      }
      ctx.toStream = true;
      return new Step.ToStream(at + ".to_stream");
    }
    if (!topLevel || ctx.aggregate != null || ctx.join != null || ctx.toStream) {
      throw invalid(at + ".join: a definition has at most one join or group_by, in its top-level steps");
    }
    if (ctx.tableInput && i != 0) {
      throw invalid(at + ".join: the definition's table joins another table in its first step");
    }
    ctx.join = joins.parse(at + ".join", body, ctx.tableInput);
    return ctx.join;
  }

  private Step step(Context ctx, String at, String kind, Object body) {
    switch (kind) {
      case "filter":
        return new Step.Filter(at, expr(at, body));
      case "select_key":
        return new Step.SelectKey(at, expr(at, body));
      case "flat_map":
        return new Step.FlatMap(at, expr(at, body));
      case "map":
        return map(at, body);
      case "branch":
        return branch(ctx, at, body);
      case "to":
        return to(ctx, at, body);
      default:
        throw invalid(at + ": unknown step kind '" + kind + "'; one of filter, map, flat_map, select_key, branch,"
            + " merge, group_by (with window and count, sum, min, max, avg, reduce, aggregate), join, to_stream, to");
    }
  }

  private Step map(String at, Object body) {
    if (!(body instanceof JsonObject m) || m.isEmpty()) {
      throw invalid(at + ": an object with any of key, value, headers, timestamp (expressions)");
    }
    for (String f : m.fieldNames()) {
      if (!Set.of("key", "value", "headers", "timestamp").contains(f)) {
        throw invalid(at + "." + f + ": unknown field; map takes key, value, headers, timestamp");
      }
    }
    return new Step.MapStep(at, optExpr(at + ".key", m.getValue("key")), optExpr(at + ".value", m.getValue("value")),
        optExpr(at + ".headers", m.getValue("headers")), optExpr(at + ".timestamp", m.getValue("timestamp")));
  }

  private Step branch(Context ctx, String at, Object body) {
    if (!(body instanceof JsonArray arms) || arms.isEmpty()) {
      throw invalid(at + ": a non-empty array of {\"when\": \"<expression>\", \"steps\": [...]}, the last may omit"
          + " when (the default)");
    }
    List<Step.Arm> out = new ArrayList<>();
    for (int i = 0; i < arms.size(); i++) {
      String armAt = at + "[" + i + "]";
      if (!(arms.getValue(i) instanceof JsonObject arm) || !(arm.getValue("steps") instanceof JsonArray steps)) {
        throw invalid(armAt + ": an object with \"steps\" (an array) and, but for a default, \"when\"");
      }
      for (String f : arm.fieldNames()) {
        if (!f.equals("when") && !f.equals("steps")) {
          throw invalid(armAt + "." + f + ": unknown field; a branch arm has when and steps");
        }
      }
      Expression when = optExpr(armAt + ".when", arm.getValue("when"));
      if (when == null && i != arms.size() - 1) {
        throw invalid(armAt + ": only the last arm may omit 'when' (it is the default)");
      }
      out.add(new Step.Arm(when, steps(ctx, armAt + ".steps", steps, false)));
    }
    return new Step.Branch(at, List.copyOf(out));
  }

  private Step to(Context ctx, String at, Object body) {
    String topic;
    Expression partition = null;
    if (body instanceof String) {
      topic = topic(at, body);
    } else if (body instanceof JsonObject o && o.getValue("topic") instanceof String) {
      for (String f : o.fieldNames()) {
        if (!f.equals("topic") && !f.equals("partition")) {
          throw invalid(at + "." + f + ": unknown field; to takes topic and partition");
        }
      }
      topic = topic(at + ".topic", o.getValue("topic"));
      partition = optExpr(at + ".partition", o.getValue("partition"));
    } else {
      throw invalid(at + ": a topic name, or {\"topic\": \"...\", \"partition\": \"<expression>\"}");
    }
    ctx.outputs.add(topic);
    return new Step.To(at, topic, partition);
  }

  private Expression expr(String at, Object body) {
    if (!(body instanceof String s) || s.isBlank()) {
      throw invalid(at + ": an expression (a string) is required");
    }
    return expressions.compile(at, s);
  }

  private Expression optExpr(String at, Object body) {
    return body == null ? null : expr(at, body);
  }

  private static List<String> topics(String at, Object value) {
    if (!(value instanceof JsonArray a) || a.isEmpty()) {
      throw invalid(at + ": a non-empty array of topic names is required");
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      out.add(topic(at + "[" + i + "]", a.getValue(i)));
    }
    return out;
  }

  private static String topic(String at, Object value) {
    if (!(value instanceof String s) || !TopicNames.isValid(s)) {
      throw invalid(at + ": '" + value + "' is not a valid topic name");
    }
    return s;
  }

  private static String string(JsonObject json, String field, boolean required) {
    Object v = json.getValue(field);
    if (v == null && !required) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw invalid(field + ": a string is required");
    }
    return s;
  }

  private static String choice(JsonObject json, String field, String dflt, String other) {
    String v = string(json, field, false);
    if (v == null) {
      return dflt;
    }
    if (!v.equals(dflt) && !v.equals(other)) {
      throw invalid(field + ": must be " + dflt + " or " + other + ", not " + v);
    }
    return v;
  }

  private static <T> T orDefault(T v, T dflt) {
    return v == null ? dflt : v;
  }

  private static io.sluice.errors.SluiceException invalid(String message) {
    return Expressions.invalid(message);
  }
}
