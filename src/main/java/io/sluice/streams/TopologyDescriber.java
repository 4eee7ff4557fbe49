package io.sluice.streams;

import io.sluice.streams.Expressions.Expression;
import io.sluice.streams.StreamTopology.Node;
import io.sluice.streams.StreamTopology.Type;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Derives a compiled definition's {@link StreamTopology}, following the way {@link Processor} runs it, so the
 * description cannot drift from what runs:
 *
 * <ul>
 *   <li>A stateless stream, and one grouping by its own key over one input, is one sub-topology: a source reading
 *       every input (merge adds topics to it, as records of every input run the same steps), a processor per step,
 *       a {@code branch} a processor with a child per arm, a sink per {@code to}.
 *   <li>A stream whose group_by or join goes through the repartition topic has two: sub-topology 0 runs the steps
 *       before the keyed step and writes the repartition topic (a join's other side and a table write it straight);
 *       sub-topology 1 reads it, runs the aggregation or join with its store and the steps after it.
 *   <li>A sink to the dead-letter topic in each sub-topology, fed by every node whose work can fail (with
 *       {@code on_error: fail}, only an aggregation sending late records there).
 * </ul>
 *
 * Names follow Kafka's DSL ({@code KSTREAM-FILTER-0000000001}): a prefix per kind and a counter in the order the
 * definition is walked. Each node's JSON adds what Kafka's has no room for: the step ({@code steps[1].map}), its
 * expressions, and a source's or sink's role.
 */
final class TopologyDescriber {
  private final StreamDefinition d;
  private final StreamTopology t = new StreamTopology();
  private int counter;
  /** The nodes of the current sub-topology whose failures go to the dead-letter topic. */
  private List<String> failing = new ArrayList<>();

  private TopologyDescriber(StreamDefinition d) {
    this.d = d;
  }

  static StreamTopology describe(StreamDefinition d) {
    return new TopologyDescriber(d).build();
  }

  /** The topology as JSON, with the stream's internal topics ({@code [{"topic", "role"}]}). */
  static JsonObject json(StreamDefinition d) {
    JsonArray internal = new JsonArray();
    if (d.repartitionTopic() != null) {
      internal.add(new JsonObject().put("topic", d.repartitionTopic()).put("role", "repartition"));
    }
    if (d.changelogTopic() != null) {
      internal.add(new JsonObject().put("topic", d.changelogTopic()).put("role", "changelog"));
    }
    return describe(d).toJson().put("internal_topics", internal);
  }

  /**
   * Adds the tasks' live figures ({@code records_in}, {@code records_out}, {@code lag}, {@code errors}, summed, and
   * {@code tasks}) to each source node, over the tasks reading its topics, and to each sub-topology, over its sources.
   * {@code tasks}: task id ({@code topic-partition}) to its status, as the tasks write it.
   */
  static JsonObject withFigures(JsonObject topology, java.util.Map<String, JsonObject> tasks) {
    for (Object s : topology.getJsonArray("subtopologies")) {
      JsonObject sub = (JsonObject) s;
      JsonObject total = figures(List.of(), tasks);
      for (Object n : sub.getJsonArray("nodes")) {
        JsonObject node = (JsonObject) n;
        if ("source".equals(node.getString("type"))) {
          JsonObject f = figures(node.getJsonArray("topics").getList(), tasks);
          node.put("figures", f);
          f.fieldNames().forEach(k -> total.put(k, total.getLong(k) + f.getLong(k)));
        }
      }
      sub.put("figures", total);
    }
    return topology;
  }

  private static JsonObject figures(List<?> topics, java.util.Map<String, JsonObject> tasks) {
    long count = 0;
    long in = 0;
    long out = 0;
    long lag = 0;
    long errors = 0;
    for (java.util.Map.Entry<String, JsonObject> e : tasks.entrySet()) {
      String id = e.getKey();
      if (topics.contains(id.substring(0, Math.max(0, id.lastIndexOf('-'))))) {
        JsonObject st = e.getValue();
        count++;
        in += st.getLong("records_in", 0L);
        out += st.getLong("records_out", 0L);
        lag += st.getLong("lag", 0L);
        errors += st.getLong("errors", 0L);
      }
    }
    return new JsonObject().put("tasks", count).put("records_in", in).put("records_out", out).put("lag", lag)
        .put("errors", errors);
  }

  private StreamTopology build() {
    Step keyed = d.keyed();
    int sub = t.subtopology();
    Step.Join join = d.join();
    List<String> left = new ArrayList<>(d.inputs());
    if (join != null && join.right() != null) {
      left.remove(join.right());
    }
    String role = join != null && (join.kind() == Step.JoinKind.TABLE || join.kind() == Step.JoinKind.TABLE_TABLE)
        ? "table" : "input";
    String source = source(sub, left, role);
    if (d.repartitionTopic() == null) {
      chain(sub, d.steps(), List.of(source));
      deadLetters(sub);
      return t;
    }
    int k = d.steps().indexOf(keyed);
    List<String> ends = chain(sub, d.steps().subList(0, k), List.of(source));
    Expression key = keyed instanceof Step.Aggregate a ? a.key() : join.key();
    if (key != null && !ends.isEmpty()) {
      ends = List.of(processor(sub, "KSTREAM-KEY-SELECT", keyed.where(), List.of(), ends,
          new JsonObject().put("kind", keyed instanceof Step.Aggregate ? "group_by" : "join_key")
              .put("expression", key.source())));
    }
    String repartition = sink(sub, d.repartitionTopic(), "repartition", null, ends);
    if (join != null && join.right() != null) {
      String right = source(sub, List.of(join.right()), role);
      t.link(sub, repartition, right);
    }
    deadLetters(sub);
    failing = new ArrayList<>();
    int second = t.subtopology();
    String from = source(second, List.of(d.repartitionTopic()), "repartition");
    chain(second, d.steps().subList(k, d.steps().size()), List.of(from));
    deadLetters(second);
    return t;
  }

  /** Adds the steps' nodes after {@code preds}; answers the nodes the next step would follow (none after a to). */
  private List<String> chain(int sub, List<Step> steps, List<String> preds) {
    for (Step step : steps) {
      if (step instanceof Step.To to) {
        sink(sub, to.topic(), "output", to, preds);
        return List.of();
      }
      if (step instanceof Step.Branch b) {
        branch(sub, b, preds);
        return List.of(); // Processor runs nothing after a branch: its arms end the list
      }
      preds = List.of(processor(sub, prefix(step), step.where(), stores(step), preds, details(step)));
    }
    return preds;
  }

  private void branch(int sub, Step.Branch b, List<String> preds) {
    String branch = processor(sub, "KSTREAM-BRANCH", b.where(), List.of(), preds, new JsonObject()
        .put("kind", "branch"));
    for (int i = 0; i < b.arms().size(); i++) {
      Step.Arm arm = b.arms().get(i);
      JsonObject details = new JsonObject().put("kind", "branch_arm");
      details.put("expression", arm.when() == null ? null : arm.when().source());
      String child = processor(sub, "KSTREAM-BRANCHCHILD", b.where() + "[" + i + "]", List.of(), List.of(branch),
          details);
      chain(sub, arm.steps(), List.of(child));
    }
  }

  private static String prefix(Step step) {
    if (step instanceof Step.Filter) {
      return "KSTREAM-FILTER";
    } else if (step instanceof Step.MapStep) {
      return "KSTREAM-MAP";
    } else if (step instanceof Step.FlatMap) {
      return "KSTREAM-FLATMAP";
    } else if (step instanceof Step.SelectKey) {
      return "KSTREAM-KEY-SELECT";
    } else if (step instanceof Step.Aggregate a) {
      return a.agg().kind().equals("reduce") ? "KSTREAM-REDUCE" : "KSTREAM-AGGREGATE";
    } else if (step instanceof Step.Join j) {
      return switch (j.kind()) {
        case TABLE -> "KTABLE-SOURCE";
        case TABLE_TABLE -> "KTABLE-JOIN";
        case STREAM_STREAM, STREAM_TABLE -> "KSTREAM-JOIN";
      };
    }
    return "KTABLE-TOSTREAM";
  }

  /** The store a keyed step keeps, registered with its kind and changelog; none for other steps. */
  private List<String> stores(Step step) {
    String kind;
    String name;
    long ttlMs = 0;
    if (step instanceof Step.Aggregate a) {
      name = a.store();
      ttlMs = a.ttlMs();
      kind = a.window() == null ? "key-value"
          : a.window().kind() == io.sluice.streams.state.WindowSpec.Kind.SESSION ? "session" : "window";
    } else if (step instanceof Step.Join j) {
      name = j.store();
      ttlMs = j.ttlMs();
      kind = j.kind() == Step.JoinKind.STREAM_STREAM ? "window" : "key-value";
    } else {
      return List.of();
    }
    t.store(new StreamTopology.Store(name, kind, TaskStores.changelogTopic(d.name(), name), ttlMs));
    return List.of(name);
  }

  private static JsonObject details(Step step) {
    JsonObject o = new JsonObject();
    if (step instanceof Step.Filter f) {
      o.put("kind", "filter").put("expression", f.predicate().source());
    } else if (step instanceof Step.MapStep m) {
      JsonObject e = new JsonObject();
      put(e, "key", m.key());
      put(e, "value", m.value());
      put(e, "headers", m.headers());
      put(e, "timestamp", m.timestamp());
      o.put("kind", "map").put("expressions", e);
    } else if (step instanceof Step.FlatMap f) {
      o.put("kind", "flat_map").put("expression", f.values().source());
    } else if (step instanceof Step.SelectKey s) {
      o.put("kind", "select_key").put("expression", s.key().source());
    } else if (step instanceof Step.Aggregate a) {
      JsonObject e = new JsonObject();
      put(e, "group_by", a.key());
      put(e, "value", a.agg().value());
      put(e, "initial", a.agg().initial());
      put(e, "fold", a.agg().fold());
      put(e, "merge", a.agg().merge());
      put(e, "time", a.time());
      o.put("kind", a.agg().kind()).put("expressions", e).put("window", a.window() == null ? null
          : a.window().kind().name().toLowerCase());
    } else if (step instanceof Step.Join j) {
      JsonObject e = new JsonObject();
      put(e, "key", j.key());
      put(e, "value", j.value());
      o.put("kind", j.kind() == Step.JoinKind.TABLE ? "table" : "join")
          .put("join", j.kind() == Step.JoinKind.TABLE ? null : j.kind().name().toLowerCase())
          .put("type", j.type().name().toLowerCase()).put("other", j.right()).put("expressions", e);
    } else {
      o.put("kind", "to_stream");
    }
    return o;
  }

  private static void put(JsonObject o, String field, Expression e) {
    if (e != null) {
      o.put(field, e.source());
    }
  }

  private String name(String prefix) {
    return String.format("%s-%010d", prefix, counter++);
  }

  private String source(int sub, List<String> topics, String role) {
    String name = name("KSTREAM-SOURCE");
    t.add(sub, new Node(name, Type.SOURCE, List.copyOf(topics), null, List.of(), new ArrayList<>(),
        new JsonObject().put("role", role)));
    failing.add(name); // a key or value the stream's formats cannot read
    return name;
  }

  private String processor(int sub, String prefix, String where, List<String> stores, List<String> preds,
      JsonObject details) {
    String name = name(prefix);
    t.add(sub, new Node(name, Type.PROCESSOR, List.of(), null, stores, new ArrayList<>(preds),
        details.put("step", where)));
    failing.add(name);
    return name;
  }

  private String sink(int sub, String topic, String role, Step.To to, List<String> preds) {
    String name = name("KSTREAM-SINK");
    JsonObject details = new JsonObject().put("role", role);
    if (to != null) {
      details.put("step", to.where()).put("partition", to.partition() == null ? null : to.partition().source());
    }
    t.add(sub, new Node(name, Type.SINK, List.of(), topic, List.of(), new ArrayList<>(preds), details));
    return name;
  }

  /** The dead-letter sink of sub-topology {@code sub}, if anything there may send a record to it. */
  private void deadLetters(int sub) {
    List<String> from = d.failOnError() ? lateToDeadLetter(sub) : failing;
    if (!from.isEmpty()) {
      sink(sub, d.deadLetterTopic(), "dead_letter", null, from);
    }
  }

  private List<String> lateToDeadLetter(int sub) {
    List<String> out = new ArrayList<>();
    for (Node n : t.nodes(sub)) {
      if (d.aggregate() != null && d.aggregate().lateToDeadLetter() && n.stores().contains(d.aggregate().store())) {
        out.add(n.name());
      }
    }
    return out;
  }
}
