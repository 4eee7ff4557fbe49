package io.sluice.streams;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A stream's topology in the shape of Kafka Streams' {@code TopologyDescription}: sub-topologies of source, processor
 * and sink nodes joined by edges, and the stores the processors use. Built by {@link TopologyDescriber}; answered as
 * JSON ({@link #toJson()}) and as the text Kafka's {@code Topology#describe().toString()} prints ({@link #toText()}).
 *
 * <p>Order follows Kafka's rules so that the text is the one Kafka would print for the same graph: sub-topologies by
 * id; within one, and in each node's {@code -->} and {@code <--} lists, nodes by the size of the sub-tree they root
 * (descending), then by name. Kafka computes those sizes while it links the nodes, visiting them in the order of a
 * {@code HashMap} of their names and each node's predecessors in the order they were added, and sorts each node's
 * neighbours as they are linked: {@link #describe} does the same, so sizes (which count paths, not distinct nodes)
 * and ties come out as Kafka's. Source topics print in the order of a {@code HashSet} of them, as Kafka's do.
 *
 * <p>Built on one thread, then immutable in use.
 */
final class StreamTopology {
  /** What a node is: Kafka's three kinds. */
  enum Type { SOURCE, PROCESSOR, SINK }

  /**
   * A store: its name, kind ({@code key-value}, {@code window}, {@code session}), changelog topic and the TTL of its
   * keys ({@code ttlMs}, 0: none).
   */
  record Store(String name, String kind, String changelogTopic, long ttlMs) {
  }

  /**
   * A node as built. {@code topics}: a source's topics; {@code topic}: a sink's; {@code stores}: a processor's;
   * {@code predecessors}: names, in the order they were added; {@code details}: what Sluice adds to Kafka's shape
   * (the step, its expressions, a sink's role).
   */
  record Node(String name, Type type, List<String> topics, String topic, List<String> stores,
      List<String> predecessors, JsonObject details) {
  }

  private final List<Map<String, Node>> subtopologies = new ArrayList<>();
  private final Map<String, Store> stores = new LinkedHashMap<>();

  /** Starts a new sub-topology; answers its id. */
  int subtopology() {
    subtopologies.add(new LinkedHashMap<>());
    return subtopologies.size() - 1;
  }

  void add(int subtopology, Node node) {
    subtopologies.get(subtopology).put(node.name(), node);
  }

  /** Adds {@code predecessor} to the node named {@code name} (a sink fed from several places). */
  void link(int subtopology, String name, String predecessor) {
    subtopologies.get(subtopology).get(name).predecessors().add(predecessor);
  }

  Node node(int subtopology, String name) {
    return subtopologies.get(subtopology).get(name);
  }

  List<Node> nodes(int subtopology) {
    return List.copyOf(subtopologies.get(subtopology).values());
  }

  int subtopologyCount() {
    return subtopologies.size();
  }

  void store(Store store) {
    stores.put(store.name(), store);
  }

  /** A node as Kafka describes it: linked both ways, with the size of the sub-tree it roots. */
  private static final class Described {
    final Node node;
    final TreeSet<Described> predecessors = new TreeSet<>(ORDER);
    final TreeSet<Described> successors = new TreeSet<>(ORDER);
    int size = 1;

    Described(Node node) {
      this.node = node;
    }

    String name() {
      return node.name();
    }
  }

  private static final Comparator<Described> ORDER = (a, b) -> a == b ? 0
      : a.size != b.size ? b.size - a.size : a.name().compareTo(b.name());

  private static void grow(Described node, int delta) {
    node.size += delta;
    for (Described p : node.predecessors) {
      grow(p, delta);
    }
  }

  /** Sub-topology {@code id}'s nodes linked and ordered as Kafka's {@code describe()} does. */
  private TreeSet<Described> describe(int id) {
    Map<String, Described> byName = new HashMap<>();
    for (Node n : subtopologies.get(id).values()) {
      byName.put(n.name(), new Described(n));
    }
    for (Described d : byName.values()) {
      for (String p : d.node.predecessors()) {
        Described pred = byName.get(p);
        d.predecessors.add(pred);
        pred.successors.add(d);
        grow(pred, d.size);
      }
    }
    TreeSet<Described> ordered = new TreeSet<>(ORDER);
    ordered.addAll(byName.values());
    return ordered;
  }

  /** Kafka's {@code TopologyDescription#toString()} of this topology (no global stores: streams have none). */
  String toText() {
    StringBuilder sb = new StringBuilder("Topologies:\n ");
    for (int id = 0; id < subtopologies.size(); id++) {
      sb.append("  Sub-topology: ").append(id).append('\n');
      for (Described d : describe(id)) {
        sb.append("    ").append(line(d)).append('\n');
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  private static String line(Described d) {
    Node n = d.node;
    return switch (n.type()) {
      case SOURCE -> "Source: " + n.name() + " (topics: " + new HashSet<>(n.topics()) + ")\n      --> "
          + names(d.successors);
      case PROCESSOR -> "Processor: " + n.name() + " (stores: " + new HashSet<>(n.stores()) + ")\n      --> "
          + names(d.successors) + "\n      <-- " + names(d.predecessors);
      case SINK -> "Sink: " + n.name() + " (topic: " + n.topic() + ")\n      <-- " + names(d.predecessors);
    };
  }

  private static String names(Set<Described> nodes) {
    if (nodes.isEmpty()) {
      return "none";
    }
    List<String> out = new ArrayList<>();
    nodes.forEach(n -> out.add(n.name()));
    return String.join(", ", out);
  }

  /**
   * {@code {"subtopologies": [{"id", "nodes": [{"name", "type", "topics" | "topic" | "stores", "successors",
   * "predecessors", ...details}]}], "global_stores": [], "stores": [{"name", "kind", "changelog_topic",
   * "processors", "ttl_ms" (with a TTL)}]}}, nodes and edges in the text's order.
   */
  JsonObject toJson() {
    JsonArray subs = new JsonArray();
    Map<String, JsonArray> users = new LinkedHashMap<>();
    stores.keySet().forEach(s -> users.put(s, new JsonArray()));
    for (int id = 0; id < subtopologies.size(); id++) {
      JsonArray nodes = new JsonArray();
      for (Described d : describe(id)) {
        nodes.add(nodeJson(d));
        d.node.stores().forEach(s -> users.computeIfAbsent(s, k -> new JsonArray()).add(d.name()));
      }
      subs.add(new JsonObject().put("id", id).put("nodes", nodes));
    }
    JsonArray storesJson = new JsonArray();
    for (Store s : stores.values()) {
      JsonObject o = new JsonObject().put("name", s.name()).put("kind", s.kind())
          .put("changelog_topic", s.changelogTopic()).put("processors", users.get(s.name()));
      storesJson.add(s.ttlMs() > 0 ? o.put("ttl_ms", s.ttlMs()) : o);
    }
    return new JsonObject().put("subtopologies", subs).put("global_stores", new JsonArray()).put("stores", storesJson);
  }

  private static JsonObject nodeJson(Described d) {
    Node n = d.node;
    JsonObject o = new JsonObject().put("name", n.name()).put("type", n.type().name().toLowerCase());
    switch (n.type()) {
      case SOURCE -> o.put("topics", new JsonArray(new ArrayList<>(n.topics())));
      case SINK -> o.put("topic", n.topic());
      case PROCESSOR -> o.put("stores", new JsonArray(new ArrayList<>(n.stores())));
    }
    o.put("successors", nameArray(d.successors)).put("predecessors", nameArray(d.predecessors));
    return o.mergeIn(n.details());
  }

  private static JsonArray nameArray(Set<Described> nodes) {
    JsonArray a = new JsonArray();
    nodes.forEach(n -> a.add(n.name()));
    return a;
  }
}
