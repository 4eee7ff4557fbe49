package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.streams.StreamTopology.Node;
import io.sluice.streams.StreamTopology.Type;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Topology descriptions of every kind of definition, and the text form held to Kafka's format: the formatter is
 * checked against descriptions Kafka's own tests expect ({@code SuppressTopologyTest}, a join test's sub-topology),
 * built here node by node, and a definition Kafka's DSL writes the same way prints what Kafka prints.
 */
class TopologyDescriberTest {
  private static final DefinitionParser PARSER = new DefinitionParser(new Expressions(4096, 1000),
      new StreamDefinition.Limits(64, 1000));

  private static StreamDefinition parse(String json) {
    return PARSER.parse(new JsonObject(json), null);
  }

  private static void add(StreamTopology t, int sub, String name, Type type, List<String> topicsOrStores,
      String... preds) {
    List<String> p = new ArrayList<>(List.of(preds));
    Node n = switch (type) {
      case SOURCE -> new Node(name, type, topicsOrStores, null, List.of(), p, new JsonObject());
      case PROCESSOR -> new Node(name, type, List.of(), null, topicsOrStores, p, new JsonObject());
      case SINK -> new Node(name, type, List.of(), topicsOrStores.get(0), List.of(), p, new JsonObject());
    };
    t.add(sub, n);
  }

  @Test
  void theTextOfAGraphIsWhatKafkasDescribePrintsForIt() {
    StreamTopology t = new StreamTopology();
    int a = t.subtopology();
    add(t, a, "KSTREAM-SOURCE-0000000000", Type.SOURCE, List.of("input"));
    add(t, a, "KSTREAM-KEY-SELECT-0000000001", Type.PROCESSOR, List.of(), "KSTREAM-SOURCE-0000000000");
    add(t, a, "counts-repartition-filter", Type.PROCESSOR, List.of(), "KSTREAM-KEY-SELECT-0000000001");
    add(t, a, "counts-repartition-sink", Type.SINK, List.of("counts-repartition"), "counts-repartition-filter");
    int b = t.subtopology();
    add(t, b, "counts-repartition-source", Type.SOURCE, List.of("counts-repartition"));
    add(t, b, "KSTREAM-AGGREGATE-0000000002", Type.PROCESSOR, List.of("counts"), "counts-repartition-source");
    add(t, b, "myname", Type.PROCESSOR, List.of("myname-store"), "KSTREAM-AGGREGATE-0000000002");
    add(t, b, "KTABLE-TOSTREAM-0000000006", Type.PROCESSOR, List.of(), "myname");
    add(t, b, "KSTREAM-MAP-0000000007", Type.PROCESSOR, List.of(), "KTABLE-TOSTREAM-0000000006");
    add(t, b, "KSTREAM-SINK-0000000008", Type.SINK, List.of("output-suppressed"), "KSTREAM-MAP-0000000007");
    // Kafka's SuppressTopologyTest.NAMED_FINAL_TOPOLOGY.
    assertThat(t.toText()).isEqualTo("Topologies:\n"
        + "   Sub-topology: 0\n"
        + "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        + "      --> KSTREAM-KEY-SELECT-0000000001\n"
        + "    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"
        + "      --> counts-repartition-filter\n"
        + "      <-- KSTREAM-SOURCE-0000000000\n"
        + "    Processor: counts-repartition-filter (stores: [])\n"
        + "      --> counts-repartition-sink\n"
        + "      <-- KSTREAM-KEY-SELECT-0000000001\n"
        + "    Sink: counts-repartition-sink (topic: counts-repartition)\n"
        + "      <-- counts-repartition-filter\n"
        + "\n"
        + "  Sub-topology: 1\n"
        + "    Source: counts-repartition-source (topics: [counts-repartition])\n"
        + "      --> KSTREAM-AGGREGATE-0000000002\n"
        + "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [counts])\n"
        + "      --> myname\n"
        + "      <-- counts-repartition-source\n"
        + "    Processor: myname (stores: [myname-store])\n"
        + "      --> KTABLE-TOSTREAM-0000000006\n"
        + "      <-- KSTREAM-AGGREGATE-0000000002\n"
        + "    Processor: KTABLE-TOSTREAM-0000000006 (stores: [])\n"
        + "      --> KSTREAM-MAP-0000000007\n"
        + "      <-- myname\n"
        + "    Processor: KSTREAM-MAP-0000000007 (stores: [])\n"
        + "      --> KSTREAM-SINK-0000000008\n"
        + "      <-- KTABLE-TOSTREAM-0000000006\n"
        + "    Sink: KSTREAM-SINK-0000000008 (topic: output-suppressed)\n"
        + "      <-- KSTREAM-MAP-0000000007\n"
        + "\n");
  }

