package io.sluice.http;

import static io.sluice.http.GroupsTestSupport.assertError;
import static io.sluice.http.GroupsTestSupport.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commits fenced by the member id and generation their client names (Kafka's OffsetCommit): once the group moved on
 * (a rebalance, an eviction) a zombie's commit of the partitions it lost is refused, ILLEGAL_GENERATION or
 * UNKNOWN_MEMBER_ID, and the new owner's commit stays. The group coordinator runs on the test's clock.
 */
class FencedCommitsApiTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final long SESSION_MS = 10_000;
  private static final long WAIT_MS = 30_000;

  @TempDir
  Path dataDir;
  private final AtomicLong clock = new AtomicLong(1_700_000_000_000L);

  private static JsonObject settings(String name) {
    return GroupsTestSupport.earliest(name).put("session.timeout.ms", SESSION_MS);
  }

  private static JsonObject membership(GroupsTestSupport api, String base) {
    var r = api.get(base + "/assignments");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  private static JsonObject commit(String topic, int partition, long lastProcessed, JsonObject fence) {
    JsonObject body = new JsonObject().put("offsets", new JsonArray().add(new JsonObject().put("topic", topic)
        .put("partition", partition).put("offset", lastProcessed)));
    return fence == null ? body : body.put("member_id", fence.getValue("member_id"))
        .put("generation_id", fence.getValue("generation_id"));
  }

  private static long committed(GroupsTestSupport api, String base, int partition) {
    var r = api.get(base + "/offsets", new JsonObject().put("partitions", new JsonArray().add(new JsonObject()
        .put("topic", "t").put("partition", partition))));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject().getJsonArray("offsets").getJsonObject(0).getLong("offset");
  }

  /** Topic t (two partitions) and instance a, the only member of group g, owning both. */
  private static String memberAlone(GroupsTestSupport api) {
    api.createTopic("t", 2);
    String a = api.consumer("g", settings("a"));
    api.subscribe(a, "t");
    api.poll(a, 0);
    return a;
  }

  /** Joins {@code b} to a group {@code a} owns alone, polling both until the group is stable again. */
  private static void rebalanceWith(GroupsTestSupport api, String a, String b) {
    api.subscribe(b, "t");
    until(WAIT_MS, "a stable group of two", () -> {
      api.poll(a, 0);
      api.poll(b, 0);
      return api.get("/consumer-groups/g").bodyAsJsonObject().getString("state").equals("Stable")
          && api.owned(a).size() == 1 && api.owned(b).size() == 1;
    });
  }

  @Test
  void aCommitNamingAnOldGenerationIsRefusedAndTheNewOwnersCommitStays() throws Exception {
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of(), clock::get)) {
      String a = memberAlone(api);
      JsonObject old = membership(api, a);
      assertThat(old.getString("member_id")).isNotBlank();
      assertThat(old.getJsonArray("partitions")).hasSize(2);
      assertThat(api.post(a + "/offsets", commit("t", 0, 1, old)).statusCode()).isEqualTo(204);

      String b = api.consumer("g", settings("b"));
      rebalanceWith(api, a, b);
      int lost = membership(api, b).getJsonArray("partitions").getJsonObject(0).getInteger("partition");
      assertThat(api.post(b + "/offsets", commit("t", lost, 7, membership(api, b))).statusCode()).isEqualTo(204);

      // a's client still acts on what it read in the old generation: its commit of the partition it lost is refused.
      assertError(api.post(a + "/offsets", commit("t", lost, 2, old)), 409, ErrorCode.ILLEGAL_GENERATION);
      assertThat(committed(api, b, lost)).isEqualTo(7);
      // Naming a member the instance is not is refused too; naming its membership now is accepted.
      JsonObject forged = membership(api, a).copy().put("member_id", "someone-else");
      assertError(api.post(a + "/offsets", commit("t", 1 - lost, 3, forged)), 409, ErrorCode.UNKNOWN_MEMBER_ID);
      assertThat(api.post(a + "/offsets", commit("t", 1 - lost, 3, membership(api, a))).statusCode()).isEqualTo(204);
      assertThat(committed(api, a, 1 - lost)).isEqualTo(3);
    }
  }

  @Test
  void aZombieEvictedPastItsSessionCannotCommitUnderItsOldMemberIdEvenOnceItJoinedAgain() throws Exception {
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of(), clock::get)) {
      String a = memberAlone(api);
      JsonObject old = membership(api, a);
      String b = api.consumer("g", settings("b"));
      api.subscribe(b, "t");
      // a pauses past its session: b, which keeps polling, takes both partitions and commits.
      clock.addAndGet(SESSION_MS + 1_000);
      until(WAIT_MS, "b to own both partitions", () -> {
        api.poll(b, 0);
        return api.owned(b).size() == 2;
      });
      assertThat(api.post(b + "/offsets", commit("t", 0, 9, membership(api, b))).statusCode()).isEqualTo(204);

      assertError(api.post(a + "/offsets", commit("t", 0, 4, old)), 409, ErrorCode.UNKNOWN_MEMBER_ID);
      // Its next poll joins it again, as a new member: the old member id stays refused.
      rebalanceWith(api, a, b);
      assertError(api.post(a + "/offsets", commit("t", 0, 4, old)), 409, ErrorCode.UNKNOWN_MEMBER_ID);
      assertThat(committed(api, b, 0)).isEqualTo(9);
    }
  }

  @Test
  void aFenceThatIsNotAMemberIdAndAGenerationIsRefusedAsMalformed() throws Exception {
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of(), clock::get)) {
      String a = memberAlone(api);
      assertError(api.post(a + "/offsets", commit("t", 0, 1, null).put("generation_id", "one")), 400,
          ErrorCode.MALFORMED_REQUEST);
      assertError(api.post(a + "/offsets", commit("t", 0, 1, null).put("member_id", 5)), 400,
          ErrorCode.MALFORMED_REQUEST);
    }
  }
}
