package io.sluice.http;

import static io.sluice.http.GroupsTestSupport.earliest;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one client can make a consumer instance hold, and what that costs the coordinator: the state any client may
 * create must stay bounded, and handling it must not hold the coordinator's event loop.
 */
class ConsumerInstanceStateBoundTest {
  /** As many partitions as a persisted assignment of a short topic name holds under the offsets topic's 1 MiB. */
  private static final int MANY = 25_000;
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

  private static JsonObject partitions(String topic, int count, boolean descending) {
    JsonArray list = new JsonArray();
    for (int i = 0; i < count; i++) {
      list.add(new JsonObject().put("topic", topic).put("partition", descending ? count - 1 - i : i));
    }
    return new JsonObject().put("partitions", list);
  }

  /**
   * A seek names partitions the instance must own; each was looked up in the owned list, so a seek of 25,000 of
   * 25,000 assigned partitions (any client may assign them) held the coordinator's event loop for seconds (60,000
   * held it 21 s on a 2-core machine).
   */
  @Test
  void aSeekOverTensOfThousandsOfOwnedPartitionsDoesNotHoldTheEventLoop() {
    String a = api.consumer("g-many", earliest("a"));
    var assigned = api.post(a + "/assignments", partitions("m", MANY, false));
    assertThat(assigned.statusCode()).as(assigned.bodyAsString()).isEqualTo(204);

    JsonObject seek = partitions("m", MANY, true);
    seek.getJsonArray("partitions").forEach(p -> ((JsonObject) p).put("offset", 0));
    var sought = api.post(a + "/positions", seek.put("offsets", seek.remove("partitions")));
    assertThat(sought.statusCode()).as(sought.bodyAsString()).isEqualTo(204);
    // The guard (an event loop held over 1 s fails the test) is the assertion.
  }
}