  @Test
  void nodesAreOrderedByTheSizeOfTheirSubTreeThenByName() {
    // A sub-topology of a Kafka join test: two sources, ties of size broken by name ('K' sorts before 'f').
    StreamTopology t = new StreamTopology();
    int s = t.subtopology();
    add(t, s, "first-join-repartition-source", Type.SOURCE, List.of("first-join-repartition"));
    add(t, s, "first-join", Type.PROCESSOR, List.of("tableB"), "first-join-repartition-source");
    add(t, s, "KSTREAM-SINK-0000000010", Type.SINK, List.of("out-one"), "first-join");
    add(t, s, "KSTREAM-SOURCE-0000000001", Type.SOURCE, List.of("topic2"));
    add(t, s, "KTABLE-SOURCE-0000000002", Type.PROCESSOR, List.of("tableB"), "KSTREAM-SOURCE-0000000001");
    assertThat(t.toText()).isEqualTo("Topologies:\n"
        + "   Sub-topology: 0\n"
        + "    Source: first-join-repartition-source (topics: [first-join-repartition])\n"
        + "      --> first-join\n"
        + "    Source: KSTREAM-SOURCE-0000000001 (topics: [topic2])\n"
        + "      --> KTABLE-SOURCE-0000000002\n"
        + "    Processor: first-join (stores: [tableB])\n"
        + "      --> KSTREAM-SINK-0000000010\n"
        + "      <-- first-join-repartition-source\n"
        + "    Sink: KSTREAM-SINK-0000000010 (topic: out-one)\n"
        + "      <-- first-join\n"
        + "    Processor: KTABLE-SOURCE-0000000002 (stores: [tableB])\n"
        + "      --> none\n"
        + "      <-- KSTREAM-SOURCE-0000000001\n"
        + "\n");
  }

  @Test
  void aFilterToAnOutputFailingOnErrorPrintsWhatKafkaPrintsForStreamFilterTo() {
    StreamDefinition d = parse("""
        {"name": "s", "inputs": ["input"], "on_error": "fail",
         "steps": [{"filter": "value.qty > 1"}, {"to": "output"}]}""");
    // What Kafka prints for builder.stream("input").filter(...).to("output").
    assertThat(TopologyDescriber.describe(d).toText()).isEqualTo("Topologies:\n"
        + "   Sub-topology: 0\n"
        + "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        + "      --> KSTREAM-FILTER-0000000001\n"
        + "    Processor: KSTREAM-FILTER-0000000001 (stores: [])\n"
        + "      --> KSTREAM-SINK-0000000002\n"
        + "      <-- KSTREAM-SOURCE-0000000000\n"
        + "    Sink: KSTREAM-SINK-0000000002 (topic: output)\n"
        + "      <-- KSTREAM-FILTER-0000000001\n"
        + "\n");
    JsonObject filter = node(TopologyDescriber.json(d), 0, "KSTREAM-FILTER-0000000001");
    assertThat(filter.getString("step")).isEqualTo("steps[0].filter");
    assertThat(filter.getString("expression")).isEqualTo("value.qty > 1");
  }

