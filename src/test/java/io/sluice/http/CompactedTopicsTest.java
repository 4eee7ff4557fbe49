package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.config.BrokerConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compaction on a real broker (tiny segments, a fast cleaner timer here): a coordinator that
 * restarts on a compacted __consumer_offsets still loads every group's latest commit, and a group consumer moves
 * past offsets a compacted topic no longer holds.
 */
class CompactedTopicsTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Map<String, Object> SETTINGS = Map.of(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 1,
      BrokerConfig.OFFSETS_TOPIC_SEGMENT_BYTES, 1024, BrokerConfig.LOG_RETENTION_CHECK_INTERVAL_MS, 100);
  @TempDir
  Path dataDir;

  @Test
  void aRestartedCoordinatorLoadsTheLatestCommitsFromACompactedOffsetsTopic() throws Exception {
    String base;
    Path offsetsDir = dataDir.resolve("__consumer_offsets-0");
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, SETTINGS)) {
      api.createTopic("compacted-commits", 1);
      api.produce("compacted-commits", 0, System.currentTimeMillis(), 50);
      base = api.consumer("g-compact", GroupsTestSupport.earliest("a"));
      api.subscribe(base, "compacted-commits");
      api.poll(base, 0);
      for (int offset = 1; offset <= 40; offset++) { // each commit supersedes the previous one
        commit(api, base, offset);
      }
      // 40 commits of about 150 bytes each rolled many 1 KiB segments; the cleaner (running meanwhile) leaves
      // one merged segment holding the live keys, and the active one.
      await("compaction of __consumer_offsets-0").atMost(Duration.ofMinutes(1))
          .until(() -> {
        List<Path> files = segments(offsetsDir);
        return files.size() == 2 && baseOffset(files.get(1)) >= 40 && segmentBytes(offsetsDir) < 2_048;
      });
    }
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, SETTINGS)) {
      JsonArray lags = api.get("/consumer-groups/g-compact/lags").bodyAsJsonArray();
      assertThat(lags.getJsonObject(0).getMap()).containsEntry("next_offset", 41).containsEntry("lag", 9);
      assertThat(api.get(base + "/subscription").bodyAsJsonObject().getJsonArray("topics"))
          .containsExactly("compacted-commits");
      JsonArray records = api.poll(base, 1_000);
      assertThat(records.getJsonObject(0).getLong("offset")).as("resumes after the commit").isEqualTo(41);
    }
  }

  @Test
  void aGroupConsumerMovesPastOffsetsACompactedTopicNoLongerHolds() throws Exception {
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, SETTINGS)) {
      var created = GroupsTestSupport.await(api.client.post("/topics").sendJsonObject(new JsonObject()
          .put("name", "gaps").put("partitions", 1).put("configs", new JsonObject()
              .put("cleanup.policy", "compact").put("segment.bytes", 1024))));
      assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
      for (int i = 0; i < 40; i++) { // one key, one batch per request: each update supersedes the last
        var r = GroupsTestSupport.await(api.client.post("/topics/gaps/partitions/0")
            .putHeader("Content-Type", MediaTypes.KAFKA_JSON_V2).sendBuffer(new JsonObject().put("records",
                new JsonArray().add(new JsonObject().put("key", "k").put("value", "v" + i))).toBuffer()));
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      }
      Path partitionDir = dataDir.resolve("gaps-0");
      // Closed segments are left with nothing but their last (empty) batch each, merged into one segment.
      await("compaction of gaps-0").atMost(Duration.ofMinutes(1))
          .until(() -> segments(partitionDir).size() == 2
          && segments(partitionDir).get(0).toFile().length() < 1024);
      String a = api.consumer("g-gaps", GroupsTestSupport.earliest("a"));
      api.subscribe(a, "gaps");
      JsonArray[] records = {new JsonArray()};
      GroupsTestSupport.until(10_000, "records past the gap", () -> (records[0] = api.poll(a, 0)).size() > 0);
      // The cleaner may have kept a record of the closed part that was the key's latest when it ran; what the
      // consumer must do is start at the first offset the log still holds, past the ones compaction removed.
      long firstHeld = firstRecordFrom(api, 0);
      assertThat(firstHeld).as("offset 0 was compacted away").isPositive();
      assertThat(records[0].getJsonObject(0).getLong("offset")).isEqualTo(firstHeld);
    }
  }

  /** The offset of the first record at or after {@code offset}, following the fetch's next-offset header. */
  private static long firstRecordFrom(GroupsTestSupport api, long offset) {
    long next = offset;
    while (true) {
      var r = GroupsTestSupport.await(api.client.get("/topics/gaps/partitions/0/records?timeout=0&offset=" + next)
          .putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send());
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      if (!r.bodyAsJsonArray().isEmpty()) {
        return r.bodyAsJsonArray().getJsonObject(0).getLong("offset");
      }
      long after = Long.parseLong(r.getHeader(FetchEndpoint.NEXT_OFFSET));
      assertThat(after).as("an empty fetch moves on").isGreaterThan(next);
      next = after;
    }
  }

  private static void commit(GroupsTestSupport api, String base, long offset) {
    var r = api.post(base + "/offsets", new JsonObject().put("offsets", new JsonArray().add(new JsonObject()
        .put("topic", "compacted-commits").put("partition", 0).put("offset", offset))));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
  }

  private static List<Path> segments(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long baseOffset(Path segment) {
    return Long.parseLong(segment.getFileName().toString().substring(0, 20));
  }

  private static long segmentBytes(Path dir) {
    return segments(dir).stream().mapToLong(p -> p.toFile().length()).sum();
  }
}
