package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.config.BrokerConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A consumer instance's poll reads only what its answer may hold ({@code http.max.inflight.answer.bytes}, here its
 * smallest, one largest fetch): 6.3 MB of records fit the poll's max_bytes of 16 MiB, but a poll's grant is a quarter
 * of the bound's bytes of stored records, so it answers fewer, and the next polls go on where it stopped.
 */
class ConsumerPollAnswerMemoryTest {
  private static final int BOUND = 16 << 20;
  private static final int VALUE_BYTES = 100_000;
  private static final int BATCHES = 7;
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
  void aPollReadsWhatItsAnswerMayHoldAndTheNextGoesOn() {
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
    for (int polls = 0; polls < 50 && next < total; polls++) {
      var r = GroupsTestSupport.await(api.client.get(a + "/records?timeout=1000&max_bytes=" + BOUND)
          .putHeader("Accept", MediaTypes.KAFKA_BINARY_V2).send());
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      JsonArray records = r.bodyAsJsonArray();
      for (int i = 0; i < records.size(); i++) {
        assertThat(records.getJsonObject(i).getLong("offset")).isEqualTo(next++);
      }
      largest = Math.max(largest, records.size());
    }
    assertThat(next).as("every record, in order").isEqualTo(total);
    assertThat((long) largest * VALUE_BYTES).as("one poll's stored bytes: its grant's share, and one batch more")
        .isLessThanOrEqualTo(BOUND / JsonRecordsAnswer.RESERVED_PER_STORED_BYTE + PER_BATCH * VALUE_BYTES);
    assertThat(largest).isLessThan(total);
  }
}
