package io.sluice.http;

import static io.sluice.http.GroupsTestSupport.assertError;
import static io.sluice.http.GroupsTestSupport.earliest;
import static io.sluice.http.GroupsTestSupport.until;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parts of the REST v2 consumer instance API that {@link ConsumerGroupsApiTest} does not cover: reading and
 * dropping a subscription, reading committed offsets, where a partition without a commit starts, the long poll's
 * latency and default wait, offset resets to the end or a time, and idle instance expiry.
 */
class ConsumerInstanceApiTest {
  private static final long INSTANCE_TIMEOUT_MS = 3_000;
  private static final int MAX_INSTANCES = 64;
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  static Path dataDir;
  static GroupsTestSupport api;
  /** The group coordinator's clock, when a test holds it; -1: the system clock. */
  private static final AtomicLong HELD_AT = new AtomicLong(-1);

  @BeforeAll
  static void start() throws Exception {
    api = new GroupsTestSupport(dataDir, GUARD, Map.of(BrokerConfig.CONSUMER_INSTANCE_TIMEOUT_MS, INSTANCE_TIMEOUT_MS,
        BrokerConfig.CONSUMER_MAX_INSTANCES, MAX_INSTANCES), () -> {
          long held = HELD_AT.get();
          return held >= 0 ? held : System.currentTimeMillis();
        });
  }

  @AfterAll
  static void stop() throws Exception {
    api.close();
  }

  @Test
  void subscriptionIsReadBackAndDeletingItGivesUpThePartitions() {
    api.createTopic("sub-read", 2);
    String a = api.consumer("g-sub-read", earliest("a"));
    assertThat(api.get(a + "/subscription").bodyAsJsonObject().getJsonArray("topics")).isEmpty();
    api.subscribe(a, "sub-read");
    assertThat(api.get(a + "/subscription").bodyAsJsonObject().getJsonArray("topics")).containsExactly("sub-read");
    api.poll(a, 0);
    assertThat(api.owned(a)).containsExactlyInAnyOrder("sub-read-0", "sub-read-1");

    assertThat(api.delete(a + "/subscription").statusCode()).isEqualTo(204);
    assertThat(api.get(a + "/subscription").bodyAsJsonObject().getJsonArray("topics")).isEmpty();
    assertThat(api.assignment(a)).isEmpty();
    until(10_000, "the group to have no members", () ->
        api.get("/consumer-groups/g-sub-read").bodyAsJsonObject().getJsonArray("members").isEmpty());

    assertThat(api.post(a + "/subscription", new JsonObject().put("topic_pattern", "sub-r.*")).statusCode())
        .isEqualTo(204);
    assertThat(api.get(a + "/subscription").bodyAsJsonObject().getString("topic_pattern")).isEqualTo("sub-r.*");
  }

  @Test
  void committedOffsetsAreReadBackAsTheLastRecordProcessed() {
    String a = subscribedAndPolled("committed", 2, 5);
    var commit = api.post(a + "/offsets", offsetsBody("committed", 3));
    assertThat(commit.statusCode()).as(commit.bodyAsString()).isEqualTo(204);

    JsonArray offsets = api.get(a + "/offsets").bodyAsJsonObject().getJsonArray("offsets");
    assertThat(offsets).hasSize(1);
    assertThat(offsets.getJsonObject(0).getMap()).containsEntry("topic", "committed").containsEntry("partition", 0)
        .containsEntry("offset", 3);
    // The group resumes after it: the lag endpoint shows Kafka's next-offset convention.
    assertThat(api.get("/consumer-groups/g-committed/lags").bodyAsJsonArray().getJsonObject(0).getMap())
        .containsEntry("next_offset", 4).containsEntry("lag", 1);
  }

  /** Each instance holds memory until deleted or expired: a client creating them in a loop took the heap. */
  @Test
  void creatingMoreInstancesThanTheBrokersLimitIsRefusedUntilOneIsDeleted() {
    // Held: on a loaded machine the 65 creates took longer than the instance timeout, the first ones expired
    // meanwhile, and the limit was never reached (or the first instance was gone before its delete).
    HELD_AT.set(System.currentTimeMillis());
    try {
      fillToTheLimitThenDeleteOne();
    } finally {
      HELD_AT.set(-1);
    }
  }

