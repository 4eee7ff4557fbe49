package io.sluice.share;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.broker.testing.TestClients;
import io.sluice.config.BrokerConfig;
import io.sluice.http.HttpListener;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Share groups over HTTP on a real broker: members read the same partitions cooperatively, each record held by one
 * member at a time, acknowledged one by one, redelivered with its delivery count raised when released, when its lock
 * times out or when its member leaves or falls silent, and archived by REJECT or at the delivery limit.
 */
class ShareGroupsApiTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final long LOCK_MS = 1_500;

  @TempDir
  static Path dataDir;
  static Broker broker;
  static WebClient client;

  @BeforeAll
  static void start() throws Exception {
    broker = Broker.builder(TestBrokers.config(dataDir, Map.of(BrokerConfig.SHARE_RECORD_LOCK_DURATION_MS, LOCK_MS,
            BrokerConfig.SHARE_DELIVERY_COUNT_LIMIT, 3)))
        .vertxOptions(BlockedThreadGuard::testOptions).listener(HttpListener::new).start()
        .await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(broker.vertx());
    client = TestClients.web(broker.httpPort());
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    TestBrokers.close(broker);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  private static void topicWith(String topic, int partitions, int records) throws Exception {
    assertThat(await(client.post("/topics").sendJsonObject(new JsonObject().put("name", topic)
        .put("partitions", partitions))).statusCode()).isEqualTo(201);
    for (int p = 0; p < partitions && records > 0; p++) {
      JsonArray batch = new JsonArray();
      for (int i = 0; i < records; i++) {
        batch.add(new JsonObject().put("value", "p" + p + "-" + i));
      }
      assertThat(await(client.post("/topics/" + topic + "/partitions/" + p)
          .putHeader("Content-Type", "application/json").sendJsonObject(new JsonObject().put("records", batch)))
          .statusCode()).isEqualTo(200);
    }
  }

  private static String join(String group, String topic) throws Exception {
    HttpResponse<Buffer> r = await(client.post("/share-groups/" + group + "/members").sendJsonObject(new JsonObject()
        .put("topics", new JsonArray().add(topic)).put("share.auto.offset.reset", "earliest")));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
    return r.bodyAsJsonObject().getString("member_id");
  }

  private static JsonArray fetch(String group, String member, int max, long timeoutMs) throws Exception {
    HttpResponse<Buffer> r = await(client.get("/share-groups/" + group + "/members/" + member + "/records?max_records="
        + max + "&timeout=" + timeoutMs).send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonArray();
  }

  private static HttpResponse<Buffer> ack(String group, String member, JsonArray records, String type)
      throws Exception {
    JsonArray acks = new JsonArray();
    records.forEach(o -> {
      JsonObject r = (JsonObject) o;
      acks.add(new JsonObject().put("topic", r.getString("topic")).put("partition", r.getInteger("partition"))
          .put("offset", r.getLong("offset")).put("type", type));
    });
    return await(client.post("/share-groups/" + group + "/members/" + member + "/acknowledgements")
        .sendJsonObject(new JsonObject().put("acknowledgements", acks)));
  }

  private static String key(Object record) {
    JsonObject r = (JsonObject) record;
    return r.getInteger("partition") + "@" + r.getLong("offset");
  }

  /** The record's value: the JSON text the test produced, a string, unquoted. */
  private static String value(Object record) {
    return (String) io.vertx.core.json.Json.decodeValue(new String(Base64.getDecoder().decode(((JsonObject) record).getString("value")), StandardCharsets.UTF_8));
  }

  @Test
  void twoMembersNeverHoldTheSameRecordAndAnAcceptedRecordIsNeverDeliveredAgain() throws Exception {
    topicWith("orders", 2, 10);
    String a = join("workers", "orders");
    String b = join("workers", "orders");
    JsonArray first = fetch("workers", a, 7, 1_000);
    JsonArray second = fetch("workers", b, 100, 1_000);
    Set<String> seen = new HashSet<>();
    List<Object> all = new ArrayList<>();
    first.forEach(all::add);
    second.forEach(all::add);
    first.forEach(r -> assertThat(seen.add(key(r))).isTrue());
    second.forEach(r -> assertThat(seen.add(key(r))).as("held by both: %s", key(r)).isTrue());
    assertThat(first).hasSize(7);
    assertThat(seen).hasSize(20);
    assertThat(all).allSatisfy(r -> assertThat(((JsonObject) r).getInteger("delivery_count")).isEqualTo(1));
    assertThat(ack("workers", a, first, "ACCEPT").statusCode()).isEqualTo(200);
    assertThat(ack("workers", b, second, "RELEASE").statusCode()).isEqualTo(200);

    JsonArray again = fetch("workers", a, 100, 1_000);
    Set<String> accepted = new HashSet<>();
    first.forEach(r -> accepted.add(key(r)));
    assertThat(again).hasSize(13).noneMatch(r -> accepted.contains(key(r)))
        .allSatisfy(r -> assertThat(((JsonObject) r).getInteger("delivery_count")).isEqualTo(2));
    assertThat(ack("workers", a, again, "ACCEPT").statusCode()).isEqualTo(200);
    JsonObject described = await(client.get("/share-groups/workers").send()).bodyAsJsonObject();
    assertThat(described.getJsonArray("members")).hasSize(2);
    assertThat(described.getJsonArray("partitions")).allSatisfy(p ->
        assertThat(((JsonObject) p).getLong("start_offset")).isEqualTo(10));
  }

  @Test
  void anExpiredLockRedeliversTheRecordWithItsCountRaised() throws Exception {
    topicWith("locks", 1, 1);
    String a = join("slow", "locks");
    String b = join("slow", "locks");
    JsonArray held = fetch("slow", a, 10, 1_000);
    assertThat(held).hasSize(1);
    assertThat(fetch("slow", b, 10, 0)).isEmpty();
    JsonArray[] redelivered = new JsonArray[1];
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
      redelivered[0] = fetch("slow", b, 10, 200);
      return !redelivered[0].isEmpty();
    });
    assertThat(value(redelivered[0].getValue(0))).isEqualTo("p0-0");
    assertThat(redelivered[0].getJsonObject(0).getInteger("delivery_count")).isEqualTo(2);
    HttpResponse<Buffer> late = ack("slow", a, held, "ACCEPT");
    assertThat(late.statusCode()).isEqualTo(409);
    assertThat(late.bodyAsJsonObject().getInteger("error_code")).isEqualTo(121);
    assertThat(late.bodyAsJsonObject().getString("message")).contains("acquired by another member");
  }

  @Test
  void aFetchWithNothingToHandOutWaitsForTheNextRecord() throws Exception {
    topicWith("later", 1, 0);
    String a = join("waiting", "later");
    assertThat(fetch("waiting", a, 10, 0)).isEmpty();
    Future<HttpResponse<Buffer>> waiting = client.get("/share-groups/waiting/members/" + a
        + "/records?timeout=30000").send();
    JsonArray batch = new JsonArray().add(new JsonObject().put("value", "late"));
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
      // Produce until the waiting fetch has answered: the fetch may start reading after the first record landed.
      if (!waiting.isComplete()) {
        await(client.post("/topics/later/partitions/0").putHeader("Content-Type", "application/json")
            .sendJsonObject(new JsonObject().put("records", batch)));
      }
      return waiting.isComplete();
    });
    HttpResponse<Buffer> answered = await(waiting);
    assertThat(answered.statusCode()).isEqualTo(200);
    assertThat(answered.bodyAsJsonArray()).isNotEmpty().allSatisfy(r -> assertThat(value(r)).isEqualTo("late"));
  }

  @Test
  void rejectArchivesAndTheDeliveryLimitArchivesAReleasedRecord() throws Exception {
    topicWith("poison", 1, 2);
    String a = join("dlq", "poison");
    JsonArray both = fetch("dlq", a, 10, 1_000);
    assertThat(both).hasSize(2);
    assertThat(ack("dlq", a, new JsonArray().add(both.getValue(0)), "REJECT").statusCode()).isEqualTo(200);
    JsonArray released = new JsonArray().add(both.getValue(1));
    for (int delivery = 1; delivery <= 3; delivery++) {
      if (delivery > 1) {
        released = fetch("dlq", a, 10, 1_000);
        assertThat(released).hasSize(1);
        assertThat(released.getJsonObject(0).getInteger("delivery_count")).isEqualTo(delivery);
      }
      assertThat(ack("dlq", a, released, "RELEASE").statusCode()).isEqualTo(200);
    }
    assertThat(fetch("dlq", a, 10, 0)).isEmpty();
    JsonObject partition = await(client.get("/share-groups/dlq").send()).bodyAsJsonObject()
        .getJsonArray("partitions").getJsonObject(0);
    assertThat(partition.getLong("start_offset")).isEqualTo(2);
  }

  @Test
  void aMemberThatLeavesOrFallsSilentHasItsRecordsRedelivered() throws Exception {
    topicWith("jobs", 1, 2);
    String a = join("pool", "jobs");
    HttpResponse<Buffer> joined = await(client.post("/share-groups/pool/members").sendJsonObject(new JsonObject()
        .put("topics", new JsonArray().add("jobs")).put("session.timeout.ms", 1_000)));
    String silent = joined.bodyAsJsonObject().getString("member_id");
    assertThat(fetch("pool", silent, 1, 1_000)).hasSize(1);
    assertThat(fetch("pool", a, 1, 1_000)).hasSize(1);
    assertThat(await(client.delete("/share-groups/pool/members/" + a).send()).statusCode()).isEqualTo(204);
    String b = join("pool", "jobs");
    assertThat(await(client.post("/share-groups/pool/members/" + b + "/heartbeat").send()).statusCode())
        .isEqualTo(204);
    HttpResponse<Buffer> left = await(client.post("/share-groups/pool/members/" + a + "/heartbeat").send());
    assertThat(left.statusCode()).isEqualTo(409);
    assertThat(left.bodyAsJsonObject().getInteger("error_code")).isEqualTo(25);
    Set<String> values = new HashSet<>();
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
      fetch("pool", b, 10, 200).forEach(r -> values.add(value(r)));
      return values.size() == 2;
    });
    HttpResponse<Buffer> gone = await(client.get("/share-groups/pool/members/" + silent + "/records").send());
    assertThat(gone.statusCode()).isEqualTo(409);
    assertThat(gone.bodyAsJsonObject().getInteger("error_code")).isEqualTo(25);
  }

  @Test
  void badRequestsAreRefusedNamingWhatWasWrong() throws Exception {
    topicWith("bad", 1, 1);
    String a = join("strict", "bad");
    HttpResponse<Buffer> notHeld = await(client.post("/share-groups/strict/members/" + a + "/acknowledgements")
        .sendJsonObject(new JsonObject().put("acknowledgements", new JsonArray().add(new JsonObject()
            .put("topic", "bad").put("partition", 0).put("offset", 0).put("type", "ACCEPT")))));
    assertThat(notHeld.statusCode()).isEqualTo(409);
    assertThat(notHeld.bodyAsJsonObject().getInteger("error_code")).isEqualTo(121);
    HttpResponse<Buffer> badType = await(client.post("/share-groups/strict/members/" + a + "/acknowledgements")
        .sendJsonObject(new JsonObject().put("acknowledgements", new JsonArray().add(new JsonObject()
            .put("topic", "bad").put("partition", 0).put("offset", 0).put("type", "MAYBE")))));
    assertThat(badType.statusCode()).isEqualTo(400);
    assertThat(badType.bodyAsString()).contains("MAYBE");
    HttpResponse<Buffer> noTopic = await(client.post("/share-groups/strict/members").sendJsonObject(new JsonObject()
        .put("topics", new JsonArray().add("missing"))));
    assertThat(noTopic.statusCode()).isEqualTo(404);
    HttpResponse<Buffer> badMax = await(client.get("/share-groups/strict/members/" + a + "/records?max_records=0")
        .send());
    assertThat(badMax.statusCode()).isEqualTo(400);
    assertThat(badMax.bodyAsString()).contains("max_records");
    assertThat(await(client.get("/share-groups/nobody").send()).statusCode()).isEqualTo(404);
    HttpResponse<Buffer> nonEmpty = await(client.delete("/share-groups/strict").send());
    assertThat(nonEmpty.statusCode()).isEqualTo(409);
    assertThat(nonEmpty.bodyAsJsonObject().getInteger("error_code")).isEqualTo(68);
  }

  @Test
  void anEmptyGroupsStartOffsetIsResetAndTheGroupDeleted() throws Exception {
    topicWith("replay", 1, 3);
    String a = join("again", "replay");
    JsonArray all = fetch("again", a, 10, 1_000);
    assertThat(ack("again", a, all, "ACCEPT").statusCode()).isEqualTo(200);
    HttpResponse<Buffer> busy = await(client.post("/share-groups/again/offsets/reset").sendJsonObject(
        new JsonObject().put("topic", "replay").put("to", "earliest")));
    assertThat(busy.statusCode()).isEqualTo(409);
    assertThat(await(client.delete("/share-groups/again/members/" + a).send()).statusCode()).isEqualTo(204);
    HttpResponse<Buffer> reset = await(client.post("/share-groups/again/offsets/reset").sendJsonObject(
        new JsonObject().put("topic", "replay").put("to", 1)));
    assertThat(reset.statusCode()).as(reset.bodyAsString()).isEqualTo(200);
    String b = join("again", "replay");
    assertThat(fetch("again", b, 10, 1_000)).map(ShareGroupsApiTest::value).containsExactly("p0-1", "p0-2");
    assertThat(await(client.delete("/share-groups/again/members/" + b).send()).statusCode()).isEqualTo(204);
    assertThat(await(client.delete("/share-groups/again").send()).statusCode()).isEqualTo(204);
    assertThat(await(client.get("/share-groups").send()).bodyAsJsonObject().getJsonArray("share_groups"))
        .doesNotContain("again");
  }
}
