package io.sluice.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.streams.BrokerHttp.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a stream holds in memory is bounded by {@code streams.max.bytes.per.record} (64 KiB here): one record's state
 * changes past it are its processing error; a fetch whose records together make more is written in parts, losing
 * nothing. What it answers is bounded by {@code streams.max.answer.bytes} (64 KiB here): a preview answers the
 * records that fit and says it stopped; a store query that would pass it is refused, and answers with fewer keys.
 */
class StreamsMemoryBoundsTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final int BOUND = 64 * 1024;

  @TempDir
  static Path dir;
  private static Broker broker;
  private static final BrokerHttp HTTP = new BrokerHttp(() -> broker.httpPort());

  @BeforeAll
  static void start() throws Exception {
    broker = StreamsBroker.start(dir, GUARD, Map.of(BrokerConfig.STREAMS_MAX_BYTES_PER_RECORD, BOUND,
        BrokerConfig.STREAMS_MAX_VALUE_BYTES, 16 * 1024, BrokerConfig.STREAMS_MAX_ANSWER_BYTES, BOUND));
  }

  @AfterAll
  static void stop() throws Exception {
    TestBrokers.close(broker);
  }

  private static final String FOUR_COPIES = """
      {"name": "%s", "inputs": ["%s"], "value_format": "json",
       "steps": [{"flat_map": "[0, 1, 2, 3].map(i, {'n': value.n, 'i': i, 'pad': value.pad})"}, {"to": "%s"}]}""";

  private static JsonArray records(int count, int padBytes) {
    JsonArray records = new JsonArray();
    for (int n = 0; n < count; n++) {
      records.add(new JsonObject().put("value", new JsonObject().put("n", n).put("pad", "p".repeat(padBytes))));
    }
    return records;
  }

  @Test
  void aFetchWhoseOutputsPassTheBoundIsWrittenInPartsInOrder() throws Exception {
    HTTP.createTopic("copies-in", 1);
    HTTP.createTopic("copies-out", 1);
    Reply created = HTTP.send("POST", "/streams", new JsonObject(FOUR_COPIES.formatted("copies", "copies-in",
        "copies-out")));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    HTTP.produce("copies-in", records(20, 3_000)); // 20 x 12 KB of outputs from one fetch of 60 KB
    StatefulStreamsTest.await("80 outputs", () -> HTTP.read("copies-out", 0).size() >= 80);
    List<String> seen = new ArrayList<>();
    for (JsonObject r : HTTP.read("copies-out", 0)) {
      seen.add(r.getJsonObject("value").getInteger("n") + "." + r.getJsonObject("value").getInteger("i"));
    }
    List<String> expected = new ArrayList<>();
    for (int n = 0; n < 20; n++) {
      for (int i = 0; i < 4; i++) {
        expected.add(n + "." + i);
      }
    }
    assertThat(seen).isEqualTo(expected);
  }

  @Test
  void aRecordWhoseStateChangesPassTheBoundGoesToTheDeadLetterTopic() throws Exception {
    HTTP.createTopic("hops-in", 1);
    Reply created = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "hops", "inputs": ["hops-in"], "key_format": "string", "value_format": "string",
         "steps": [{"group_by": "key"}, {"window": {"hopping": {"size": "100s", "advance": "1s"}}},
                   {"reduce": {"fold": "value", "emit": "final"}}, {"to": "hops-out"}]}"""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    HTTP.produce("hops-in", new JsonArray()
        .add(new JsonObject().put("key", "k").put("value", "x".repeat(2_000)).put("timestamp", 200_000))
        .add(new JsonObject().put("key", "k").put("value", "y").put("timestamp", 200_000)));
    StatefulStreamsTest.await("the large record dead-lettered", () -> HTTP.read("hops-dlq", 0).size() == 1);
    JsonObject dead = HTTP.read("hops-dlq", 0).get(0);
    assertThat(StatefulStreamsTest.header(dead, "sluice.streams.error")).contains("streams.max.bytes.per.record");
    assertThat(dead.getString("value")).hasSize(2_000);
    StatefulStreamsTest.await("the small record processed", () -> {
      JsonObject t = HTTP.send("GET", "/streams/hops", null).json().getJsonArray("tasks").getJsonObject(0);
      return t.getLong("position") == 2 && "RUNNING".equals(t.getString("state"));
    });
  }

  @Test
  void aStoreScanPastTheBoundIsRefusedAndAnswersWithFewerKeys() throws Exception {
    HTTP.createTopic("notes-in", 1);
    HTTP.createTopic("notes-out", 1);
    Reply created = HTTP.send("POST", "/streams", new JsonObject("""
        {"name": "notes", "inputs": ["notes-in"], "key_format": "string", "value_format": "string",
         "steps": [{"group_by": "key"}, {"reduce": "value"}, {"to": "notes-out"}]}"""));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    JsonArray notes = new JsonArray();
    for (int k = 0; k < 20; k++) {
      notes.add(new JsonObject().put("key", "k" + (char) ('a' + k)).put("value", "n".repeat(5_000)));
    }
    HTTP.produce("notes-in", notes);
    StatefulStreamsTest.await("20 results", () -> HTTP.read("notes-out", 0).size() == 20);
    Reply all = HTTP.send("GET", "/streams/notes/stores/reduce/keys?limit=100", null);
    assertThat(all.status()).as(all.body()).isEqualTo(400);
    assertThat(all.json().getString("message")).contains("streams.max.answer.bytes").contains("limit");
    Reply five = HTTP.send("GET", "/streams/notes/stores/reduce/keys?limit=5", null);
    assertThat(five.status()).as(five.body()).isEqualTo(200);
    assertThat(five.json().getJsonArray("entries")).hasSize(5);
  }

  @Test
  void aPreviewAnswersTheRecordsThatFitAndSaysItStopped() throws Exception {
    HTTP.createTopic("preview-in", 1);
    JsonObject body = new JsonObject().put("definition", new JsonObject(FOUR_COPIES.formatted("p", "preview-in",
        "preview-out"))).put("records", records(20, 3_000));
    Reply r = HTTP.send("POST", "/streams/preview", body);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().getJsonArray("records").size()).isBetween(1, 10);
    assertThat(r.json().getString("truncated")).contains("streams.max.answer.bytes").contains("of 20 records");
    Reply fits = HTTP.send("POST", "/streams/preview", body.copy().put("records", records(1, 1_000)));
    assertThat(fits.json().containsKey("truncated")).isFalse();
    assertThat(fits.json().getJsonArray("records").getJsonObject(0).getJsonArray("outputs")).hasSize(4);
  }
}