  private void fillToTheLimitThenDeleteOne() {
    List<String> made = new java.util.ArrayList<>();
    HttpResponse<Buffer> refused = null;
    for (int i = 0; i <= MAX_INSTANCES && refused == null; i++) {
      HttpResponse<Buffer> r = api.post("/consumers/g-limit-" + i % 3, earliest("c" + i));
      if (r.statusCode() == 200) {
        made.add(r.bodyAsJsonObject().getString("base_uri"));
      } else {
        refused = r;
      }
    }
    assertThat(refused).as("a create beyond " + MAX_INSTANCES + " instances").isNotNull();
    assertError(refused, 429, ErrorCode.CONSUMER_INSTANCE_LIMIT_EXCEEDED);
    assertThat(refused.bodyAsJsonObject().getString("message")).contains("consumer.max.instances");
    String first = made.get(0);
    assertThat(api.delete(first.substring(first.indexOf("/consumers/"))).statusCode()).isEqualTo(204);
    assertThat(api.post("/consumers/g-limit-0", earliest("again")).statusCode()).isEqualTo(200);
    made.set(0, "/consumers/g-limit-0/instances/again");
    made.forEach(u -> api.delete(u.substring(u.indexOf("/consumers/"))));
  }

  /** The last processed offset a long can hold has no next one: it overflowed to a negative commit, a 500. */
  @Test
  void aCommitOfTheLastOffsetALongHoldsIsRefusedAndLeavesTheCommittedOffset() {
    String a = subscribedAndPolled("commit-overflow", 1, 2);
    assertThat(api.post(a + "/offsets", offsetsBody("commit-overflow", 0)).statusCode()).isEqualTo(204);
    var refused = api.post(a + "/offsets", offsetsBody("commit-overflow", Long.MAX_VALUE));
    assertError(refused, 400, ErrorCode.MALFORMED_REQUEST);
    assertThat(refused.bodyAsJsonObject().getString("message")).contains("offsets[0].offset");
    assertThat(api.get(a + "/offsets").bodyAsJsonObject().getJsonArray("offsets").getJsonObject(0).getLong("offset"))
        .isZero();
  }

  /**
   * A commit's metadata (Kafka's OffsetAndMetadata) is kept and read back; past offset.metadata.max.bytes the commit
   * is refused and writes nothing. The metadata was dropped without a word: GET offsets answered "".
   */
  @Test
  void aCommitsMetadataIsReadBackAndOneTooLargeIsRefused() {
    String a = subscribedAndPolled("commit-metadata", 1, 5);
    JsonObject body = offsetsBody("commit-metadata", 2);
    body.getJsonArray("offsets").getJsonObject(0).put("metadata", "checkpoint \u00e9 7");
    assertThat(api.post(a + "/offsets", body).statusCode()).isEqualTo(204);
    JsonObject committed = api.get(a + "/offsets").bodyAsJsonObject().getJsonArray("offsets").getJsonObject(0);
    assertThat(committed.getMap()).containsEntry("offset", 2).containsEntry("metadata", "checkpoint \u00e9 7");

    JsonObject tooLarge = offsetsBody("commit-metadata", 3);
    tooLarge.getJsonArray("offsets").getJsonObject(0).put("metadata", "\u00e9".repeat(2_049)); // 4,098 UTF-8 bytes
    var refused = api.post(a + "/offsets", tooLarge);
    assertError(refused, 400, ErrorCode.OFFSET_METADATA_TOO_LARGE);
    assertThat(refused.bodyAsJsonObject().getString("message")).contains("offset.metadata.max.bytes", "4098");
    JsonObject notString = offsetsBody("commit-metadata", 3);
    notString.getJsonArray("offsets").getJsonObject(0).put("metadata", new JsonObject());
    assertError(api.post(a + "/offsets", notString), 400, ErrorCode.MALFORMED_REQUEST);
    assertThat(api.get(a + "/offsets").bodyAsJsonObject().getJsonArray("offsets").getJsonObject(0).getMap())
        .containsEntry("offset", 2).containsEntry("metadata", "checkpoint \u00e9 7");
  }