  @Test
  void everyStepIsAProcessorAndEveryNodeThatMayFailFeedsTheDeadLetterSink() {
    StreamDefinition d = parse("""
        {"name": "s", "inputs": ["in"], "steps": [{"map": {"key": "value.id", "value": "value.q"}},
          {"select_key": "string(value)"}, {"flat_map": "[value, value]"}, {"to": {"topic": "out", "partition": "0"}}]}""");
    JsonObject topo = TopologyDescriber.json(d);
    List<JsonObject> nodes = nodes(topo, 0);
    assertThat(nodes).extracting(n -> n.getString("kind") == null ? n.getString("role") : n.getString("kind"))
        .containsExactlyInAnyOrder("input", "map", "select_key", "flat_map", "output", "dead_letter");
    JsonObject map = nodes.stream().filter(n -> "map".equals(n.getString("kind"))).findFirst().orElseThrow();
    assertThat(map.getJsonObject("expressions").getMap()).isEqualTo(Map.of("key", "value.id", "value", "value.q"));
    JsonObject out = nodes.stream().filter(n -> "output".equals(n.getString("role"))).findFirst().orElseThrow();
    assertThat(out.getString("partition")).isEqualTo("0");
    assertThat(out.getString("topic")).isEqualTo("out");
    JsonObject dlq = nodes.stream().filter(n -> "dead_letter".equals(n.getString("role"))).findFirst().orElseThrow();
    assertThat(dlq.getString("topic")).isEqualTo("s-dlq");
    assertThat(dlq.getJsonArray("predecessors")).hasSize(4); // the source (formats) and the three processors
  }

  @Test
  void aBranchIsAProcessorWithAChildPerArmAndMergedInputsShareTheSource() {
    StreamDefinition d = parse("""
        {"name": "s", "inputs": ["in"], "on_error": "fail", "steps": [{"merge": ["in2", "in3"]},
          {"branch": [{"when": "value.q > 5", "steps": [{"to": "big"}]}, {"steps": []}]}]}""");
    String text = TopologyDescriber.describe(d).toText();
    assertThat(text).contains("Source: KSTREAM-SOURCE-0000000000 (topics: "
        + new HashSet<>(List.of("in", "in2", "in3")) + ")\n");
    JsonObject topo = TopologyDescriber.json(d);
    JsonObject branch = node(topo, 0, "KSTREAM-BRANCH-0000000001");
    assertThat(branch.getJsonArray("successors")).containsExactlyInAnyOrder("KSTREAM-BRANCHCHILD-0000000002",
        "KSTREAM-BRANCHCHILD-0000000004");
    assertThat(node(topo, 0, "KSTREAM-BRANCHCHILD-0000000002").getString("expression")).isEqualTo("value.q > 5");
    assertThat(node(topo, 0, "KSTREAM-BRANCHCHILD-0000000004").getJsonArray("successors")).isEmpty();
    assertThat(text).contains("Processor: KSTREAM-BRANCHCHILD-0000000004 (stores: [])\n      --> none\n");
    assertThat(text).doesNotContain("s-dlq");
  }

  @Test
  void aGroupByANewKeyIsTwoSubTopologiesThroughTheRepartitionTopicWithAWindowStore() {
    StreamDefinition d = parse("""
        {"name": "c", "inputs": ["clicks"], "on_error": "fail", "steps": [{"group_by": "value.page"},
          {"window": {"tumbling": "60s", "grace": "10s"}}, {"count": {"store": "counts"}}, {"to": "out"}]}""");
    assertThat(TopologyDescriber.describe(d).toText()).isEqualTo("Topologies:\n"
        + "   Sub-topology: 0\n"
        + "    Source: KSTREAM-SOURCE-0000000000 (topics: [clicks])\n"
        + "      --> KSTREAM-KEY-SELECT-0000000001\n"
        + "    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"
        + "      --> KSTREAM-SINK-0000000002\n"
        + "      <-- KSTREAM-SOURCE-0000000000\n"
        + "    Sink: KSTREAM-SINK-0000000002 (topic: c-repartition-0)\n"
        + "      <-- KSTREAM-KEY-SELECT-0000000001\n"
        + "\n"
        + "  Sub-topology: 1\n"
        + "    Source: KSTREAM-SOURCE-0000000003 (topics: [c-repartition-0])\n"
        + "      --> KSTREAM-AGGREGATE-0000000004\n"
        + "    Processor: KSTREAM-AGGREGATE-0000000004 (stores: [counts])\n"
        + "      --> KSTREAM-SINK-0000000005\n"
        + "      <-- KSTREAM-SOURCE-0000000003\n"
        + "    Sink: KSTREAM-SINK-0000000005 (topic: out)\n"
        + "      <-- KSTREAM-AGGREGATE-0000000004\n"
        + "\n");
    JsonObject topo = TopologyDescriber.json(d);
    assertThat(topo.getJsonArray("stores")).containsExactly(new JsonObject().put("name", "counts")
        .put("kind", "window").put("changelog_topic", "c-counts-changelog")
        .put("processors", new JsonArray().add("KSTREAM-AGGREGATE-0000000004")));
    assertThat(topo.getJsonArray("internal_topics")).containsExactly(
        new JsonObject().put("topic", "c-repartition-0").put("role", "repartition"),
        new JsonObject().put("topic", "c-counts-changelog").put("role", "changelog"));
    assertThat(node(topo, 0, "KSTREAM-SINK-0000000002").getString("role")).isEqualTo("repartition");
    assertThat(node(topo, 0, "KSTREAM-KEY-SELECT-0000000001").getString("expression")).isEqualTo("value.page");
  }

