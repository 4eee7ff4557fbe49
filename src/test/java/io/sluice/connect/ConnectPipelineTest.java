package io.sluice.connect;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.client.ClientOptions;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.ReaderOptions;
import io.sluice.client.SluiceClient;
import io.sluice.record.Header;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Kafka's converters, SMTs and predicates configured as in Kafka Connect, and its error handling with a DLQ. */
class ConnectPipelineTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String STRING = "org.apache.kafka.connect.storage.StringConverter";

  @TempDir
  static Path dir;
  private static ConnectTestSupport connect;
  private static SluiceClient client;

  @BeforeAll
  static void start() throws Exception {
    connect = new ConnectTestSupport(dir.resolve("data"), GUARD,
        Map.of(io.sluice.config.BrokerConfig.CONNECT_FILE_ALLOWED_PATHS, dir.toString()));
    client = SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:" + connect.broker.httpPort()));
  }

  @AfterAll
  static void stop() throws Exception {
    client.close().await().atMost(WAIT);
    connect.close();
  }

  private static void produce(String topic, List<ProducerRecord> records) {
    client.admin().createTopic(topic, 1, 1, Map.of()).await().atMost(WAIT);
    var producer = client.producer(ProducerOptions.defaults());
    for (ProducerRecord r : records) {
      producer.send(r).await().atMost(WAIT);
    }
    producer.close().await().atMost(WAIT);
  }

  private static List<ConsumerRecord> read(String topic, int count) {
    ConnectTestSupport.await("topic " + topic, () -> {
      try {
        client.admin().describeTopic(topic).await().atMost(WAIT);
        return true;
      } catch (RuntimeException e) {
        return false;
      }
    });
    return client.partitionReader(ReaderOptions.of(topic, 0).fetchMaxWaitMs(200)).records().select().first(count)
        .collect().asList().await().atMost(WAIT);
  }

  private static List<String> lines(Path p) {
    try {
      return Files.exists(p) ? Files.readAllLines(p) : List.of();
    } catch (java.io.IOException e) {
      return List.of();
    }
  }

  @Test
  void sourceTransformationsAndJsonConverterWithoutSchemas() throws Exception {
    Path in = Files.write(dir.resolve("smt-in.txt"), List.of("alpha", "beta"));
    connect.create("smt-source", new JsonObject().put("connector.class", "FileStreamSource")
        .put("file", in.toString()).put("topic", "words")
        .put("transforms", "hoist,route")
        .put("transforms.hoist.type", "org.apache.kafka.connect.transforms.HoistField$Value")
        .put("transforms.hoist.field", "line")
        .put("transforms.route.type", "RegexRouter").put("transforms.route.regex", "(.*)")
        .put("transforms.route.replacement", "$1-routed")
        .put("value.converter", "org.apache.kafka.connect.json.JsonConverter")
        .put("value.converter.schemas.enable", "false"));
    List<ConsumerRecord> records = read("words-routed", 2);
    assertThat(records).extracting(r -> new JsonObject(new String(r.value(), StandardCharsets.UTF_8)))
        .containsExactly(new JsonObject().put("line", "alpha"), new JsonObject().put("line", "beta"));
    connect.send("DELETE", "/connectors/smt-source", null);
  }

  @Test
  void sinkFilterAppliesOnlyWherePredicateMatches() throws Exception {
    produce("events", List.of(ProducerRecord.of("events", null, "keep-1"),
        new ProducerRecord("events", null, null, null, "drop-me".getBytes(StandardCharsets.UTF_8),
            List.of(Header.of("skip", "yes"))),
        ProducerRecord.of("events", null, "keep-2")));
    Path out = dir.resolve("filtered.txt");
    connect.create("filter-sink", new JsonObject().put("connector.class", "FileStreamSink")
        .put("file", out.toString()).put("topics", "events").put("value.converter", STRING)
        .put("transforms", "dropSkipped").put("transforms.dropSkipped.type", "Filter")
        .put("transforms.dropSkipped.predicate", "hasSkip")
        .put("predicates", "hasSkip").put("predicates.hasSkip.type", "HasHeaderKey")
        .put("predicates.hasSkip.name", "skip"));
    ConnectTestSupport.await("two kept records", () -> lines(out).size() >= 2);
    ConnectTestSupport.await("sink offsets committed", () -> sinkOffset("filter-sink") == 3);
    assertThat(lines(out)).containsExactly("keep-1", "keep-2");
    connect.send("DELETE", "/connectors/filter-sink", null);
  }

  private static long sinkOffset(String name) {
    try {
      var offsets = connect.get("/connectors/" + name + "/offsets").json().getJsonArray("offsets");
      return offsets.isEmpty() ? -1 : offsets.getJsonObject(0).getJsonObject("offset").getLong("kafka_offset");
    } catch (Exception e) {
      return -1;
    }
  }

  @Test
  void recordsThatFailConversionGoToTheDeadLetterQueueWithContextHeaders() throws Exception {
    produce("raw", List.of(ProducerRecord.of("raw", null, "{\"ok\": 1}"), ProducerRecord.of("raw", null, "not json"),
        ProducerRecord.of("raw", null, "{\"ok\": 2}")));
    Path out = dir.resolve("dlq-out.txt");
    connect.create("dlq-sink", new JsonObject().put("connector.class", "FileStreamSink")
        .put("file", out.toString()).put("topics", "raw")
        .put("value.converter", "org.apache.kafka.connect.json.JsonConverter")
        .put("value.converter.schemas.enable", "false")
        .put("errors.tolerance", "all").put("errors.log.enable", "true")
        .put("errors.deadletterqueue.topic.name", "raw-dlq")
        .put("errors.deadletterqueue.context.headers.enable", "true"));
    ConnectTestSupport.await("good records in the file", () -> lines(out).size() >= 2);
    assertThat(lines(out)).containsExactly("{ok=1}", "{ok=2}");
    ConsumerRecord dead = read("raw-dlq", 1).get(0);
    assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("not json");
    Map<String, String> headers = new HashMap<>();
    dead.headers().forEach(h -> headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8)));
    assertThat(headers).containsEntry("__connect.errors.topic", "raw")
        .containsEntry("__connect.errors.partition", "0").containsEntry("__connect.errors.offset", "1")
        .containsEntry("__connect.errors.connector.name", "dlq-sink").containsEntry("__connect.errors.task.id", "0")
        .containsEntry("__connect.errors.stage", "VALUE_CONVERTER")
        .containsEntry("__connect.errors.exception.class.name", "org.apache.kafka.connect.errors.DataException")
        .containsKey("__connect.errors.exception.stacktrace");
    connect.send("DELETE", "/connectors/dlq-sink", null);
  }

  @Test
  void withoutToleranceABadRecordFailsTheTask() throws Exception {
    produce("raw-strict", List.of(ProducerRecord.of("raw-strict", null, "not json")));
    connect.create("strict-sink", new JsonObject().put("connector.class", "FileStreamSink")
        .put("file", dir.resolve("strict.txt").toString()).put("topics", "raw-strict")
        .put("value.converter", "org.apache.kafka.connect.json.JsonConverter")
        .put("task.restart.max.attempts", "0"));
    connect.awaitState("strict-sink", 0, "FAILED");
    String trace = connect.get("/connectors/strict-sink/tasks/0/status").json().getString("trace");
    assertThat(trace).contains("Tolerance exceeded in error handler").contains("DataException");
    connect.send("DELETE", "/connectors/strict-sink", null);
  }

  /**
   * With the authorizer off, a connector written before brokers recorded who writes a config (no owner) runs as it
   * always did; with it on it does not start ({@code ConnectOwnerRightsTest}).
   */
  @Test
  void withTheAuthorizerOffAConnectorWithNoRecordedOwnerRunsAsBefore() throws Exception {
    client.admin().createTopic("ownerless-out", 1, 1, Map.of()).await().atMost(WAIT);
    JsonObject created = connect.send("POST", "/connectors", new JsonObject().put("name", "ownerless")
        .put("initial_state", "STOPPED").put("config", new JsonObject().put("connector.class", "LoadGenerator")
        .put("topic", "ownerless-out").put("max.records", "5"))).json();
    assertThat(created.getString("name")).isEqualTo("ownerless");
    connect.produce(ConnectState.CONFIGS_TOPIC, ConnectState.creatorKey("ownerless"), null);
    org.awaitility.Awaitility.await().atMost(WAIT).until(() -> connect.latest(ConnectState.CONFIGS_TOPIC)
        .get(ConnectState.creatorKey("ownerless")) == null);

    assertThat(connect.send("PUT", "/connectors/ownerless/resume", null).status()).isEqualTo(202);
    assertThat(read("ownerless-out", 5)).hasSize(5);
    assertThat(connect.state("ownerless", -1)).isEqualTo("RUNNING");
    connect.send("DELETE", "/connectors/ownerless", null);
  }
}
