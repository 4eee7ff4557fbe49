package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.vertx.core.Future;
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

/** Members polling all at once while others join: every poll answers and the group settles each time. */
class RebalanceUnderConcurrentPollsTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  static Path dataDir;
  static GroupsTestSupport api;

  @BeforeAll
  static void start() throws Exception {
    api = new GroupsTestSupport(dataDir, GUARD, Map.of());
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
  }

  private static void settle(String group, List<String> members) {
    GroupsTestSupport.until(20_000, "group " + group + " stable with " + members.size(), () -> {
      List<Future<?>> polls = new ArrayList<>();
      members.forEach(m -> polls.add(api.client.get(m + "/records?timeout=0&max_bytes=1").send()
          .map(r -> {
            assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
            return r;
          })));
      GroupsTestSupport.await(Future.all(polls));
      JsonObject d = api.get("/consumer-groups/" + group).bodyAsJsonObject();
      return d.getString("state").equals("Stable") && d.getJsonArray("members").size() == members.size();
    });
  }

  @Test
  void aFourthMemberJoiningThreeConcurrentPollersSettlesRepeatedly() {
    api.createTopic("concurrent", 4);
    api.produce("concurrent", 0, 1_000, 50);
    for (int round = 0; round < 4; round++) {
      String group = "g-concurrent-" + round;
      List<String> members = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        members.add(api.consumer(group, new JsonObject().put("name", "m" + i).put("auto.offset.reset", "earliest")
            .put("auto.commit.enable", false)));
        api.subscribe(members.get(i), "concurrent");
      }
      settle(group, members);
      members.add(api.consumer(group, new JsonObject().put("name", "m3").put("auto.commit.enable", false)));
      api.subscribe(members.get(3), "concurrent");
      settle(group, members);
      members.forEach(m -> assertThat(api.delete(m).statusCode()).isEqualTo(204));
    }
  }
}
