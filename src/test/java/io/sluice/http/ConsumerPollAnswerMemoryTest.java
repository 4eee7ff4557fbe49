package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.config.BrokerConfig;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A consumer instance's JSON answer is encoded within the answers' heap ({@code http.max.inflight.answer.bytes}, here
 * its smallest, one largest fetch of 16 MiB): 14.4 MB of records fit a poll's max_bytes, but their base64 JSON (19 MB)
 * does not fit the bound, so the poll answers fewer and the next poll goes on from the first record not answered.
 * A parked poll holds none of the bound: polls waiting at once are all answered.
 */
class ConsumerPollAnswerMemoryTest {
  private static final int BOUND = 16 << 20;
  private static final int VALUE_BYTES = 100_000;
  private static final int BATCHES = 16;
  private static final int PER_BATCH = 9;
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  static Path dataDir;
  static GroupsTestSupport api;

  @BeforeAll
  static void start() throws Exception {
    api = new GroupsTestSupport(dataDir, GUARD, Map.of(BrokerConfig.HTTP_MAX_INFLIGHT_ANSWER_BYTES, (long) BOUND));
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
  }

  @Test
  void aPollWhoseJsonPassesTheBoundAnswersFewerAndTheNextGoesOn() {
    api.createTopic("big", 1);
    String value = Base64.getEncoder().encodeToString(new byte[VALUE_BYTES]);
    for (int b = 0; b < BATCHES; b++) {
      JsonArray records = new JsonArray();
      for (int i = 0; i < PER_BATCH; i++) {
        records.add(new JsonObject().put("value", value));
      }
      var r = GroupsTestSupport.await(api.client.post("/topics/big/partitions/0")
          .putHeader("Content-Type", MediaTypes.KAFKA_BINARY_V2)
          .sendBuffer(new JsonObject().put("records", records).toBuffer()));
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    }
    String a = api.consumer("g-big", new JsonObject().put("name", "a").put("format", "binary")
        .put("auto.offset.reset", "earliest").put("auto.commit.enable", "false"));
    api.subscribe(a, "big");
    int total = BATCHES * PER_BATCH;
    long next = 0;
    int largest = 0;
    long largestBody = 0;
    for (int polls = 0; polls < 50 && next < total; polls++) {
      var r = GroupsTestSupport.await(api.client.get(a + "/records?timeout=1000&max_bytes=" + BOUND)
          .putHeader("Accept", MediaTypes.KAFKA_BINARY_V2).send());
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      JsonArray records = r.bodyAsJsonArray();
      for (int i = 0; i < records.size(); i++) {
        assertThat(records.getJsonObject(i).getLong("offset")).isEqualTo(next++);
      }
      largest = Math.max(largest, records.size());
      largestBody = Math.max(largestBody, r.body().length());
    }
    assertThat(next).as("every record, in order").isEqualTo(total);
    assertThat(largest).isLessThan(total);
    assertThat(largestBody).isLessThanOrEqualTo(BOUND);
  }

  @Test
  void pollsWaitingAtOnceHoldNoneOfTheBound() {
    api.createTopic("quiet", 1);
    List<String> consumers = new ArrayList<>();
    for (int c = 0; c < 3; c++) {
      consumers.add(api.consumer("g-quiet-" + c, new JsonObject().put("name", "c").put("format", "json")));
      api.subscribe(consumers.get(c), "quiet");
    }
    // Reserving 4 x max_bytes before the wait gave the first the whole bound and answered the others 503.
    List<Future<HttpResponse<Buffer>>> polls = new ArrayList<>();
    for (String c : consumers) {
      polls.add(api.client.get(c + "/records?timeout=1500&max_bytes=" + BOUND)
          .putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send());
    }
    for (Future<HttpResponse<Buffer>> poll : polls) {
      var r = GroupsTestSupport.await(poll);
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    }
  }
}