  /**
   * Fields an instance's request would ignore are refused: an assignment's "offset" was not followed, a misspelt
   * "topic_patern" left the subscription to its topics, a position with both an offset and a time took the offset.
   */
  @Test
  void fieldsAnInstancesRequestWouldIgnoreAreRefused() {
    api.createTopic("strict", 1);
    String a = api.consumer("g-strict", earliest("a"));
    JsonObject at = new JsonObject().put("topic", "strict").put("partition", 0);
    var assigned = api.post(a + "/assignments", new JsonObject().put("partitions",
        new JsonArray().add(at.copy().put("offset", 5))));
    assertError(assigned, 400, ErrorCode.MALFORMED_REQUEST);
    assertThat(assigned.bodyAsJsonObject().getString("message")).contains("partitions[0]", "'offset'");
    assertError(api.post(a + "/subscription", new JsonObject().put("topics", new JsonArray().add("strict"))
        .put("topic_patern", "s.*")), 400, ErrorCode.MALFORMED_REQUEST);
    assertThat(api.assignment(a)).isEmpty();
    assertThat(api.post(a + "/assignments", new JsonObject().put("partitions", new JsonArray().add(at)))
        .statusCode()).isEqualTo(204);
    var both = api.post(a + "/positions", new JsonObject().put("offsets",
        new JsonArray().add(at.copy().put("offset", 1).put("timestamp", 5))));
    assertError(both, 400, ErrorCode.MALFORMED_REQUEST);
    assertThat(both.bodyAsJsonObject().getString("message")).contains("both");
    assertError(api.post(a + "/offsets", new JsonObject().put("offsets",
        new JsonArray().add(at.copy().put("offset", 0).put("leader_epoch", 3)))), 400, ErrorCode.MALFORMED_REQUEST);
  }

  /** Consumer "a" of group g-{@code topic}, subscribed to a new topic with {@code records} in partition 0, polled. */
  private static String subscribedAndPolled(String topic, int partitions, int records) {
    api.createTopic(topic, partitions);
    api.produce(topic, 0, 1_000, records);
    String a = api.consumer("g-" + topic, earliest("a"));
    api.subscribe(a, topic);
    api.poll(a, 0);
    return a;
  }

  private static JsonObject offsetsBody(String topic, long offset) {
    return new JsonObject().put("offsets", new JsonArray()
        .add(new JsonObject().put("topic", topic).put("partition", 0).put("offset", offset)));
  }

  @Test
  void aPartitionWithoutACommitStartsAtTheEndUnderLatestAndAtTheBeginningUnderEarliest() {
    api.createTopic("reset-start", 1);
    api.produce("reset-start", 0, 1_000, 3);
    String late = api.consumer("g-latest", earliest("l").put("auto.offset.reset", "latest"));
    api.subscribe(late, "reset-start");
    assertThat(api.poll(late, 0)).isEmpty();
    api.produce("reset-start", 0, 2_000, 1);
    JsonArray got = new JsonArray();
    until(10_000, "the record produced after joining", () -> got.addAll(api.poll(late, 200)).size() > 0);
    assertThat(got.getJsonObject(0).getLong("offset")).isEqualTo(3);

    String early = api.consumer("g-earliest", earliest("e"));
    api.subscribe(early, "reset-start");
    JsonArray all = new JsonArray();
    until(10_000, "all four records", () -> all.addAll(api.poll(early, 200)).size() >= 4);
    assertThat(all.getJsonObject(0).getLong("offset")).isZero();
  }