  @Test
  void aGroupByTheKeyOfOneInputStaysInOneSubTopologyWithAKeyValueStore() {
    StreamDefinition d = parse("""
        {"name": "c", "inputs": ["in"], "steps": [{"group_by": "key"}, {"sum": {"value": "value.n", "ttl": "1h"}},
          {"to_stream": {}}, {"to": "out"}]}""");
    JsonObject topo = TopologyDescriber.json(d);
    assertThat(topo.getJsonArray("subtopologies")).hasSize(1);
    assertThat(nodes(topo, 0)).extracting(n -> n.getString("name")).contains("KSTREAM-AGGREGATE-0000000001",
        "KTABLE-TOSTREAM-0000000002");
    assertThat(topo.getJsonArray("stores").getJsonObject(0).getString("kind")).isEqualTo("key-value");
    assertThat(topo.getJsonArray("stores").getJsonObject(0).getLong("ttl_ms")).isEqualTo(3_600_000L);
    assertThat(topo.getJsonArray("internal_topics")).extracting(o -> ((JsonObject) o).getString("role"))
        .containsExactly("changelog");
  }

  @Test
  void aGroupByTheKeyOfSeveralInputsRepartitionsWithoutAKeySelector() {
    StreamDefinition d = parse("""
        {"name": "c", "inputs": ["a", "b"], "on_error": "fail", "steps": [{"group_by": "key"},
          {"window": {"session": "5m", "late": "dead_letter"}}, {"count": {}}, {"to": "out"}]}""");
    JsonObject topo = TopologyDescriber.json(d);
    assertThat(nodes(topo, 0)).extracting(n -> n.getString("name")).containsExactly("KSTREAM-SOURCE-0000000000",
        "KSTREAM-SINK-0000000001");
    assertThat(topo.getJsonArray("stores").getJsonObject(0).getString("kind")).isEqualTo("session");
    // on_error fail: only the aggregation's late records go to the dead-letter topic.
    JsonObject dlq = nodes(topo, 1).stream().filter(n -> "dead_letter".equals(n.getString("role"))).findFirst()
        .orElseThrow();
    assertThat(dlq.getJsonArray("predecessors")).containsExactly("KSTREAM-AGGREGATE-0000000003");
  }

  @Test
  void aStreamTableJoinFeedsBothSidesToTheRepartitionTopicAndJoinsBehindIt() {
    StreamDefinition d = parse("""
        {"name": "j", "inputs": ["orders"], "on_error": "fail", "steps": [{"filter": "value.n >= 0"},
          {"join": {"table": "customers", "type": "left", "key": "value.customer"}}, {"to": "out"}]}""");
    JsonObject topo = TopologyDescriber.json(d);
    JsonObject sink = nodes(topo, 0).stream().filter(n -> "repartition".equals(n.getString("role"))).findFirst()
        .orElseThrow();
    assertThat(sink.getJsonArray("predecessors")).containsExactlyInAnyOrder("KSTREAM-KEY-SELECT-0000000002",
        "KSTREAM-SOURCE-0000000004");
    assertThat(node(topo, 0, "KSTREAM-SOURCE-0000000004").getJsonArray("topics")).containsExactly("customers");
    assertThat(node(topo, 0, "KSTREAM-SOURCE-0000000000").getJsonArray("topics")).containsExactly("orders");
    JsonObject join = node(topo, 1, "KSTREAM-JOIN-0000000006");
    assertThat(join.getString("join")).isEqualTo("stream_table");
    assertThat(join.getString("type")).isEqualTo("left");
    assertThat(join.getJsonArray("stores")).containsExactly("join");
    assertThat(topo.getJsonArray("stores").getJsonObject(0).getString("kind")).isEqualTo("key-value");
  }

