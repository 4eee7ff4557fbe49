package io.sluice.http;

import static io.sluice.http.GroupsTestSupport.assertError;
import static io.sluice.http.GroupsTestSupport.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Consumer groups over HTTP: pattern subscriptions, the assignor a group is created with, and auto-commit. Every
 * test uses its own topic prefix, since all share one broker and a pattern sees every topic.
 */
class ConsumerGroupsSubscriptionApiTest {
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

  private static JsonObject describe(String group) {
    return api.get("/consumer-groups/" + group).bodyAsJsonObject();
  }

  /** Polls every member until the group is Stable, i.e. all of them have seen its current generation. */
  private static Map<String, Set<String>> settle(String group, List<String> members) {
    until(10_000, "group " + group + " to be stable", () -> {
      members.forEach(m -> api.poll(m, 0));
      return describe(group).getString("state").equals("Stable");
    });
    Map<String, Set<String>> out = new LinkedHashMap<>();
    members.forEach(m -> out.put(m, api.owned(m)));
    return out;
  }

  @Test
  void patternSubscriptionOwnsWholeNameMatchesIncludingATopicCreatedAfterSubscribing() {
    api.createTopic("pat-a", 2);
    api.createTopic("nopat-a", 1);
    String a = api.consumer("g-pat", GroupsTestSupport.earliest("a"));
    var subscribed = api.post(a + "/subscription", new JsonObject().put("topic_pattern", "pat-.*"));
    assertThat(subscribed.statusCode()).as(subscribed.bodyAsString()).isEqualTo(204);
    assertThat(api.get(a + "/subscription").bodyAsJsonObject().getString("topic_pattern")).isEqualTo("pat-.*");

    assertThat(settle("g-pat", List.of(a)).get(a)).as("'nopat-a' contains a match but is not one")
        .containsExactlyInAnyOrder("pat-a-0", "pat-a-1");
    int generation = describe("g-pat").getInteger("generation");

    api.createTopic("pat-b", 1);
    api.createTopic("nopat-b", 1);
    api.produce("pat-b", 0, 1_000, 2);
    JsonArray records = new JsonArray();
    until(10_000, "the new matching topic to be assigned and read", () -> {
      api.poll(a, 100).forEach(r -> records.add(r));
      return records.size() >= 2;
    });
    assertThat(api.owned(a)).containsExactlyInAnyOrder("pat-a-0", "pat-a-1", "pat-b-0");
    assertThat(records.stream().map(r -> ((JsonObject) r).getString("topic"))).containsOnly("pat-b");
    assertThat(describe("g-pat").getInteger("generation")).as("a new generation").isGreaterThan(generation);
  }

  @Test
  void rangeGivesTheFirstMemberPartitionZeroOfEveryTopicWhileRoundRobinSpreadsThem() {
    api.createTopic("asg-t1", 1);
    api.createTopic("asg-t2", 1);
    Map<String, List<Set<String>>> byAssignor = new HashMap<>();
    for (String assignor : List.of("range", "roundrobin")) {
      String group = "g-asg-" + assignor;
      List<String> members = List.of("a", "b").stream().map(n -> api.consumer(group,
          GroupsTestSupport.earliest(n).put("partition.assignment.strategy", assignor))).toList();
      members.forEach(m -> api.subscribe(m, "asg-t1", "asg-t2"));
      byAssignor.put(assignor, List.copyOf(settle(group, members).values()));
      assertThat(describe(group).getString("assignor")).isEqualTo(assignor);
    }
    // Members are ordered by id, which starts with the instance name: "a" before "b".
    assertThat(byAssignor.get("range")).containsExactly(Set.of("asg-t1-0", "asg-t2-0"), Set.of());
    assertThat(byAssignor.get("roundrobin")).containsExactly(Set.of("asg-t1-0"), Set.of("asg-t2-0"));
  }

  @Test
  void stickyKeepsTheSurvivorsPartitionsWhenAMemberLeavesWhereRoundRobinMovesThem() {
    List<String> topics = List.of("sticky-1", "sticky-2", "sticky-3");
    topics.forEach(t -> api.createTopic(t, 1));
    for (String assignor : List.of("sticky", "roundrobin")) {
      String group = "g-leave-" + assignor;
      List<String> members = List.of("a", "b", "c").stream().map(n -> api.consumer(group,
          GroupsTestSupport.earliest(n).put("partition.assignment.strategy", assignor))).toList();
      members.forEach(m -> api.subscribe(m, topics.toArray(String[]::new)));
      Map<String, Set<String>> before = settle(group, members);
      assertThat(before.values()).as(assignor).allSatisfy(s -> assertThat(s).hasSize(1));

      assertThat(api.delete(members.get(0)).statusCode()).isEqualTo(204);
      List<String> survivors = members.subList(1, 3);
      Map<String, Set<String>> after = settle(group, survivors);
      Set<String> union = new HashSet<>();
      after.values().forEach(union::addAll);
      assertThat(union).as(assignor).containsExactlyInAnyOrder("sticky-1-0", "sticky-2-0", "sticky-3-0");
      boolean survivorsKeptTheirs = survivors.stream().allMatch(m -> after.get(m).containsAll(before.get(m)));
      // Round-robin deals the two remaining members b, c: s1 b, s2 c, s3 b, so both lose what they had.
      assertThat(survivorsKeptTheirs).as(assignor + ": " + before + " -> " + after)
          .isEqualTo(assignor.equals("sticky"));
    }
  }

