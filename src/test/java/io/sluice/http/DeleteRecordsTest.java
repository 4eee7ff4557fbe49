package io.sluice.http;

import static io.sluice.http.GroupsTestSupport.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's DeleteRecords over HTTP ({@code DELETE /topics/{t}/partitions/{p}/records?offset=N}) on a real broker:
 * the log start moves, whole segments below it go, the answer is the low watermark, and it survives a restart;
 * mistakes delete nothing and say why.
 */
class DeleteRecordsTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  Path dataDir;

  @Test
  void recordsBelowTheOffsetAreDeletedWithTheirWholeSegmentsAndStayDeletedAfterARestart() throws Exception {
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of())) {
      create(api, "d", new JsonObject().put("segment.bytes", "1024"));
      for (int i = 0; i < 10; i++) {
        produceLarge(api, "d", 5); // a request a batch of ~1 KiB: a segment each
      }
      long segmentsBefore = segments("d-0");
      var r = api.delete("/topics/d/partitions/0/records?offset=20");
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      assertThat(r.bodyAsJsonObject().getMap()).containsEntry("partition", 0).containsEntry("low_watermark", 20);
      assertThat(offsets(api, "d").getMap()).containsEntry("beginning_offset", 20).containsEntry("end_offset", 50);
      assertThat(segments("d-0")).as("the whole segments below offset 20 are gone").isLessThan(segmentsBefore);
      assertError(api.get("/topics/d/partitions/0/records?offset=19&timeout=0"), 416, ErrorCode.OFFSET_OUT_OF_RANGE);
      assertThat(api.get("/topics/d/partitions/0/records?offset=20&timeout=0").bodyAsJsonArray().getJsonObject(0)
          .getLong("offset")).isEqualTo(20);
      var again = api.delete("/topics/d/partitions/0/records?offset=10");
      assertThat(again.bodyAsJsonObject().getLong("low_watermark")).as("below the log start: nothing more")
          .isEqualTo(20);
    }
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of())) {
      assertThat(offsets(api, "d").getMap()).containsEntry("beginning_offset", 20).containsEntry("end_offset", 50);
    }
  }

  @Test
  void minusOneDeletesEverythingBelowTheHighWatermark() throws Exception {
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of())) {
      api.createTopic("all", 1);
      api.produce("all", 0, 1_000L, 7);
      var r = api.delete("/topics/all/partitions/0/records?offset=-1");
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      assertThat(r.bodyAsJsonObject().getLong("low_watermark")).isEqualTo(7);
      assertThat(offsets(api, "all").getMap()).containsEntry("beginning_offset", 7).containsEntry("end_offset", 7);
      api.produce("all", 0, 2_000L, 1);
      assertThat(api.get("/topics/all/partitions/0/records?offset=7&timeout=0").bodyAsJsonArray().getJsonObject(0)
          .getString("value")).isEqualTo("v0");
    }
  }

  @Test
  void mistakesDeleteNothingAndSayWhatWasWrong() throws Exception {
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of())) {
      api.createTopic("m", 1);
      api.produce("m", 0, 1_000L, 5);
      var past = api.delete("/topics/m/partitions/0/records?offset=6");
      assertError(past, 416, ErrorCode.OFFSET_OUT_OF_RANGE);
      assertThat(past.bodyAsJsonObject().getString("message")).contains("high watermark 5");
      assertThat(api.delete("/topics/m/partitions/0/records").bodyAsJsonObject().getString("message"))
          .as("a DELETE that forgot the offset deletes nothing").contains("'offset' is required");
      assertError(api.delete("/topics/m/partitions/0/records"), 400, ErrorCode.MALFORMED_REQUEST);
      assertError(api.delete("/topics/m/partitions/0/records?offset=-2"), 400, ErrorCode.MALFORMED_REQUEST);
      assertError(api.delete("/topics/m/partitions/0/records?offset=first"), 400, ErrorCode.MALFORMED_REQUEST);
      assertError(api.delete("/topics/nope/partitions/0/records?offset=1"), 404, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      assertError(api.delete("/topics/m/partitions/3/records?offset=1"), 404, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      assertError(api.delete("/topics/__consumer_offsets/partitions/0/records?offset=0"), 400,
          ErrorCode.INVALID_REQUEST);
      create(api, "c", new JsonObject().put("cleanup.policy", "compact"));
      api.produce("c", 0, 1_000L, 3);
      var compacted = api.delete("/topics/c/partitions/0/records?offset=1");
      assertError(compacted, 400, ErrorCode.POLICY_VIOLATION);
      assertThat(compacted.bodyAsJsonObject().getString("message")).contains("cleanup.policy is 'compact'");
      assertThat(offsets(api, "m").getMap()).containsEntry("beginning_offset", 0);
      assertThat(offsets(api, "c").getMap()).containsEntry("beginning_offset", 0);
      create(api, "cd", new JsonObject().put("cleanup.policy", "compact,delete"));
      api.produce("cd", 0, 1_000L, 3);
      assertThat(api.delete("/topics/cd/partitions/0/records?offset=2").statusCode()).isEqualTo(200);
    }
  }

  private static void create(GroupsTestSupport api, String name, JsonObject configs) {
    var r = GroupsTestSupport.await(api.client.post("/topics").sendJsonObject(new JsonObject().put("name", name)
        .put("partitions", 1).put("configs", configs)));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
  }

  private static void produceLarge(GroupsTestSupport api, String topic, int count) {
    JsonArray records = new JsonArray();
    for (int i = 0; i < count; i++) {
      records.add(new JsonObject().put("value", "x".repeat(200)));
    }
    var r = GroupsTestSupport.await(api.client.post("/topics/" + topic + "/partitions/0")
        .putHeader("Content-Type", MediaTypes.KAFKA_JSON_V2)
        .sendBuffer(new JsonObject().put("records", records).toBuffer()));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
  }

  private static JsonObject offsets(GroupsTestSupport api, String topic) {
    var r = api.get("/topics/" + topic + "/partitions/0/offsets");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  private long segments(String partitionDir) throws IOException {
    try (Stream<Path> files = Files.list(dataDir.resolve(partitionDir))) {
      return files.filter(f -> f.getFileName().toString().endsWith(".log")).count();
    }
  }
}