  @Test
  void aStreamStreamJoinKeepsAWindowStore() {
    StreamDefinition d = parse("""
        {"name": "j", "inputs": ["in"], "steps": [{"join": {"stream": "other", "within": "1s"}}, {"to": "out"}]}""");
    JsonObject topo = TopologyDescriber.json(d);
    assertThat(topo.getJsonArray("stores").getJsonObject(0).getString("kind")).isEqualTo("window");
    assertThat(node(topo, 1, "KSTREAM-JOIN-0000000005").getString("join")).isEqualTo("stream_stream");
  }

  @Test
  void aTableReadAloneAndATableTableJoinGoThroughTheRepartitionTopic() {
    JsonObject alone = TopologyDescriber.json(parse("""
        {"name": "t", "table": "users", "steps": [{"to_stream": {}}, {"to": "out"}]}"""));
    assertThat(node(alone, 0, "KSTREAM-SOURCE-0000000000").getString("role")).isEqualTo("table");
    JsonObject table = node(alone, 1, "KTABLE-SOURCE-0000000004");
    assertThat(table.getString("kind")).isEqualTo("table");
    assertThat(table.getJsonArray("stores")).containsExactly("table");
    assertThat(table.getJsonArray("successors")).contains("KTABLE-TOSTREAM-0000000005");
    JsonObject joined = TopologyDescriber.json(parse("""
        {"name": "t", "table": "users", "steps": [{"join": {"table": "addresses", "type": "outer"}},
          {"to_stream": {}}, {"to": "out"}]}"""));
    assertThat(node(joined, 0, "KSTREAM-SOURCE-0000000002").getJsonArray("topics")).containsExactly("addresses");
    assertThat(node(joined, 1, "KTABLE-JOIN-0000000005").getString("type")).isEqualTo("outer");
  }

  @Test
  void figuresSumTheTasksReadingEachSourcesTopics() {
    StreamDefinition d = parse("""
        {"name": "j", "inputs": ["orders"], "steps": [{"join": {"table": "customers"}}, {"to": "out"}]}""");
    JsonObject task = new JsonObject().put("records_in", 5L).put("records_out", 4L).put("lag", 2L).put("errors", 1L);
    JsonObject topo = TopologyDescriber.withFigures(TopologyDescriber.json(d), Map.of("orders-0", task,
        "orders-1", task, "customers-0", task, "j-repartition-0-0", task.copy().put("lag", 7L)));
    assertThat(node(topo, 0, "KSTREAM-SOURCE-0000000000").getJsonObject("figures")).isEqualTo(new JsonObject()
        .put("tasks", 2L).put("records_in", 10L).put("records_out", 8L).put("lag", 4L).put("errors", 2L));
    assertThat(topo.getJsonArray("subtopologies").getJsonObject(0).getJsonObject("figures").getLong("tasks"))
        .isEqualTo(3L);
    assertThat(topo.getJsonArray("subtopologies").getJsonObject(1).getJsonObject("figures").getLong("lag"))
        .isEqualTo(7L);
  }

  private static List<JsonObject> nodes(JsonObject topo, int sub) {
    List<JsonObject> out = new ArrayList<>();
    topo.getJsonArray("subtopologies").getJsonObject(sub).getJsonArray("nodes").forEach(n -> out.add((JsonObject) n));
    return out;
  }

  private static JsonObject node(JsonObject topo, int sub, String name) {
    return nodes(topo, sub).stream().filter(n -> n.getString("name").equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError(name + " not in sub-topology " + sub + ": " + topo.encode()));
  }
}