  @Test
  void autoCommitCommitsPolledRecordsAfterTheIntervalAndANewInstanceResumesAfterThem() {
    api.createTopic("auto", 1);
    api.produce("auto", 0, 1_000, 10);
    String a = api.consumer("g-auto", GroupsTestSupport.earliest("a").put("auto.commit.enable", "true")
        .put("auto.commit.interval.ms", 200));
    api.subscribe(a, "auto");
    JsonArray got = new JsonArray();
    until(10_000, "10 records", () -> {
      got.addAll(api.poll(a, 200));
      return got.size() >= 10;
    });
    // A poll after the interval commits the positions that earlier polls reached; nobody calls POST offsets.
    until(10_000, "the auto-commit of all 10 records", () -> {
      api.poll(a, 50);
      Object committed = api.get("/consumer-groups/g-auto/lags").bodyAsJsonArray().getJsonObject(0)
          .getValue("next_offset");
      return Integer.valueOf(10).equals(committed);
    });
    JsonArray offsets = api.get(a + "/offsets").bodyAsJsonObject().getJsonArray("offsets");
    assertThat(offsets.getJsonObject(0).getLong("offset")).as("the last record processed").isEqualTo(9);

    assertThat(api.delete(a).statusCode()).isEqualTo(204);
    api.produce("auto", 0, 2_000, 3);
    String b = api.consumer("g-auto", GroupsTestSupport.earliest("b"));
    api.subscribe(b, "auto");
    JsonArray next = new JsonArray();
    until(10_000, "records for the next instance", () -> {
      next.addAll(api.poll(b, 200));
      return !next.isEmpty();
    });
    assertThat(next.getJsonObject(0).getLong("offset")).isEqualTo(10);
  }

  @Test
  void autoCommitDoesNothingBeforeItsInterval() {
    api.createTopic("auto-late", 1);
    api.produce("auto-late", 0, 1_000, 5);
    String a = api.consumer("g-auto-late", GroupsTestSupport.earliest("a").put("auto.commit.enable", true)
        .put("auto.commit.interval.ms", 600_000));
    api.subscribe(a, "auto-late");
    JsonArray got = new JsonArray();
    until(10_000, "5 records", () -> {
      got.addAll(api.poll(a, 200));
      return got.size() >= 5;
    });
    api.poll(a, 0);
    api.poll(a, 0);
    assertThat(api.get(a + "/offsets").bodyAsJsonObject().getJsonArray("offsets")).isEmpty();
  }

  @Test
  void autoCommitDueBeforeTheFirstPollDoesNotFailThatPoll() {
    api.createTopic("auto-first", 1);
    api.produce("auto-first", 0, 1_000, 3);
    // Interval 0: an auto-commit is due on every poll, including the first, which has not joined the group yet.
    String a = api.consumer("g-auto-first", GroupsTestSupport.earliest("a").put("auto.commit.enable", true)
        .put("auto.commit.interval.ms", 0));
    api.subscribe(a, "auto-first");
    JsonArray got = new JsonArray();
    until(10_000, "3 records", () -> {
      got.addAll(api.poll(a, 200));
      return got.size() >= 3;
    });
    until(10_000, "the auto-commit", () -> api.poll(a, 0).isEmpty() && !api.get(a + "/offsets").bodyAsJsonObject()
        .getJsonArray("offsets").isEmpty());
  }

  @Test
  void autoCommitInstanceThatSubscribedButNeverPolledCanBeDeleted() {
    String a = api.consumer("g-auto-unjoined", GroupsTestSupport.earliest("a").put("auto.commit.enable", true));
    api.subscribe(a, "auto-first");
    assertThat(api.delete(a).statusCode()).isEqualTo(204);
    assertError(api.get(a + "/assignments"), 404, ErrorCode.CONSUMER_INSTANCE_NOT_FOUND);
  }

  @Test
  void subscribedTopicGainingAPartitionStartsANewGenerationThatGivesItAnOwner() {
    api.createTopic("grow", 1);
    List<String> members = List.of(api.consumer("g-grow", GroupsTestSupport.earliest("a")), api.consumer("g-grow", GroupsTestSupport.earliest("b")));
    members.forEach(m -> api.subscribe(m, "grow"));
    assertThat(settle("g-grow", members).values()).containsExactly(Set.of("grow-0"), Set.of());
    int generation = describe("g-grow").getInteger("generation");

    var grown = api.post("/topics/grow/partitions", new JsonObject().put("count", 2));
    assertThat(grown.statusCode()).as(grown.bodyAsString()).isEqualTo(200);
    assertThat(grown.bodyAsJsonObject().getJsonArray("partitions")).hasSize(2);
    api.produce("grow", 1, 1_000, 1);
    JsonArray fromNew = new JsonArray();
    until(10_000, "a generation that assigns grow-1, and its record", () -> {
      members.forEach(m -> fromNew.addAll(api.poll(m, 0)));
      return describe("g-grow").getInteger("generation") > generation && fromNew.size() == 1
          && describe("g-grow").getString("state").equals("Stable");
    });
    assertThat(members.stream().map(api::owned).toList())
        .containsExactly(Set.of("grow-0"), Set.of("grow-1"));
    assertThat(fromNew.getJsonObject(0).getInteger("partition")).isEqualTo(1);
  }

