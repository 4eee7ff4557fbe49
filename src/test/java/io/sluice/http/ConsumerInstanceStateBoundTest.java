package io.sluice.http;

import static io.sluice.http.GroupsTestSupport.assertError;
import static io.sluice.http.GroupsTestSupport.earliest;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
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
  /** consumer.max.subscription.entries here. */
  private static final int BUDGET = 30_000;
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  static Path dataDir;
  static GroupsTestSupport api;

  @BeforeAll
  static void start() throws Exception {
    api = new GroupsTestSupport(dataDir, GUARD, Map.of(BrokerConfig.CONSUMER_MAX_SUBSCRIPTION_ENTRIES, BUDGET));
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
    assertThat(api.delete(a).statusCode()).isEqualTo(204);
  }

  private static JsonObject topics(String prefix, int count) {
    JsonArray names = new JsonArray();
    for (int i = 0; i < count; i++) {
      names.add(prefix + String.format("%0240d", i).substring(prefix.length()));
    }
    return new JsonObject().put("topics", names);
  }

  /**
   * A subscription the offsets topic refuses to persist (over its 1 MiB records) was answered 413 but kept: 38 MB of
   * heap per instance for a 12 MB body, a few dozen requests from any client to take a 1 GiB broker.
   */
  @Test
  void aSubscriptionOrAssignmentThatCouldNotBePersistedIsNotKept() {
    String a = api.consumer("g-unkept", earliest("a"));
    api.subscribe(a, "kept");
    var refused = api.post(a + "/subscription", topics("t", 5_000));
    assertThat(refused.statusCode()).as(refused.bodyAsString()).isEqualTo(413);
    assertThat(api.get(a + "/subscription").bodyAsJsonObject().getJsonArray("topics")).containsExactly("kept");

    String b = api.consumer("g-unkept", earliest("b"));
    assertThat(api.post(b + "/assignments", partitions("m", 1, false)).statusCode()).isEqualTo(204);
    var tooMany = api.post(b + "/assignments", partitions("m" + "x".repeat(200), 5_000, false));
    assertThat(tooMany.statusCode()).as(tooMany.bodyAsString()).isEqualTo(413);
    assertThat(api.get(b + "/assignments").bodyAsJsonObject().getJsonArray("partitions")).hasSize(1);
    assertThat(api.delete(a).statusCode()).isEqualTo(204);
    assertThat(api.delete(b).statusCode()).isEqualTo(204);
  }

  /** Names no topic can have were kept as they came: a name is at most 249 legal characters, as in a topic create. */
  @Test
  void aSubscriptionOrAssignmentNamingAnIllegalTopicIsRefused() {
    String a = api.consumer("g-illegal", earliest("a"));
    assertError(api.post(a + "/subscription", new JsonObject().put("topics", new JsonArray().add("x".repeat(250)))),
        400, ErrorCode.INVALID_TOPIC_EXCEPTION);
    assertError(api.post(a + "/assignments", partitions("no such/name", 1, false)), 400,
        ErrorCode.INVALID_TOPIC_EXCEPTION);
    assertThat(api.get(a + "/subscription").bodyAsJsonObject().getJsonArray("topics")).isEmpty();
    assertThat(api.get(a + "/assignments").bodyAsJsonObject().getJsonArray("partitions")).isEmpty();
    assertThat(api.delete(a).statusCode()).isEqualTo(204);
  }

  /**
   * consumer.max.instances bounded the instances, not what each names: 10,000 instances of ~1 MB subscriptions
   * (1.4 MB of heap each) were allowed. The topics and partitions they name are now bounded over the broker; an
   * instance replacing its own counts only the new one.
   */
  @Test
  void subscriptionsAndAssignmentsPastTheBrokersBudgetAreRefusedAndChangeNothing() {
    String a = api.consumer("g-budget", earliest("a"));
    String b = api.consumer("g-budget-2", earliest("b"));
    assertThat(api.post(a + "/assignments", partitions("m", BUDGET - 10, false)).statusCode()).isEqualTo(204);

    var refused = api.post(b + "/subscription", topics("s", 11));
    assertError(refused, 429, ErrorCode.CONSUMER_SUBSCRIPTION_LIMIT_EXCEEDED);
    assertThat(refused.bodyAsJsonObject().getString("message")).contains("consumer.max.subscription.entries")
        .contains(Integer.toString(BUDGET));
    assertThat(api.get(b + "/subscription").bodyAsJsonObject().getJsonArray("topics")).isEmpty();
    assertThat(api.post(b + "/subscription", topics("s", 10)).statusCode()).isEqualTo(204);

    assertThat(api.post(a + "/assignments", partitions("m", BUDGET - 20, false)).statusCode()).isEqualTo(204);
    assertThat(api.post(b + "/subscription", topics("s", 20)).statusCode()).isEqualTo(204);
    assertError(api.post(a + "/assignments", partitions("m", BUDGET - 19, false)), 429,
        ErrorCode.CONSUMER_SUBSCRIPTION_LIMIT_EXCEEDED);
    assertThat(api.delete(a).statusCode()).isEqualTo(204);
    assertThat(api.post(b + "/subscription", topics("s", 2_000)).statusCode()).isEqualTo(204);
    assertThat(api.delete(b).statusCode()).isEqualTo(204);
  }
}
