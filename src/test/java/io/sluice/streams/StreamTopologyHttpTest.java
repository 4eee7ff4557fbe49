package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.client.ClientOptions;
import io.sluice.client.SluiceClient;
import io.sluice.client.Streams;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.streams.BrokerHttp.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /streams/{name}/topology} on a real broker: JSON with live figures, Kafka's text, and its errors. */
class StreamTopologyHttpTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  static Path dir;
  private static Broker broker;
  private static final BrokerHttp HTTP = new BrokerHttp(() -> broker.httpPort());

  @BeforeAll
  static void start() throws Exception {
    broker = StreamsBroker.start(dir, GUARD, Map.of());
    HTTP.createTopic("clicks", 2);
    HTTP.createTopic("per-page", 1);
    Reply created = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "per-page", "inputs": ["clicks"], "value_format": "json",
         "steps": [{"filter": "has(value.page)"}, {"group_by": "value.page"}, {"count": {"store": "counts"}},
                   {"to": "per-page"}]}"""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
  }

  @AfterAll
  static void stop() throws Exception {
    TestBrokers.close(broker);
  }

  @Test
  void theTopologyNamesEveryNodeStoreAndInternalTopicAndCountsTheRecordsItsSourcesRead() throws Exception {
    HTTP.produce("clicks", new JsonArray().add(new JsonObject().put("key", "a").put("value",
        new JsonObject().put("page", "/x"))).add(new JsonObject().put("key", "b").put("value",
        new JsonObject().put("page", "/y"))).add(new JsonObject().put("key", "c").put("value",
        new JsonObject().put("page", "/x"))));
    Awaitility.await("the source's figures to count the three clicks").atMost(Duration.ofMinutes(1))
        .until(() -> sourceFigures(get("/streams/per-page/topology")).getLong("records_in") == 3);
    JsonObject topo = get("/streams/per-page/topology");
    assertThat(topo.getString("name")).isEqualTo("per-page");
    assertThat(topo.getLong("version")).isEqualTo(1);
    assertThat(topo.getJsonArray("subtopologies")).hasSize(2);
    List<String> names = new ArrayList<>();
    for (Object s : topo.getJsonArray("subtopologies")) {
      ((JsonObject) s).getJsonArray("nodes").forEach(n -> names.add(((JsonObject) n).getString("name")));
    }
    assertThat(names).contains("KSTREAM-SOURCE-0000000000", "KSTREAM-FILTER-0000000001",
        "KSTREAM-KEY-SELECT-0000000002", "KSTREAM-AGGREGATE-0000000006");
    assertThat(topo.getJsonArray("stores").getJsonObject(0).getString("changelog_topic"))
        .isEqualTo("per-page-counts-changelog");
    assertThat(topo.getJsonArray("internal_topics")).hasSize(2);
    assertThat(sourceFigures(topo).getLong("tasks")).isEqualTo(2);
  }

  @Test
  void formatTextIsKafkasDescriptionAsPlainText() throws Exception {
    Reply r = HTTP.send("GET", "/streams/per-page/topology?format=text", null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).startsWith("Topologies:\n   Sub-topology: 0\n    Source: KSTREAM-SOURCE-0000000000"
        + " (topics: [clicks])\n").contains("\n  Sub-topology: 1\n")
        .contains("    Processor: KSTREAM-AGGREGATE-0000000006 (stores: [counts])\n").endsWith("\n\n");
  }

  @Test
  void anUnknownFormatOrStreamIsRefusedNamingIt() throws Exception {
    Reply bad = HTTP.send("GET", "/streams/per-page/topology?format=dot", null);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().getInteger("error_code")).isEqualTo(42);
    assertThat(bad.json().getString("message")).contains("'dot'");
    Reply missing = HTTP.send("GET", "/streams/nope/topology", null);
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.json().getInteger("error_code")).isEqualTo(10019);
  }

  /** The Java client's calls answer as the route, in both formats, and a new version's topology at once. */
  @Test
  void theJavaClientReadsBothFormatsAndANewVersionsTopology() throws Exception {
    HTTP.createTopic("views", 1);
    HTTP.createTopic("per-view", 1);
    String definition = """
        {"name": "per-view", "inputs": ["views"], "steps": [{"group_by": "key"}, {"count": {"store": "%s"}},
         {"to": "per-view"}]}""";
    Reply created = HTTP.send("POST", "/streams", new JsonObject(definition.formatted("first")));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:" + broker.httpPort()));
    Duration wait = Duration.ofSeconds(30);
    try {
      Streams streams = client.streams();
      JsonObject topo = streams.topology("per-view").await().atMost(wait);
      assertThat(topo.getString("name")).isEqualTo("per-view");
      assertThat(topo.getJsonArray("stores").getJsonObject(0).getString("name")).isEqualTo("first");
      assertThat(streams.topologyText("per-view").await().atMost(wait)).startsWith("Topologies:\n")
          .contains("(stores: [first])").isEqualTo(HTTP.send("GET", "/streams/per-view/topology?format=text", null)
              .body());
      Reply updated = HTTP.send("PUT", "/streams/per-view", new JsonObject(definition.formatted("second")));
      assertThat(updated.status()).as(updated.body()).isEqualTo(200);
      JsonObject next = streams.topology("per-view").await().atMost(wait);
      assertThat(next.getLong("version")).isEqualTo(2);
      assertThat(next.getJsonArray("stores").getJsonObject(0).getString("name")).isEqualTo("second");
      assertThat(streams.topologyText("per-view").await().atMost(wait)).contains("(stores: [second])");
      assertThatThrownBy(() -> streams.topology("nope").await().atMost(wait))
          .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.errorCode())
              .isEqualTo(ErrorCode.STREAM_NOT_FOUND));
    } finally {
      client.close().await().atMost(wait);
    }
  }

  private static JsonObject get(String path) throws Exception {
    Reply r = HTTP.send("GET", path, null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  private static JsonObject sourceFigures(JsonObject topo) {
    JsonObject source = topo.getJsonArray("subtopologies").getJsonObject(0).getJsonArray("nodes").stream()
        .map(JsonObject.class::cast).filter(n -> n.getString("name").equals("KSTREAM-SOURCE-0000000000"))
        .findFirst().orElseThrow();
    return source.getJsonObject("figures");
  }
}