  @Test
  void partitionsCanOnlyBeAddedWithALargerIntegerCount() {
    api.createTopic("grow-bad", 2);
    assertError(api.post("/topics/grow-bad/partitions", new JsonObject().put("count", 2)), 400,
        ErrorCode.INVALID_PARTITIONS);
    assertError(api.post("/topics/grow-bad/partitions", new JsonObject().put("count", 1)), 400,
        ErrorCode.INVALID_PARTITIONS);
    assertError(api.post("/topics/grow-bad/partitions", new JsonObject().put("count", "3")), 400,
        ErrorCode.INVALID_PARTITIONS);
    assertError(api.post("/topics/grow-bad/partitions", new JsonObject()), 400, ErrorCode.INVALID_PARTITIONS);
    assertError(api.post("/topics/no-such-topic/partitions", new JsonObject().put("count", 3)), 404,
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertThat(api.get("/topics/grow-bad").bodyAsJsonObject().getJsonArray("partitions")).hasSize(2);
  }

  @Test
  void badSubscriptionAndAssignorParametersGetClearErrors() {
    assertError(api.post("/consumers/g-bad-asg", GroupsTestSupport.earliest("a").put("partition.assignment.strategy", "fair")), 400,
        ErrorCode.INVALID_REQUEST);
    assertError(api.post("/consumers/g-bad-asg", GroupsTestSupport.earliest("a").put("partition.assignment.strategy", 3)), 400,
        ErrorCode.INVALID_REQUEST);
    assertError(api.post("/consumers/g-bad-asg", GroupsTestSupport.earliest("a").put("auto.commit.interval.ms", -1)), 400,
        ErrorCode.INVALID_REQUEST);
    assertError(api.post("/consumers/g-bad-asg", GroupsTestSupport.earliest("a").put("auto.commit.enable", "sometimes")), 400,
        ErrorCode.INVALID_REQUEST);
    String a = api.consumer("g-bad-asg", GroupsTestSupport.earliest("a"));
    assertError(api.post(a + "/subscription", new JsonObject().put("topic_pattern", "[a-")), 400,
        ErrorCode.MALFORMED_REQUEST);
    assertError(api.post(a + "/subscription", new JsonObject().put("topic_pattern", 7)), 400,
        ErrorCode.MALFORMED_REQUEST);
    assertError(api.post(a + "/subscription", new JsonObject().put("topic_pattern", "x.*")
        .put("topics", new JsonArray().add("x"))), 400, ErrorCode.MALFORMED_REQUEST);
  }

  @Test
  void aPatternThatBacktracksExponentiallyIsMatchedInLinearTimeOnTheCoordinator() {
    // With a backtracking engine "(.*a){14}" against this name takes hours, on the coordinator's event loop (the
    // guard fails the test on the blocked-thread warning); a name of 40 a's is a legal topic any client may create.
    api.createTopic("a".repeat(40) + "x", 1);
    api.createTopic("redos-" + "a".repeat(14), 1);
    String a = api.consumer("g-redos", GroupsTestSupport.earliest("a"));
    var subscribed = api.post(a + "/subscription", new JsonObject().put("topic_pattern", "(.*a){14}"));
    assertThat(subscribed.statusCode()).as(subscribed.bodyAsString()).isEqualTo(204);

    assertThat(settle("g-redos", List.of(a)).get(a)).containsExactly("redos-aaaaaaaaaaaaaa-0");
  }

  @Test
  void aPatternTooLargeOnceExpandedOrOutsideRe2SyntaxIsRefusedNamingWhy() {
    String a = api.consumer("g-big-pattern", GroupsTestSupport.earliest("a"));
    var big = api.post(a + "/subscription", new JsonObject().put("topic_pattern", "(a{1000}){1000}"));
    assertError(big, 400, ErrorCode.MALFORMED_REQUEST);
    assertThat(big.bodyAsJsonObject().getString("message"))
        .isEqualTo("'topic_pattern' is too large: 1001000 atoms with its counted repetitions expanded, at most 1000");
    var lookahead = api.post(a + "/subscription", new JsonObject().put("topic_pattern", "(?=pat)pat-.*"));
    assertError(lookahead, 400, ErrorCode.MALFORMED_REQUEST);
    assertThat(lookahead.bodyAsJsonObject().getString("message"))
        .startsWith("'topic_pattern' is not a valid regular expression (RE2 syntax): ");
    assertThat(api.get(a + "/subscription").bodyAsJsonObject().getJsonArray("topics")).isEmpty();
  }
}
