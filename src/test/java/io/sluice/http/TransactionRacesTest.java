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

  private long[] ends() throws Exception {
    long[] ends = new long[PARTITIONS];
    for (int i = 0; i < PARTITIONS; i++) {
      ends[i] = await(broker.service().offsets(CALLER, new TopicPartition(TOPIC, i))).endOffset();
    }
    return ends;
  }

  /** Adds every partition to the transaction and writes one transactional record to each. */
  private void openWithRecords(String id, JsonObject producer) throws Exception {
    JsonArray all = new JsonArray();
    for (int i = 0; i < PARTITIONS; i++) {
      all.add(new JsonObject().put("topic", TOPIC).put("partition", i));
    }
    HttpResponse<Buffer> added = post("/transactions/" + id + "/partitions", producer.copy().put("partitions", all));
    assertThat(added.statusCode()).as(added.bodyAsString()).isEqualTo(204);
    long pid = producer.getLong("producer_id");
    short epoch = producer.getInteger("producer_epoch").shortValue();
    for (int i = 0; i < PARTITIONS; i++) {
      int seq = sequences.merge(pid + "/" + epoch + "/" + i, 1, Integer::sum) - 1;
      ByteBuffer batch = new RecordBatchBuilder(CompressionType.NONE).producer(pid, epoch, seq).transactional()
          .append(1_000, null, ("v" + seq).getBytes(), null).build();
      await(broker.service().produce(CALLER, new TopicPartition(TOPIC, i), batch, Acks.ALL));
    }
  }

  /**
   * Each partition took, after {@code before}, one transactional batch then one marker of the expected kind, and no
   * transaction is left open there (its last stable offset is its end).
   */
  private void assertEndedEverywhere(long[] before, boolean committed) throws Exception {
    for (int i = 0; i < PARTITIONS; i++) {
      TopicPartition tp = new TopicPartition(TOPIC, i);
      var range = await(broker.service().offsets(CALLER, tp));
      List<String> kinds = new ArrayList<>();
      for (long next = before[i]; next < range.endOffset(); ) { // a read may stop short of the end: read on
        var read = await(broker.service().fetch(CALLER, new FetchRequest(tp, next, 1 << 20, 0, 0)));
        ByteBuffer bytes = read.inMemory().batches().readBytes();
        while (bytes.remaining() > 0) {
          RecordBatch b = RecordBatch.wrap(bytes.slice());
          kinds.add(!b.isControlBatch() ? "data" : ControlRecords.isCommit(b) ? "COMMIT" : "ABORT");
          bytes.position(bytes.position() + b.sizeInBytes());
        }
        next = read.nextOffset();
      }
      assertThat(kinds).as(tp.toString()).containsExactly("data", committed ? "COMMIT" : "ABORT");
      assertThat(range.lastStableOffset()).as(tp + ": no transaction left open").isEqualTo(range.endOffset());
    }
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
