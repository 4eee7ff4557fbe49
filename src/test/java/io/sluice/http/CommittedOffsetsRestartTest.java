package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Committed offsets, generations and consumer instances are rebuilt from __consumer_offsets after a restart. */
class CommittedOffsetsRestartTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  Path dataDir;

  @Test
  void commitsAndInstancesSurviveABrokerRestart() throws Exception {
    String base;
    int generation;
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of())) {
      api.createTopic("durable", 1);
      api.produce("durable", 0, 1_000, 10);
      base = api.consumer("g-durable", new JsonObject().put("name", "a").put("format", "json")
          .put("auto.offset.reset", "earliest")
          .put("auto.commit.enable", false));
      api.subscribe(base, "durable");
      api.poll(base, 0);
      assertThat(api.post(base + "/offsets", new JsonObject().put("offsets", new JsonArray().add(new JsonObject()
          .put("topic", "durable").put("partition", 0).put("offset", 6)))).statusCode()).isEqualTo(204);
      generation = api.get("/consumer-groups/g-durable").bodyAsJsonObject().getInteger("generation");
    }
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of())) {
      JsonArray lags = api.get("/consumer-groups/g-durable/lags").bodyAsJsonArray();
      assertThat(lags.getJsonObject(0).getMap()).containsEntry("next_offset", 7).containsEntry("lag", 3);
      // The instance itself was restored, with its subscription; it rejoins in a newer generation.
      assertThat(api.get(base + "/subscription").bodyAsJsonObject().getJsonArray("topics")).containsExactly("durable");
      // Its assignment read rejoins it (its membership died with the old coordinator): the owner sees its partition
      // kept, not revoked until the next poll.
      assertThat(api.get(base + "/assignments").bodyAsJsonObject().getJsonArray("partitions"))
          .containsExactly(new JsonObject().put("topic", "durable").put("partition", 0));
      JsonArray records = api.poll(base, 1_000);
      assertThat(records.getJsonObject(0).getLong("offset")).as("resumes after the commit").isEqualTo(7);
      assertThat(api.get("/consumer-groups/g-durable").bodyAsJsonObject().getInteger("generation"))
          .isGreaterThan(generation);
    }
  }

  /** A deleted commit is a tombstone in __consumer_offsets: the coordinator that loads it again does not revive it. */
  @Test
  void deletedCommitsStayDeletedAfterARestart() throws Exception {
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of())) {
      api.createTopic("forgotten", 2);
      api.produce("forgotten", 0, 1_000, 4);
      api.produce("forgotten", 1, 1_000, 4);
      String base = api.consumer("g-forgotten", GroupsTestSupport.earliest("a"));
      api.subscribe(base, "forgotten");
      api.poll(base, 0);
      assertThat(api.post(base + "/offsets", new JsonObject().put("offsets", new JsonArray()
          .add(new JsonObject().put("topic", "forgotten").put("partition", 0).put("offset", 1))
          .add(new JsonObject().put("topic", "forgotten").put("partition", 1).put("offset", 2)))).statusCode())
          .isEqualTo(204);
      assertThat(api.delete(base).statusCode()).isEqualTo(204);
      var deleted = api.post("/consumer-groups/g-forgotten/offsets/delete", new JsonObject().put("partitions",
          new JsonArray().add(new JsonObject().put("topic", "forgotten").put("partition", 0))));
      assertThat(deleted.statusCode()).as(deleted.bodyAsString()).isEqualTo(200);
    }
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of())) {
      JsonArray lags = api.get("/consumer-groups/g-forgotten/lags").bodyAsJsonArray();
      assertThat(lags).hasSize(1);
      assertThat(lags.getJsonObject(0).getMap()).containsEntry("partition", 1).containsEntry("next_offset", 3);
    }
  }

  /**
   * A deleted group is tombstones in __consumer_offsets (its commits and its generation record): the coordinator that
   * loads the partition again neither lists it nor revives its commits, and a group recreated under its name after
   * the delete keeps only what it did since. On main the generation tombstone made the group again at load.
   */
  @Test
  void aDeletedGroupStaysDeletedAfterARestartAndARecreatedOneStartsEmpty() throws Exception {
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of())) {
      api.createTopic("dropped", 2);
      api.produce("dropped", 0, 1_000, 4);
      api.produce("dropped", 1, 1_000, 4);
      for (String group : List.of("g-dropped", "g-reborn")) {
        String base = api.consumer(group, GroupsTestSupport.earliest("a"));
        api.subscribe(base, "dropped");
        api.poll(base, 0);
        assertThat(api.post(base + "/offsets", new JsonObject().put("offsets", new JsonArray()
            .add(new JsonObject().put("topic", "dropped").put("partition", 0).put("offset", 1))
            .add(new JsonObject().put("topic", "dropped").put("partition", 1).put("offset", 2)))).statusCode())
            .isEqualTo(204);
        assertThat(api.delete(base).statusCode()).isEqualTo(204);
        var deleted = api.delete("/consumer-groups/" + group);
        assertThat(deleted.statusCode()).as(deleted.bodyAsString()).isEqualTo(204);
      }
      // g-reborn comes back as a standalone consumer's group: one commit on partition 1, no generation.
      String c = api.consumer("g-reborn", GroupsTestSupport.earliest("c"));
      assertThat(api.post(c + "/assignments", new JsonObject().put("partitions", new JsonArray().add(new JsonObject()
          .put("topic", "dropped").put("partition", 1)))).statusCode()).isEqualTo(204);
      assertThat(api.post(c + "/offsets", new JsonObject().put("offsets", new JsonArray().add(new JsonObject()
          .put("topic", "dropped").put("partition", 1).put("offset", 0)))).statusCode()).isEqualTo(204);
      assertThat(api.delete(c).statusCode()).isEqualTo(204);
    }
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of())) {
      List<String> listed = api.get("/consumer-groups").bodyAsJsonArray().stream()
          .map(o -> ((JsonObject) o).getString("group_id")).toList();
      assertThat(listed).doesNotContain("g-dropped").contains("g-reborn");
      GroupsTestSupport.assertError(api.get("/consumer-groups/g-dropped"), 404, ErrorCode.GROUP_ID_NOT_FOUND);
      JsonArray lags = api.get("/consumer-groups/g-reborn/lags").bodyAsJsonArray();
      assertThat(lags).hasSize(1);
      assertThat(lags.getJsonObject(0).getMap()).containsEntry("partition", 1).containsEntry("next_offset", 1);
      assertThat(api.get("/consumer-groups/g-reborn").bodyAsJsonObject().getInteger("generation")).isZero();
    }
  }
}