  @Test
  void aParkedPollAnswersAsSoonAsARecordIsAppendedAndWaitsConsumerRequestTimeoutWithoutATimeoutParameter() {
    api.createTopic("longpoll", 1);
    String a = api.consumer("g-longpoll", earliest("a").put("consumer.request.timeout.ms", 300)
        .put("fetch.min.bytes", 1));
    api.subscribe(a, "longpoll");
    api.poll(a, 0);

    long start = System.nanoTime();
    HttpResponse<Buffer> empty = api.get(a + "/records");
    long emptyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(empty.bodyAsJsonArray()).isEmpty();
    assertThat(emptyMs).as("waited consumer.request.timeout.ms, not the 1 s default").isBetween(250L, 950L);

    var parked = api.client.get(a + "/records?timeout=20000").putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send();
    long produced = System.nanoTime();
    api.produce("longpoll", 0, 1_000, 1);
    JsonArray got = GroupsTestSupport.await(parked).bodyAsJsonArray();
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - produced);
    assertThat(got).hasSize(1);
    assertThat(tookMs).as("answered on the append, far below the 20 s timeout").isLessThan(5_000);
  }

  @Test
  void anOffsetResetGoesToTheEndOrToTheFirstRecordAtOrAfterATime() {
    api.createTopic("reset-to", 1);
    api.produce("reset-to", 0, 10_000, 10);
    String a = api.consumer("g-reset-to", earliest("a"));
    api.subscribe(a, "reset-to");
    api.poll(a, 0);
    api.post(a + "/offsets", new JsonObject().put("offsets", new JsonArray()
        .add(new JsonObject().put("topic", "reset-to").put("partition", 0).put("offset", 1))));
    api.delete(a);

    JsonArray toLatest = api.post("/consumer-groups/g-reset-to/offsets/reset", new JsonObject().put("to", "latest"))
        .bodyAsJsonArray();
    assertThat(toLatest.getJsonObject(0).getMap()).containsEntry("current_offset", 2).containsEntry("new_offset", 10)
        .containsEntry("records_skipped", 8);
    JsonArray toTime = api.post("/consumer-groups/g-reset-to/offsets/reset", new JsonObject().put("to", "timestamp")
        .put("timestamp", 10_004)).bodyAsJsonArray();
    assertThat(toTime.getJsonObject(0).getMap()).containsEntry("new_offset", 4).containsEntry("records_replayed", 6);
    assertThat(api.get("/consumer-groups/g-reset-to/lags").bodyAsJsonArray().getJsonObject(0).getInteger("lag"))
        .isEqualTo(6);
    assertError(api.post("/consumer-groups/g-reset-to/offsets/reset", new JsonObject().put("to", "yesterday")), 400,
        ErrorCode.INVALID_REQUEST);
  }

  @Test
  void anInstanceUnusedForTheConfiguredTimeIsDeletedAndLeavesItsGroup() {
    api.createTopic("idle", 1);
    String a = api.consumer("g-idle", earliest("a"));
    api.subscribe(a, "idle");
    api.poll(a, 0);
    assertThat(api.get("/consumer-groups/g-idle").bodyAsJsonObject().getJsonArray("members")).hasSize(1);
    // Only the group is asked from here on: reading the instance would keep it alive.
    until(10 * INSTANCE_TIMEOUT_MS, "the idle instance to leave its group", () ->
        api.get("/consumer-groups/g-idle").bodyAsJsonObject().getJsonArray("members").isEmpty());
    assertError(api.get(a + "/assignments"), 404, ErrorCode.CONSUMER_INSTANCE_NOT_FOUND);
  }

  @Test
  void aPollAskingForFramedRecordsGetsThemBinaryWithTheAssignmentAfterThePoll() {
    api.createTopic("framed", 2);
    api.produce("framed", 0, 1_000, 3);
    api.produce("framed", 1, 2_000, 2);
    String a = api.consumer("g-framed", earliest("a").put("format", "json"));
    api.subscribe(a, "framed");
    List<io.sluice.record.RecordFrames.Framed> got = new java.util.ArrayList<>();
    String[] assignment = new String[1];
    until(10_000, "all five records", () -> {
      HttpResponse<Buffer> r = GroupsTestSupport.await(api.client.get(a + "/records?timeout=200")
          .putHeader("Accept", "application/vnd.sluice.records").send());
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
      assertThat(r.getHeader("Content-Type")).isEqualTo("application/vnd.sluice.records");
      assignment[0] = r.getHeader(ConsumersEndpoint.ASSIGNMENT);
      got.addAll(io.sluice.record.RecordFrames.decode(java.nio.ByteBuffer.wrap(r.body() == null ? new byte[0]
          : r.body().getBytes())));
      return got.size() >= 5;
    });
    assertThat(java.util.Arrays.asList(assignment[0].split(","))).containsExactlyInAnyOrder("framed/0", "framed/1");
    assertThat(got).filteredOn(f -> f.partition() == 0).extracting(f -> f.record().offset()).containsExactly(0L, 1L, 2L);
    io.sluice.record.RecordFrames.Framed first = got.stream().filter(f -> f.partition() == 1).findFirst().orElseThrow();
    assertThat(first.topic()).isEqualTo("framed");
    assertThat(first.record().timestamp()).isEqualTo(2_000);
    assertThat(new String(first.record().value())).isEqualTo("\"v0\"");
    assertThat(first.record().key()).isNull();
    // The framed answer moved the instance's positions as a JSON one does: nothing is read twice.
    assertThat(api.poll(a, 0)).isEmpty();
  }

  @Test
  void aPollAskingForRecordBatchesGetsTheStoredBatchesFromEachPositionAndMovesPastThem() {
    api.createTopic("stored", 2);
    api.produce("stored", 0, 1_000, 5); // one stored batch: offsets 0 to 4
    api.produce("stored", 1, 2_000, 2);
    String a = api.consumer("g-stored", earliest("a"));
    var assigned = api.post(a + "/assignments", new JsonObject().put("partitions", new JsonArray()
        .add(new JsonObject().put("topic", "stored").put("partition", 0))
        .add(new JsonObject().put("topic", "stored").put("partition", 1))));
    assertThat(assigned.statusCode()).as(assigned.bodyAsString()).isEqualTo(204);
    var seek = api.post(a + "/positions", new JsonObject().put("offsets", new JsonArray()
        .add(new JsonObject().put("topic", "stored").put("partition", 0).put("offset", 3))));
    assertThat(seek.statusCode()).as(seek.bodyAsString()).isEqualTo(204);

    HttpResponse<Buffer> r = GroupsTestSupport.await(api.client.get(a + "/records?timeout=2000")
        .putHeader("Accept", "application/vnd.sluice.record-batches, application/vnd.sluice.records;q=0.9").send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.getHeader("Content-Type")).isEqualTo("application/vnd.sluice.record-batches");
    assertThat(java.util.Arrays.asList(r.getHeader(ConsumersEndpoint.ASSIGNMENT).split(",")))
        .containsExactlyInAnyOrder("stored/0", "stored/1");
    var sections = io.sluice.record.PartitionSections.parsePoll(java.nio.ByteBuffer.wrap(r.body().getBytes()));
    var p0 = sections.stream().filter(s -> s.partition() == 0).findFirst().orElseThrow();
    assertThat(p0.topic()).isEqualTo("stored");
    assertThat(p0.fromOffset()).isEqualTo(3);
    assertThat(p0.nextOffset()).isEqualTo(5);
    // The batch goes out as stored, from its base offset: the reader drops what is before the from offset.
    var batches = io.sluice.record.RecordBatches.split(p0.batches());
    assertThat(batches).hasSize(1);
    assertThat(batches.get(0).baseOffset()).isZero();
    assertThat(batches.get(0).records()).extracting(io.sluice.record.Record::offset).containsExactly(0L, 1L, 2L, 3L, 4L);
    // A partition with no position yet starts where auto.offset.reset says.
    var p1 = sections.stream().filter(s -> s.partition() == 1).findFirst().orElseThrow();
    assertThat(p1.fromOffset()).isZero();
    assertThat(p1.nextOffset()).isEqualTo(2);

    // The positions moved past the batches: neither answer shape reads them again.
    HttpResponse<Buffer> again = GroupsTestSupport.await(api.client.get(a + "/records?timeout=0")
        .putHeader("Accept", "application/vnd.sluice.record-batches").send());
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.body() == null ? 0 : again.body().length()).isZero();
    assertThat(api.poll(a, 0)).isEmpty();
  }

  /**
   * A share larger than half a G1 region (the broker reads it in {@code Batches.Chunks} of 256 KiB, batches spanning
   * two of them) goes out whole and as stored: every batch valid, every record there, the position after the last.
   */
  @Test
  void aRecordBatchPollOfAShareOverSeveralReadChunksAnswersEveryStoredBatchIntact() {
    api.createTopic("large", 1);
    String value = "x".repeat(997);
    int perRequest = 250;
    int requests = 4; // about 1 MB stored, in four batches
    for (int i = 0; i < requests; i++) {
      JsonArray records = new JsonArray();
      for (int j = 0; j < perRequest; j++) {
        records.add(new JsonObject().put("value", value + (i * perRequest + j)));
      }
      var produced = GroupsTestSupport.await(api.client.post("/topics/large/partitions/0")
          .putHeader("Content-Type", MediaTypes.KAFKA_JSON_V2)
          .sendBuffer(new JsonObject().put("records", records).toBuffer()));
      assertThat(produced.statusCode()).as(produced.bodyAsString()).isEqualTo(200);
    }
    String a = api.consumer("g-large", earliest("a"));
    api.subscribe(a, "large");

    HttpResponse<Buffer> r = GroupsTestSupport.await(api.client.get(a + "/records?timeout=2000&max_bytes=4194304")
        .putHeader("Accept", "application/vnd.sluice.record-batches").send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    var sections = io.sluice.record.PartitionSections.parsePoll(java.nio.ByteBuffer.wrap(r.body().getBytes()));
    assertThat(sections).hasSize(1);
    assertThat(sections.get(0).batches().remaining()).isGreaterThan(3 * io.sluice.api.Batches.Chunks.CHUNK_BYTES);
    assertThat(sections.get(0).nextOffset()).isEqualTo(requests * perRequest);
    List<String> values = new java.util.ArrayList<>();
    for (var batch : io.sluice.record.RecordBatches.split(sections.get(0).batches())) {
      batch.ensureValid(); // the CRC: the chunks were joined in order, byte for byte
      batch.records().forEach(rec -> values.add(new String(rec.value(), java.nio.charset.StandardCharsets.UTF_8)));
    }
    assertThat(values).hasSize(requests * perRequest);
    for (int i = 0; i < values.size(); i++) {
      assertThat(values.get(i).replace("\"", "")).isEqualTo(value + i); // the JSON format may keep the quotes
    }
  }
}
