package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Acks;
import io.sluice.api.FetchRequest;
import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.broker.testing.TestClients;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.record.CompressionType;
import io.sluice.record.ControlRecords;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hostile or unlucky transactional client on a real broker: the coordinator's answers to requests that race each
 * other (commit against abort, two inits of one id, adds against an end, a commit against the timeout's abort), many
 * times over. Whatever the interleaving, a transaction ends exactly one way, with the same marker in every partition,
 * the loser gets Kafka's code (never a 500), and no partition is left with a transaction no marker closes.
 */
class TransactionRacesTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final RequestContext CALLER = RequestContext.SELF;
  private static final String TOPIC = "races";
  private static final int PARTITIONS = 3;
  private static final int ROUNDS = 25;

  @TempDir
  Path dataDir;
  private Broker broker;
  private WebClient client;
  /** Per producer id and epoch, per partition, the next sequence. */
  private final Map<String, Integer> sequences = new HashMap<>();

  private void start(Map<String, Object> extra) throws Exception {
    Map<String, Object> values = new HashMap<>(extra);
    values.put(BrokerConfig.CONNECT_ENABLED, false);
    values.put(BrokerConfig.STREAMS_ENABLED, false);
    values.put(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 1);
    // The partition's own fences are under test: KIP-890's verification (TransactionVerificationClusterTest) would
    // refuse these id-less transactional writes before they reach them.
    values.putIfAbsent(BrokerConfig.TRANSACTION_PARTITION_VERIFICATION_ENABLE, false);
    broker = TestBrokers.start(TestBrokers.config(dataDir, values), GUARD, HttpListener::new);
    client = TestClients.web(broker.httpPort());
    await(broker.service().createTopic(RequestContext.internal(1), new NewTopic(TOPIC, PARTITIONS, 1, Map.of())));
  }

  @AfterEach
  void close() throws Exception {
    if (client != null) {
      client.close();
    }
    TestBrokers.close(broker);
  }

  @Test
  void commitAndAbortRacingEndTheTransactionOneWayEverywhereAndTheLoserIsToldWhy() throws Exception {
    start(Map.of());
    JsonObject p = init("racer", 60_000);
    for (int round = 0; round < ROUNDS; round++) {
      long[] before = ends();
      openWithRecords("racer", p);
      boolean commitFirst = round % 2 == 0;
      List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
      // a retried commit (or abort) joins the end; the other kind loses
      calls.add(postAsync("/transactions/racer/" + (commitFirst ? "commit" : "abort"), p));
      calls.add(postAsync("/transactions/racer/" + (commitFirst ? "abort" : "commit"), p));
      calls.add(postAsync("/transactions/racer/" + (commitFirst ? "commit" : "abort"), p));
      await(Future.join(new ArrayList<>(calls)));
      List<Boolean> won = new ArrayList<>();
      for (int i = 0; i < calls.size(); i++) {
        HttpResponse<Buffer> r = calls.get(i).result();
        boolean commit = (i == 1) != commitFirst;
        if (r.statusCode() == 204) {
          won.add(commit);
        } else {
          assertError(r, 409, ErrorCode.INVALID_TXN_STATE, ErrorCode.CONCURRENT_TRANSACTIONS);
        }
      }
      assertThat(won).as("round " + round + ": the winners").isNotEmpty().containsOnly(won.get(0));
      assertEndedEverywhere(before, won.get(0));
    }
  }

  /** Sends InitProducerId as Kafka's client does: again while CONCURRENT_TRANSACTIONS (an end still running). */
  private Future<JsonObject> initRetrying(String id, long timeoutMs) {
    return postAsync("/producers", new JsonObject().put("transactional_id", id).put("transaction_timeout_ms",
        timeoutMs)).compose(r -> {
          if (r.statusCode() == 200) {
            return Future.succeededFuture(r.bodyAsJsonObject());
          }
          assertError(r, 409, ErrorCode.CONCURRENT_TRANSACTIONS);
          return initRetrying(id, timeoutMs);
        });
  }

  @Test
  void twoProducersInitializingOneIdAtOnceGetDistinctEpochsAndOnlyTheNewestLives() throws Exception {
    start(Map.of());
    JsonObject p = init("twins", 60_000);
    for (int round = 0; round < ROUNDS; round++) {
      long[] before = ends();
      openWithRecords("twins", p);
      Future<JsonObject> a = initRetrying("twins", 60_000);
      Future<JsonObject> b = initRetrying("twins", 60_000);
      await(Future.all(a, b));
      int ea = a.result().getInteger("producer_epoch");
      int eb = b.result().getInteger("producer_epoch");
      assertThat(ea).as("two live epochs").isNotEqualTo(eb);
      JsonObject older = ea < eb ? a.result() : b.result();
      JsonObject newer = ea < eb ? b.result() : a.result();
      assertThat(get("/transactions/twins").getInteger("producer_epoch")).isEqualTo(newer.getInteger(
          "producer_epoch"));
      for (JsonObject zombie : List.of(p, older)) {
        assertError(post("/transactions/twins/partitions", add(zombie, 0)), 409, ErrorCode.PRODUCER_FENCED);
        assertError(post("/transactions/twins/commit", zombie), 409, ErrorCode.PRODUCER_FENCED);
      }
      assertEndedEverywhere(before, false);
      p = newer;
    }
  }

  @Test
  void aCommitAfterTheTimeoutAbortsBeforeThePeriodicCheckAndAFencedWriteStillInFlightIsRefused() throws Exception {
    start(Map.of(BrokerConfig.TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS, 3_600_000L)); // never, here
    JsonObject p = init("late", 1);
    long[] before = ends();
    HttpResponse<Buffer> added = post("/transactions/late/partitions", all(p));
    assertThat(added.statusCode()).as(added.bodyAsString()).isEqualTo(204);
    letTheTimeoutPass();
    write(p, 0);

    assertError(post("/transactions/late/commit", p), 409, ErrorCode.PRODUCER_FENCED);
    assertThat(get("/transactions/late").getString("transaction_state")).isEqualTo("CompleteAbort");
    // the producer's batch to partition 1 was still on its way: the abort's marker fenced its epoch there
    assertThat(write(p, 1)).isEqualTo(ErrorCode.INVALID_PRODUCER_EPOCH.code());
    assertThat(kinds(0, before[0])).containsExactly("data", "ABORT");
    assertThat(kinds(1, before[1])).containsExactly("ABORT");
    assertNoneOpen();
  }

  @Test
  void aCommitRacingTheTimeoutsAbortIsAlwaysRefusedAndNothingOfItIsEverCommitted() throws Exception {
    start(Map.of(BrokerConfig.TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS, 1L));
    for (int round = 0; round < ROUNDS; round++) {
      long[] before = ends();
      JsonObject p = await(initRetrying("expiring", 1)); // waits for the previous round's abort to be written
      assertNoneOpen();
      HttpResponse<Buffer> added = post("/transactions/expiring/partitions", all(p));
      if (added.statusCode() == 204) {
        letTheTimeoutPass();
        for (int i = 0; i < PARTITIONS; i++) {
          assertThat(write(p, i)).isIn(0, ErrorCode.INVALID_PRODUCER_EPOCH.code());
        }
      } else {
        assertError(added, 409, ErrorCode.PRODUCER_FENCED);
      }
      assertError(post("/transactions/expiring/commit", p), 409, ErrorCode.PRODUCER_FENCED);
      for (int i = 0; i < PARTITIONS; i++) {
        assertThat(kinds(i, before[i])).as("round " + round).doesNotContain("COMMIT");
      }
    }
    await(initRetrying("expiring", 60_000));
    assertNoneOpen();
  }

  @Test
  void partitionsAndOffsetsAddedWhileTheCommitIsWrittenAreInItRefusedOrInTheNextTransaction() throws Exception {
    start(Map.of());
    JsonObject p = init("adder", 60_000);
    for (int round = 0; round < ROUNDS; round++) {
      long[] before = ends();
      HttpResponse<Buffer> first = post("/transactions/adder/partitions", add(p, 0));
      assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(204);
      assertThat(write(p, 0)).isZero();
      Future<HttpResponse<Buffer>> commit = postAsync("/transactions/adder/commit", p);
      Future<HttpResponse<Buffer>> more = postAsync("/transactions/adder/partitions", add(p, 1));
      Future<HttpResponse<Buffer>> offsets = postAsync("/transactions/adder/offsets", p.copy().put("group_id",
          "adders").put("offsets", new JsonArray().add(new JsonObject().put("topic", TOPIC).put("partition", 0)
          .put("offset", round + 1))));
      await(Future.join(commit, more, offsets));
      assertThat(commit.result().statusCode()).as(commit.result().bodyAsString()).isEqualTo(204);
      for (HttpResponse<Buffer> r : List.of(more.result(), offsets.result())) {
        if (r.statusCode() != 204) {
          assertError(r, 409, ErrorCode.CONCURRENT_TRANSACTIONS);
        }
      }
      JsonObject state = get("/transactions/adder");
      if (state.getString("transaction_state").equals("Ongoing")) { // an add came after the commit: a new one
        HttpResponse<Buffer> abort = post("/transactions/adder/abort", p);
        assertThat(abort.statusCode()).as(abort.bodyAsString()).isEqualTo(204);
      }
      assertThat(kinds(0, before[0])).as("round " + round).startsWith("data", "COMMIT");
      assertNoneOpen();
    }
  }

  @Test
  void aTransactionNamingMorePartitionsAndGroupsThanTheLimitIsRefusedAndKeepsWhatItHad() throws Exception {
    start(Map.of(BrokerConfig.TRANSACTION_MAX_PARTITIONS, PARTITIONS));
    await(broker.service().createTopic(RequestContext.internal(1), new NewTopic("wide", 2, 1, Map.of())));
    JsonObject p = init("wide", 60_000);
    HttpResponse<Buffer> added = post("/transactions/wide/partitions", all(p));
    assertThat(added.statusCode()).as(added.bodyAsString()).isEqualTo(204);
    JsonObject beyond = p.copy().put("partitions", new JsonArray().add(new JsonObject().put("topic", "wide")
        .put("partition", 0)));
    assertError(post("/transactions/wide/partitions", beyond), 400, ErrorCode.TRANSACTION_PARTITION_LIMIT_EXCEEDED);
    assertError(post("/transactions/wide/offsets", p.copy().put("group_id", "g").put("offsets", new JsonArray()
        .add(new JsonObject().put("topic", TOPIC).put("partition", 0).put("offset", 1)))), 400,
        ErrorCode.TRANSACTION_PARTITION_LIMIT_EXCEEDED);
    JsonObject described = get("/transactions/wide");
    assertThat(described.getString("transaction_state")).isEqualTo("Ongoing");
    assertThat(described.getJsonArray("topics")).hasSize(1);
    assertThat(described.getJsonArray("topics").getJsonObject(0).getString("topic")).isEqualTo(TOPIC);
    assertThat(post("/transactions/wide/partitions", add(p, 1)).statusCode()).as("a partition it has").isEqualTo(204);
    assertThat(post("/transactions/wide/commit", p).statusCode()).isEqualTo(204);
  }

  /** The coordinator's clock (this process's) past a 1 ms transaction timeout begun before this call. */
  private static void letTheTimeoutPass() {
    long begun = System.currentTimeMillis();
    while (System.currentTimeMillis() <= begun + 1) {
      Thread.onSpinWait();
    }
  }

  private static JsonObject all(JsonObject producer) {
    JsonArray all = new JsonArray();
    for (int i = 0; i < PARTITIONS; i++) {
      all.add(new JsonObject().put("topic", TOPIC).put("partition", i));
    }
    return producer.copy().put("partitions", all);
  }

  /** Writes one transactional record of {@code producer} to the partition: 0, or the refusal's error code. */
  private int write(JsonObject producer, int partition) throws Exception {
    long pid = producer.getLong("producer_id");
    short epoch = producer.getInteger("producer_epoch").shortValue();
    int seq = sequences.merge(pid + "/" + epoch + "/" + partition, 1, Integer::sum) - 1;
    ByteBuffer batch = new RecordBatchBuilder(CompressionType.NONE).producer(pid, epoch, seq).transactional()
        .append(1_000, null, ("v" + seq).getBytes(), null).build();
    try {
      await(broker.service().produce(CALLER, new TopicPartition(TOPIC, partition), batch, Acks.ALL));
      return 0;
    } catch (io.sluice.errors.SluiceException e) {
      return e.errorCode().code();
    }
  }

  private void assertNoneOpen() throws Exception {
    for (int i = 0; i < PARTITIONS; i++) {
      var range = await(broker.service().offsets(CALLER, new TopicPartition(TOPIC, i)));
      assertThat(range.lastStableOffset()).as("partition " + i + ": no transaction left open")
          .isEqualTo(range.endOffset());
    }
  }

  private long[] ends() throws Exception {
    long[] ends = new long[PARTITIONS];
    for (int i = 0; i < PARTITIONS; i++) {
      ends[i] = await(broker.service().offsets(CALLER, new TopicPartition(TOPIC, i))).endOffset();
    }
    return ends;
  }

  /** Adds every partition to the transaction and writes one transactional record to each. */
  private void openWithRecords(String id, JsonObject producer) throws Exception {
    HttpResponse<Buffer> added = post("/transactions/" + id + "/partitions", all(producer));
    assertThat(added.statusCode()).as(added.bodyAsString()).isEqualTo(204);
    for (int i = 0; i < PARTITIONS; i++) {
      assertThat(write(producer, i)).isZero();
    }
  }

  /** Each partition took, after {@code before}, one transactional batch then one marker of the expected kind. */
  private void assertEndedEverywhere(long[] before, boolean committed) throws Exception {
    for (int i = 0; i < PARTITIONS; i++) {
      assertThat(kinds(i, before[i])).as("partition " + i).containsExactly("data", committed ? "COMMIT" : "ABORT");
    }
    assertNoneOpen();
  }

  /** The partition's batches from {@code from} to its end: "data", "COMMIT" or "ABORT". */
  private List<String> kinds(int partition, long from) throws Exception {
    TopicPartition tp = new TopicPartition(TOPIC, partition);
    long end = await(broker.service().offsets(CALLER, tp)).endOffset();
    List<String> kinds = new ArrayList<>();
    for (long next = from; next < end; ) { // a read may stop short of the end: read on
      var read = await(broker.service().fetch(CALLER, new FetchRequest(tp, next, 1 << 20, 0, 0)));
      ByteBuffer bytes = read.inMemory().batches().readBytes();
      while (bytes.remaining() > 0) {
        RecordBatch b = RecordBatch.wrap(bytes.slice());
        kinds.add(!b.isControlBatch() ? "data" : ControlRecords.isCommit(b) ? "COMMIT" : "ABORT");
        bytes.position(bytes.position() + b.sizeInBytes());
      }
      next = read.nextOffset();
    }
    return kinds;
  }

  private JsonObject init(String id, long timeoutMs) throws Exception {
    HttpResponse<Buffer> r = post("/producers", new JsonObject().put("transactional_id", id)
        .put("transaction_timeout_ms", timeoutMs));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  private static JsonObject add(JsonObject producer, int partition) {
    return producer.copy().put("partitions", new JsonArray().add(new JsonObject().put("topic", TOPIC)
        .put("partition", partition)));
  }

  private Future<HttpResponse<Buffer>> postAsync(String path, JsonObject body) {
    return client.post(path).putHeader("Content-Type", "application/json").sendBuffer(body.toBuffer());
  }

  private HttpResponse<Buffer> post(String path, JsonObject body) throws Exception {
    return await(postAsync(path, body));
  }

  private JsonObject get(String path) throws Exception {
    HttpResponse<Buffer> r = await(client.get(path).send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  private static void assertError(HttpResponse<Buffer> r, int status, ErrorCode... codes) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    assertThat(r.bodyAsJsonObject().getInteger("error_code")).as(r.bodyAsString()).isIn(
        java.util.Arrays.stream(codes).map(ErrorCode::code).toList());
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(60, TimeUnit.SECONDS);
  }
}
