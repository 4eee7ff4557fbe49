package io.sluice.http;

import static io.sluice.http.GroupsTestSupport.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.group.OffsetsTopic;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's offsets retention (offsets.retention.minutes): a group that had members loses its commits, and then goes,
 * a retention after it became empty, which a restarted coordinator still knows; a standalone consumer's commits go
 * a retention after they were written. The coordinator's clock is the test's: nothing waits for real minutes; the
 * periodic check (every 50 ms here) is polled for with a deadline.
 */
class OffsetRetentionTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final long RETENTION_MS = 60_000;
  private static final long WAIT_MS = 30_000;
  private static final Map<String, Object> CONFIG = Map.of(BrokerConfig.OFFSETS_RETENTION_MINUTES, 1,
      BrokerConfig.OFFSETS_RETENTION_CHECK_INTERVAL_MS, 50);

  @TempDir
  Path dataDir;
  private final AtomicLong clock = new AtomicLong(1_700_000_000_000L);

  @Test
  void anEmptyGroupLosesItsCommitsARetentionAfterItBecameEmptyAndAStandaloneCommitARetentionAfterItsWriting()
      throws Exception {
    long t0 = clock.get();
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, CONFIG, clock::get)) {
      api.createTopic("t", 1);
      api.produce("t", 0, 1_000, 5);
      resetToEarliest(api, "standalone"); // a group that never had members: its commit is written at t0
      clock.set(t0 + 1);
      memberCommitsThenLeaves(api, "members", 2);
      awaitEmptySinceWritten(api, "members", t0 + 1);

      clock.set(t0 + RETENTION_MS); // the standalone commit's retention is over, the empty group's is not yet
      until(WAIT_MS, "the standalone group to expire", () -> !listed(api).contains("standalone"));
      assertThat(listed(api)).contains("members");
      assertThat(nextOffset(api, "members")).isEqualTo(3);
      GroupsTestSupport.assertError(api.get("/consumer-groups/standalone"), 404, ErrorCode.GROUP_ID_NOT_FOUND);

      clock.set(t0 + 1 + RETENTION_MS);
      until(WAIT_MS, "the empty group to expire", () -> !listed(api).contains("members"));
      GroupsTestSupport.assertError(api.get("/consumer-groups/members/lags"), 404, ErrorCode.GROUP_ID_NOT_FOUND);
    }
  }

  /**
   * When the group became empty is in __consumer_offsets: a restarted coordinator expires it a retention after that,
   * not a retention after its own load (which a lost timestamp would give), and its tombstones stay after a restart.
   */
  @Test
  void whenAGroupBecameEmptySurvivesARestartAndItsExpiryToo() throws Exception {
    long t0 = clock.get();
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, CONFIG, clock::get)) {
      api.createTopic("t", 1);
      api.produce("t", 0, 1_000, 5);
      memberCommitsThenLeaves(api, "members", 1);
      awaitEmptySinceWritten(api, "members", t0);
    }
    clock.set(t0 + RETENTION_MS);
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, CONFIG, clock::get)) {
      until(WAIT_MS, "the group to expire after the restart", () -> !listed(api).contains("members"));
    }
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of(), clock::get)) {
      assertThat(listed(api)).as("the tombstones were read back").doesNotContain("members");
      GroupsTestSupport.assertError(api.get("/consumer-groups/members"), 404, ErrorCode.GROUP_ID_NOT_FOUND);
    }
  }

  /** A consumer instance counts as a member while it exists, however idle: its group keeps its commits. */
  @Test
  void anIdleConsumerInstanceKeepsItsGroupsCommits() throws Exception {
    long t0 = clock.get();
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of(
        BrokerConfig.OFFSETS_RETENTION_MINUTES, 1, BrokerConfig.OFFSETS_RETENTION_CHECK_INTERVAL_MS, 50,
        BrokerConfig.CONSUMER_INSTANCE_TIMEOUT_MS, 10 * RETENTION_MS), clock::get)) {
      api.createTopic("t", 1);
      api.produce("t", 0, 1_000, 5);
      String base = api.consumer("idle", GroupsTestSupport.earliest("a").put("session.timeout.ms", 1_000));
      api.subscribe(base, "t");
      api.poll(base, 1_000);
      commit(api, base, 1);
      clock.set(t0 + 2 * RETENTION_MS); // its session is long over: no member left, the instance remains
      until(WAIT_MS, "the idle member to be dropped", () -> api.get("/consumer-groups/idle").bodyAsJsonObject()
          .getJsonArray("members").isEmpty());
      resetToEarliest(api, "standalone"); // a sentinel: once it is gone, a check ran after the member went
      clock.set(t0 + 3 * RETENTION_MS);
      until(WAIT_MS, "the standalone group to expire", () -> !listed(api).contains("standalone"));
      assertThat(nextOffset(api, "idle")).isEqualTo(2);
    }
  }

  /**
   * Kafka deletes a deleted topic's commits: a topic created again under the name is read from its start, not from
   * the old commit (which skipped its first records), whatever the retention; a group left without commits goes.
   */
  @Test
  void aDeletedTopicsCommitsGoWithItSoATopicCreatedAgainIsReadFromItsStart() throws Exception {
    try (GroupsTestSupport api = new GroupsTestSupport(dataDir, GUARD, Map.of(), clock::get)) {
      api.createTopic("t", 1);
      api.produce("t", 0, 1_000, 5);
      memberCommitsThenLeaves(api, "g", 3);
      api.createTopic("kept", 1);
      api.produce("kept", 0, 1_000, 2);
      var reset = api.post("/consumer-groups/other/offsets/reset", new JsonObject().put("to", "latest")
          .put("topics", new JsonArray().add("t").add("kept")));
      assertThat(reset.statusCode()).as(reset.bodyAsString()).isEqualTo(200);

      assertThat(api.delete("/topics/t").statusCode()).isEqualTo(204);
      until(WAIT_MS, "the deleted topic's commits to go", () -> !listed(api).contains("g"));
      var lags = api.get("/consumer-groups/other/lags").bodyAsJsonArray();
      assertThat(lags).as("the other topic's commit stays").hasSize(1);
      assertThat(lags.getJsonObject(0).getString("topic")).isEqualTo("kept");

      api.createTopic("t", 1);
      api.produce("t", 0, 2_000, 5);
      String base = api.consumer("g", GroupsTestSupport.earliest("b"));
      api.subscribe(base, "t");
      JsonArray[] records = {new JsonArray()};
      until(WAIT_MS, "records of the new topic", () -> !(records[0] = api.poll(base, 500)).isEmpty());
      assertThat(records[0].getJsonObject(0).getLong("offset")).as("from the start, not the old commit").isZero();
    }
  }

  private static void resetToEarliest(GroupsTestSupport api, String group) {
    var r = api.post("/consumer-groups/" + group + "/offsets/reset", new JsonObject().put("to", "earliest")
        .put("topics", new JsonArray().add("t")));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
  }

  /** A member joins, commits {@code offset} (the next to read is one more) and its instance is deleted. */
  private static void memberCommitsThenLeaves(GroupsTestSupport api, String group, long offset) {
    String base = api.consumer(group, GroupsTestSupport.earliest("a"));
    api.subscribe(base, "t");
    api.poll(base, 1_000);
    commit(api, base, offset);
    assertThat(api.delete(base).statusCode()).isEqualTo(204);
  }

  private static void commit(GroupsTestSupport api, String base, long offset) {
    var r = api.post(base + "/offsets", new JsonObject().put("offsets", new JsonArray().add(new JsonObject()
        .put("topic", "t").put("partition", 0).put("offset", offset))));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
  }

  private static List<String> listed(GroupsTestSupport api) {
    var r = api.get("/consumer-groups");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    List<String> out = new ArrayList<>();
    r.bodyAsJsonArray().forEach(g -> out.add(((JsonObject) g).getString("group_id")));
    return out;
  }

  private static long nextOffset(GroupsTestSupport api, String group) {
    var r = api.get("/consumer-groups/" + group + "/lags");
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.bodyAsJsonArray()).as("the group's commit on t-0").hasSize(1);
    return r.bodyAsJsonArray().getJsonObject(0).getLong("next_offset");
  }

  /** Reads the group's partition of __consumer_offsets until its record says it was empty since {@code at}. */
  private static void awaitEmptySinceWritten(GroupsTestSupport api, String group, long at) {
    WorkerExecutor workers = api.broker.vertx().createSharedWorkerExecutor("retention-test");
    try {
      OffsetsTopic topic = new OffsetsTopic(api.broker.service(), workers);
      int partition = OffsetsTopic.partitionFor(group, 4);
      until(WAIT_MS, "the group's empty_since record", () -> {
        List<Long> since = new ArrayList<>();
        GroupsTestSupport.await(topic.load(partition, e -> {
          if (e.kind().equals("group") && e.group().equals(group) && e.value() != null) {
            since.add(e.value().getLong("empty_since", -1L));
          }
        }));
        return !since.isEmpty() && since.get(since.size() - 1) == at;
      });
    } finally {
      workers.close();
    }
  }
}
