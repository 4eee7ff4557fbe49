package io.sluice.http;

import static io.sluice.http.GroupsTestSupport.assertError;
import static io.sluice.http.GroupsTestSupport.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Static membership (Kafka's KIP-345, {@code group.instance.id}) over the REST v2 consumer API: a static instance
 * bounced within its session timeout comes back with its partitions and the group does not rebalance (same
 * generation, the other member's assignment and commits untouched); past the timeout the group rebalances; a
 * newer instance with the id fences the old one; describe shows the ids; a member is removed by hand. The group
 * coordinator runs on the test's clock, so a session "passes" when the test moves it.
 */
class StaticMembershipApiTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final long SESSION_MS = 10_000;
  private static final long WAIT_MS = 30_000;

  @TempDir
  Path dataDir;
  private final AtomicLong clock = new AtomicLong(1_700_000_000_000L);

  private static JsonObject settings(String name, String instanceId) {
    JsonObject s = GroupsTestSupport.earliest(name).put("session.timeout.ms", SESSION_MS);
    return instanceId == null ? s : s.put("group.instance.id", instanceId);
  }

  /** A stable group of a dynamic member {@code a} and a static member {@code b} ("b-id") on topic t (4 partitions). */
  private static String[] stableGroup(GroupsTestSupport api, String group) {
    api.createTopic("t", 4);
    String a = api.consumer(group, settings("a", null));
    String b = api.consumer(group, settings("b", "b-id"));
    api.subscribe(a, "t");
    api.subscribe(b, "t");
    api.poll(a, 0);
    api.poll(b, 0);
    until(WAIT_MS, "a stable group", () -> {
      api.poll(a, 0);
      api.poll(b, 0);
      return describe(api, group).getString("state").equals("Stable");
    });
    return new String[] {a, b};
  }

  private static JsonObject describe(GroupsTestSupport api, String group) {
    var r = api.get("/consumer-groups/" + group);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  private static JsonObject memberOf(JsonObject description, String instanceName) {
    return description.getJsonArray("members").stream().map(JsonObject.class::cast)
        .filter(m -> m.getString("instance_id").equals(instanceName)).findFirst().orElseThrow();
  }

  private static void commitAll(GroupsTestSupport api, String base) {
    var r = api.post(base + "/offsets", null);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
  }

  @Test
  void aStaticMemberBouncedWithinItsSessionComesBackWithItsPartitionsAndNobodyRebalances() throws Exception {
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of(), clock::get)) {
      String[] ab = stableGroup(api, "g");
      String a = ab[0];
      JsonObject before = describe(api, "g");
      int generation = before.getInteger("generation");
      Set<String> aOwned = api.owned(a);
      Set<String> bOwned = api.owned(ab[1]);
      assertThat(memberOf(before, "b").getString("group_instance_id")).isEqualTo("b-id");
      assertThat(memberOf(before, "a").getValue("group_instance_id")).isNull();

      // The bounce: the instance goes (the client's close) and a new one, another name, comes with the same id.
      assertThat(api.delete(ab[1]).statusCode()).isEqualTo(204);
      JsonObject gone = describe(api, "g");
      assertThat(gone.getString("state")).as("no rebalance on a static member's close").isEqualTo("Stable");
      assertThat(memberOf(gone, "b").getString("group_instance_id")).isEqualTo("b-id");
      clock.addAndGet(SESSION_MS - 1_000);
      String b2 = api.consumer("g", settings("b2", "b-id"));
      api.subscribe(b2, "t");
      api.poll(b2, 0);

      JsonObject after = describe(api, "g");
      assertThat(after.getInteger("generation")).isEqualTo(generation);
      assertThat(after.getString("state")).isEqualTo("Stable");
      assertThat(api.owned(b2)).isEqualTo(bOwned);
      assertThat(memberOf(after, "b2").getString("group_instance_id")).isEqualTo("b-id");
      assertThat(after.getJsonArray("members")).hasSize(2);
      // a never polled since: its generation is still the group's, so its commit goes through (a rebalance would
      // have refused it), and its partitions did not move.
      api.poll(a, 0);
      commitAll(api, a);
      assertThat(api.owned(a)).isEqualTo(aOwned);
      assertThat(describe(api, "g").getInteger("generation")).isEqualTo(generation);
    }
  }

  @Test
  void staticMembersKeepTheirPartitionsAndTheGenerationAcrossARestartOfTheirCoordinator() throws Exception {
    Set<String> aOwned;
    Set<String> bOwned;
    int generation;
    String a;
    String b;
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of(), clock::get)) {
      api.createTopic("t", 4);
      a = api.consumer("g", settings("a", "a-id"));
      b = api.consumer("g", settings("b", "b-id"));
      api.subscribe(a, "t");
      api.subscribe(b, "t");
      until(WAIT_MS, "a stable group", () -> {
        api.poll(a, 0);
        api.poll(b, 0);
        return describe(api, "g").getString("state").equals("Stable");
      });
      generation = describe(api, "g").getInteger("generation");
      aOwned = api.owned(a);
      bOwned = api.owned(b);
    }
    // The coordinator is gone and a new one loads the group from __consumer_offsets; both instances come back.
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of(), clock::get)) {
      JsonObject loaded = describe(api, "g");
      assertThat(loaded.getString("state")).isEqualTo("Stable");
      assertThat(loaded.getJsonArray("members")).hasSize(2);
      api.poll(a, 0);
      api.poll(b, 0);
      JsonObject after = describe(api, "g");
      assertThat(after.getInteger("generation")).as("no rebalance").isEqualTo(generation);
      assertThat(after.getString("state")).isEqualTo("Stable");
      assertThat(api.owned(a)).isEqualTo(aOwned);
      assertThat(api.owned(b)).isEqualTo(bOwned);
      assertThat(memberOf(after, "a").getString("group_instance_id")).isEqualTo("a-id");
    }
  }

  /**
   * Kafka stores the group when a static member replaces another without a rebalance, so the coordinator that loads
   * it fences the replaced member id. Here the replaced instance had not called since: only the record can tell.
   */
  @Test
  void anInstanceReplacedBeforeItsCoordinatorRestartedStaysFencedAfterIt() throws Exception {
    String a;
    String b;
    Set<String> owned;
    int generation;
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of(), clock::get)) {
      api.createTopic("t", 4);
      a = api.consumer("g", settings("a", "x"));
      api.subscribe(a, "t");
      until(WAIT_MS, "a stable group", () -> {
        api.poll(a, 0);
        return describe(api, "g").getString("state").equals("Stable");
      });
      generation = describe(api, "g").getInteger("generation");
      b = api.consumer("g", settings("b", "x"));
      api.subscribe(b, "t");
      api.poll(b, 0);
      owned = api.owned(b);
      assertThat(owned).hasSize(4);
    }
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of(), clock::get)) {
      assertError(api.get(a + "/records?timeout=0"), 409, ErrorCode.FENCED_INSTANCE_ID);
      api.poll(b, 0);
      assertThat(api.owned(b)).isEqualTo(owned);
      JsonObject after = describe(api, "g");
      assertThat(after.getJsonArray("members")).hasSize(1);
      assertThat(memberOf(after, "b").getString("group_instance_id")).isEqualTo("x");
      assertThat(after.getInteger("generation")).as("no rebalance").isEqualTo(generation);
      assertError(api.get(a + "/records?timeout=0"), 409, ErrorCode.FENCED_INSTANCE_ID);
    }
  }

  @Test
  void aStaticMemberGonePastItsSessionTimeoutIsExpiredAndTheGroupRebalances() throws Exception {
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of(), clock::get)) {
      String[] ab = stableGroup(api, "g");
      int generation = describe(api, "g").getInteger("generation");
      assertThat(api.delete(ab[1]).statusCode()).isEqualTo(204);
      clock.addAndGet(SESSION_MS + 1_000);
      api.poll(ab[0], 0); // a heartbeats meanwhile: only b's session passes
      until(WAIT_MS, "b's member to expire", () -> {
        api.poll(ab[0], 0);
        return describe(api, "g").getJsonArray("members").size() == 1;
      });
      assertThat(describe(api, "g").getInteger("generation")).isGreaterThan(generation);
      assertThat(api.owned(ab[0])).containsExactlyInAnyOrder("t-0", "t-1", "t-2", "t-3");
    }
  }

  @Test
  void aNewerInstanceWithTheSameIdFencesTheOldOneForGood() throws Exception {
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of(), clock::get)) {
      String[] ab = stableGroup(api, "g");
      int generation = describe(api, "g").getInteger("generation");
      Set<String> bOwned = api.owned(ab[1]);
      // The old process was killed without a close: its instance is still there when the new one joins.
      String b2 = api.consumer("g", settings("b2", "b-id"));
      api.subscribe(b2, "t");
      api.poll(b2, 0);
      assertThat(api.owned(b2)).isEqualTo(bOwned);

      assertError(api.get(ab[1] + "/records?timeout=0"), 409, ErrorCode.FENCED_INSTANCE_ID);
      assertError(api.post(ab[1] + "/offsets", null), 409, ErrorCode.FENCED_INSTANCE_ID);
      assertError(api.get(ab[1] + "/records?timeout=0"), 409, ErrorCode.FENCED_INSTANCE_ID);
      assertThat(api.owned(b2)).as("the fenced instance did not take the membership back").isEqualTo(bOwned);
      assertThat(describe(api, "g").getInteger("generation")).isEqualTo(generation);
      assertThat(api.delete(ab[1]).statusCode()).as("a fenced instance may still be deleted").isEqualTo(204);
      assertThat(api.owned(b2)).isEqualTo(bOwned);
    }
  }

  @Test
  void leaveGroupOnDeleteAndRemovalByHandRebalanceAtOnce() throws Exception {
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of(), clock::get)) {
      String[] ab = stableGroup(api, "g");
      int generation = describe(api, "g").getInteger("generation");
      assertError(api.delete("/consumer-groups/g/members/nobody"), 409, ErrorCode.UNKNOWN_MEMBER_ID);
      assertThat(api.delete("/consumer-groups/g/members/b-id").statusCode()).isEqualTo(204);
      until(WAIT_MS, "a to get every partition", () -> {
        api.poll(ab[0], 0);
        return api.owned(ab[0]).size() == 4;
      });
      assertThat(describe(api, "g").getInteger("generation")).isGreaterThan(generation);
      assertThat(describe(api, "g").getJsonArray("members")).hasSize(1);

      // b's instance was not deleted: its next poll joins again, as Kafka's consumer does after a removal.
      api.poll(ab[1], 0);
      until(WAIT_MS, "b back in the group", () -> {
        api.poll(ab[0], 0);
        api.poll(ab[1], 0);
        return api.owned(ab[1]).size() == 2;
      });
      int rejoined = describe(api, "g").getInteger("generation");
      assertError(api.delete(ab[1] + "?group_membership_operation=nonsense"), 400, ErrorCode.MALFORMED_REQUEST);
      assertThat(api.delete(ab[1] + "?group_membership_operation=leave_group").statusCode()).isEqualTo(204);
      assertThat(describe(api, "g").getJsonArray("members")).hasSize(1);
      until(WAIT_MS, "a to get every partition again", () -> {
        api.poll(ab[0], 0);
        return api.owned(ab[0]).size() == 4;
      });
      assertThat(describe(api, "g").getInteger("generation")).isGreaterThan(rejoined);
    }
  }

  @Test
  void badInstanceIdsAndAnotherAssignorAreRefused() throws Exception {
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of(), clock::get)) {
      stableGroup(api, "g");
      assertError(api.post("/consumers/g", settings("x", "has space")), 400, ErrorCode.INVALID_REQUEST);
      assertError(api.post("/consumers/g", settings("x", "")), 400, ErrorCode.INVALID_REQUEST);
      assertError(api.post("/consumers/g", settings("x", "x".repeat(250))), 400, ErrorCode.INVALID_REQUEST);
      String other = api.consumer("g", settings("c", "b-id").put("partition.assignment.strategy", "roundrobin"));
      api.subscribe(other, "t");
      assertError(api.get(other + "/records?timeout=0"), 409, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      assertThat(describe(api, "g").getString("state")).isEqualTo("Stable");
    }
  }
}
