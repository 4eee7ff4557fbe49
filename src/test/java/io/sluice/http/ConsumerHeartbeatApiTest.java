package io.sluice.http;

import static io.sluice.http.GroupsTestSupport.assertError;
import static io.sluice.http.GroupsTestSupport.earliest;
import static io.sluice.http.GroupsTestSupport.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST base/heartbeat}: keeps a consumer instance's member in its group without polling, and answers Kafka's
 * Heartbeat errors when the member must rejoin. The group coordinator runs on a clock the test moves.
 */
class ConsumerHeartbeatApiTest {
  private static final long SESSION_MS = 1_000;
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  static Path dataDir;
  static final AtomicLong CLOCK = new AtomicLong(1_000_000);
  static GroupsTestSupport api;

  @BeforeAll
  static void start() throws Exception {
    api = new GroupsTestSupport(dataDir, GUARD, Map.of(), CLOCK::get);
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
  }

  private static String member(String group, String name, long sessionMs) {
    String base = api.consumer(group, earliest(name).put("session.timeout.ms", sessionMs));
    api.subscribe(base, "hb");
    api.poll(base, 0);
    return base;
  }

  private static JsonObject group(String group) {
    return api.get("/consumer-groups/" + group).bodyAsJsonObject();
  }

  @Test
  void aHeartbeatKeepsAMemberThatDoesNotPollAndAnswersRebalanceInProgressUntilItRejoins() {
    api.createTopic("hb", 2);
    String a = member("g-hb", "a", SESSION_MS);
    // c, silent, outlives a's session by far but not three of them: its eviction shows the group's sweep ran after
    // the clock passed them, and it comes after a's last heartbeat of the loop (which finds no rebalance).
    member("g-hb", "c", SESSION_MS * 5 / 2);
    api.assignment(a); // a rejoins the generation c's join made: the group is stable with both
    until(10_000, "both members in a stable group", () -> group("g-hb").getString("state").equals("Stable"));

    // Three of a's sessions on the group's clock, a heartbeating: only c is evicted.
    for (int i = 0; i < 4; i++) {
      var beat = api.post(a + "/heartbeat", null);
      assertThat(beat.statusCode()).as(beat.bodyAsString()).isEqualTo(204);
      CLOCK.addAndGet(SESSION_MS * 3 / 4);
    }
    until(10_000, "c to be evicted, a kept", () -> group("g-hb").getJsonArray("members").size() == 1);
    assertThat(group("g-hb").getJsonArray("members").getJsonObject(0).getString("instance_id")).isEqualTo("a");

    // The group went on to a generation a has not joined: its heartbeat says so until it rejoins.
    var rebalancing = api.post(a + "/heartbeat", null);
    assertError(rebalancing, 409, ErrorCode.REBALANCE_IN_PROGRESS);
    assertThat(rebalancing.bodyAsJsonObject().getString("message")).contains("must rejoin");
    assertThat(api.owned(a)).as("reading the assignment rejoins").isEqualTo(Set.of("hb-0", "hb-1"));
    assertThat(api.post(a + "/heartbeat", null).statusCode()).isEqualTo(204);
    assertThat(group("g-hb").getString("state")).isEqualTo("Stable");
  }

  @Test
  void aHeartbeatOfAnEvictedMemberIsUnknownMemberAndOfAnUnknownInstanceNotFound() {
    api.createTopic("hb-evicted", 1);
    String a = api.consumer("g-hb-evicted", earliest("a").put("session.timeout.ms", SESSION_MS));
    assertThat(api.post(a + "/heartbeat", null).statusCode()).as("no subscription, no session to keep")
        .isEqualTo(204);
    api.subscribe(a, "hb-evicted");
    api.poll(a, 0);
    CLOCK.addAndGet(SESSION_MS * 2);
    until(10_000, "a to be evicted", () -> group("g-hb-evicted").getJsonArray("members").isEmpty());
    assertError(api.post(a + "/heartbeat", null), 409, ErrorCode.UNKNOWN_MEMBER_ID);

    var unknown = api.post("/consumers/g-hb-evicted/instances/nobody/heartbeat", null);
    assertError(unknown, 404, ErrorCode.CONSUMER_INSTANCE_NOT_FOUND);
    assertThat(unknown.bodyAsJsonObject().getString("message")).contains("'nobody'");
  }
}
