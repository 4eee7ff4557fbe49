package io.sluice.http;

import static io.sluice.http.GroupsTestSupport.await;
import static io.sluice.http.GroupsTestSupport.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group membership changes racing each other at one coordinator, over HTTP, many rounds each (a fresh group per
 * round): two clients rejoining under one {@code group.instance.id} at once, a static member removed by hand while
 * its successor joins, a dynamic member leaving while another's join rebalances the group, and sessions expiring
 * while their members poll. After each round: never two members holding one instance id, the loser fenced
 * (FENCED_INSTANCE_ID) for good, no member the group forgot still owning partitions, every partition owned exactly
 * once, and no 5xx. The requests of a round are sent together; their order at the coordinator is the race.
 */
class GroupMembershipRacesTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final int ROUNDS = 12;
  private static final long SESSION_MS = 10_000;
  private static final long WAIT_MS = 60_000;

  @TempDir
  static Path dataDir;
  private static final AtomicLong CLOCK = new AtomicLong(1_700_000_000_000L);
  private static GroupsTestSupport api;

  @BeforeAll
  static void start() throws Exception {
    api = new GroupsTestSupport(dataDir, GUARD, Map.of(), CLOCK::get);
    api.createTopic("t", 4);
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
  }

  @Test
  void clientsRejoiningUnderOneInstanceIdAtOnceLeaveOneHolderAndFenceTheOthers() {
    for (int round = 0; round < ROUNDS; round++) {
      String g = "rejoin-" + round;
      String d = member(g, "d", null);
      String s0 = member(g, "s0", "x");
      stable(g, d, s0);
      // The holder polls while two new clients take the id over.
      String s1 = member(g, "s1", "x");
      String s2 = member(g, "s2", "x");
      List<HttpResponse<Buffer>> raced = together(poll(s0), poll(s1), poll(s2));
      raced.forEach(r -> assertThat(r.statusCode()).as(r.bodyAsString()).isIn(200, 409));
      List<String> live = new ArrayList<>();
      for (String s : List.of(s0, s1, s2)) {
        HttpResponse<Buffer> r = await(poll(s));
        if (r.statusCode() == 200) {
          live.add(s);
        } else {
          GroupsTestSupport.assertError(r, 409, ErrorCode.FENCED_INSTANCE_ID);
        }
      }
      assertThat(live).as("round %d: one holder of the id", round).hasSize(1);
      assertThat(await(poll(live.get(0))).statusCode()).isEqualTo(200);
      stable(g, d, live.get(0));
      JsonObject group = describe(g);
      assertThat(holdersOf(group, "x")).as(group.encode()).containsExactly(name(live.get(0)));
      for (String s : List.of(s0, s1, s2)) {
        if (!s.equals(live.get(0))) {
          GroupsTestSupport.assertError(await(poll(s)), 409, ErrorCode.FENCED_INSTANCE_ID);
        }
      }
    }
  }

  @Test
  void aStaticMemberRemovedWhileItsSuccessorJoinsLeavesNoGhost() {
    for (int round = 0; round < ROUNDS; round++) {
      String g = "remove-" + round;
      String d = member(g, "d", null);
      String s0 = member(g, "s0", "x");
      stable(g, d, s0);
      assertThat(api.delete(s0).statusCode()).isEqualTo(204); // Kafka's close: the member stays until it expires
      String s1 = member(g, "s1", "x");
      List<HttpResponse<Buffer>> raced = together(poll(s1), api.client.delete("/consumer-groups/" + g + "/members/x")
          .send());
      assertThat(raced.get(0).statusCode()).as(raced.get(0).bodyAsString()).isEqualTo(200);
      assertThat(raced.get(1).statusCode()).as(raced.get(1).bodyAsString()).isEqualTo(204);
      stable(g, d, s1);
      JsonObject group = describe(g);
      assertThat(group.getJsonArray("members")).as(group.encode()).hasSize(2);
      assertThat(holdersOf(group, "x")).as(group.encode()).containsExactly("s1");
    }
  }

  @Test
  void aDynamicMemberLeavingWhileAnotherJoinsLeavesTheRestOwningEveryPartitionOnce() {
    for (int round = 0; round < ROUNDS; round++) {
      String g = "leave-" + round;
      String a = member(g, "a", null);
      String b = member(g, "b", null);
      stable(g, a, b);
      int generation = describe(g).getInteger("generation");
      String c = member(g, "c", null);
      List<HttpResponse<Buffer>> raced = together(poll(c), api.client.delete(a + "?group_membership_operation="
          + "leave_group").send(), poll(b));
      raced.forEach(r -> assertThat(r.statusCode()).as(r.bodyAsString()).isIn(200, 204));
      stable(g, b, c);
      JsonObject group = describe(g);
      assertThat(group.getJsonArray("members")).as(group.encode()).hasSize(2);
      assertThat(group.getInteger("generation")).isGreaterThan(generation);
    }
  }

  @Test
  void sessionsExpiringWhileTheirMembersPollLeaveEachInstanceOneMember() {
    for (int round = 0; round < ROUNDS; round++) {
      String g = "expire-" + round;
      String d = member(g, "d", null);
      String s = member(g, "s", "x");
      stable(g, d, s);
      // Both sessions pass; the coordinator's sweep (every 125 ms) and the polls race for them.
      CLOCK.addAndGet(SESSION_MS + 1);
      List<HttpResponse<Buffer>> raced = together(poll(d), poll(s));
      raced.forEach(r -> assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200));
      stable(g, d, s);
      JsonObject group = describe(g);
      assertThat(group.getJsonArray("members")).as(group.encode()).hasSize(2);
      assertThat(holdersOf(group, "x")).containsExactly("s");
    }
  }

  /** Polls every instance until the group is stable and they own the four partitions between them, each once. */
  private static void stable(String g, String... instances) {
    until(WAIT_MS, "group " + g + " stable with every partition owned once by " + List.of(instances), () -> {
      for (String i : instances) {
        HttpResponse<Buffer> r = await(poll(i));
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      }
      JsonObject group = describe(g);
      if (!group.getString("state").equals("Stable") || group.getJsonArray("members").size() != instances.length) {
        return false;
      }
      Set<String> owned = new HashSet<>();
      int count = 0;
      for (String i : instances) {
        Set<String> mine = api.owned(i);
        owned.addAll(mine);
        count += mine.size();
      }
      return owned.size() == 4 && count == 4;
    });
  }

  private static String member(String group, String name, String groupInstanceId) {
    JsonObject settings = GroupsTestSupport.earliest(name).put("session.timeout.ms", SESSION_MS);
    String base = api.consumer(group, groupInstanceId == null ? settings
        : settings.put("group.instance.id", groupInstanceId));
    api.subscribe(base, "t");
    return base;
  }

  private static Future<HttpResponse<Buffer>> poll(String base) {
    return api.client.get(base + "/records?timeout=0").putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send();
  }

  @SafeVarargs
  private static List<HttpResponse<Buffer>> together(Future<HttpResponse<Buffer>>... sent) {
    List<HttpResponse<Buffer>> answers = new ArrayList<>();
    for (Future<HttpResponse<Buffer>> f : sent) {
      answers.add(await(f));
    }
    return answers;
  }

  private static JsonObject describe(String g) {
    HttpResponse<Buffer> r = api.get("/consumer-groups/" + g);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  /** The names of the instances whose members hold {@code groupInstanceId}. */
  private static List<String> holdersOf(JsonObject group, String groupInstanceId) {
    return group.getJsonArray("members").stream().map(JsonObject.class::cast)
        .filter(m -> groupInstanceId.equals(m.getString("group_instance_id")))
        .map(m -> m.getString("instance_id")).toList();
  }

  private static String name(String base) {
    return base.substring(base.lastIndexOf('/') + 1);
  }
}
