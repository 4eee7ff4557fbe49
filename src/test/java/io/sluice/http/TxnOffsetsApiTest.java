package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's sendOffsetsToTransaction over HTTP on a real broker: offsets sent in a transaction are pending (a plain
 * offset fetch answers the last commit, a require_stable one UNSTABLE_OFFSET_COMMIT) until the transaction commits
 * (then they are the group's commits) or aborts (then they are gone), across a restart of the coordinator's broker.
 */
class TxnOffsetsApiTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final String INSTANCE = "/consumers/g/instances/c1";

  @TempDir
  Path dataDir;
  private Broker broker;
  private WebClient client;

  private void start() throws Exception {
    BrokerConfig config = TestBrokers.config(dataDir, Map.of(BrokerConfig.CONNECT_ENABLED, false,
        BrokerConfig.STREAMS_ENABLED, false, BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 2));
    broker = TestBrokers.start(config, GUARD, HttpListener::new);
    client = io.sluice.broker.testing.TestClients.web(broker.httpPort());
  }

  private void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    TestBrokers.close(broker);
    broker = null;
  }

  @AfterEach
  void close() throws Exception {
    stop();
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(60, TimeUnit.SECONDS);
  }

  private HttpResponse<Buffer> post(String path, JsonObject body) throws Exception {
    return await(client.post(path).putHeader("Content-Type", "application/json").sendBuffer(body.toBuffer()));
  }

  private static void assertStatus(HttpResponse<Buffer> r, int status) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
  }

  private static void assertError(HttpResponse<Buffer> r, int status, ErrorCode code) {
    assertStatus(r, status);
    assertThat(r.bodyAsJsonObject().getInteger("error_code")).as(r.bodyAsString()).isEqualTo(code.code());
  }

  /** A topic "in" and a consumer instance of group g (which reads commits). */
  private void setUp() throws Exception {
    await(broker.service().createTopic(RequestContext.internal(1), new NewTopic("in", 2, 1, Map.of())));
    instance();
  }

  private void instance() throws Exception {
    assertStatus(post("/consumers/g", new JsonObject().put("name", "c1").put("format", "json")), 200);
  }

  private JsonObject init(String id) throws Exception {
    HttpResponse<Buffer> r = post("/producers", new JsonObject().put("transactional_id", id)
        .put("transaction_timeout_ms", 60_000));
    assertStatus(r, 200);
    return r.bodyAsJsonObject();
  }

  private static JsonObject offsets(JsonObject producer, long nextOffset) {
    return producer.copy().put("group_id", "g").put("offsets", new JsonArray().add(new JsonObject()
        .put("topic", "in").put("partition", 0).put("offset", nextOffset)));
  }

  /** The group's commit of in-0 through the consumer instance: the last processed offset, or -1 without one. */
  private HttpResponse<Buffer> committed(boolean requireStable) throws Exception {
    JsonObject body = new JsonObject().put("partitions", new JsonArray().add(new JsonObject().put("topic", "in")
        .put("partition", 0)));
    return await(client.request(HttpMethod.GET, INSTANCE + "/offsets" + (requireStable ? "?require_stable=true" : ""))
        .putHeader("Content-Type", "application/json").sendBuffer(body.toBuffer()));
  }

  private long lastProcessed() throws Exception {
    HttpResponse<Buffer> r = committed(false);
    assertStatus(r, 200);
    JsonArray offsets = r.bodyAsJsonObject().getJsonArray("offsets");
    return offsets.isEmpty() ? -1 : offsets.getJsonObject(0).getLong("offset");
  }

  @Test
  void offsetsSentInATransactionArePendingUntilItCommits() throws Exception {
    start();
    setUp();
    JsonObject p = init("loop");

    assertStatus(post("/transactions/loop/offsets", offsets(p, 5)), 204);

    assertThat(lastProcessed()).isEqualTo(-1);
    assertError(committed(true), 409, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    JsonObject described = await(client.get("/transactions/loop").send()).bodyAsJsonObject();
    assertThat(described.getString("transaction_state")).isEqualTo("Ongoing");

    assertStatus(post("/transactions/loop/commit", p), 204);
    assertThat(lastProcessed()).isEqualTo(4); // next offset to read 5
    assertStatus(committed(true), 200);
  }

  /** A group id Kafka refuses (too long, illegal characters) is refused 400 (24), as a group's own routes refuse it. */
  @Test
  void offsetsForAnIllegalGroupIdAreRefused() throws Exception {
    start();
    setUp();
    JsonObject p = init("loop");
    for (String group : new String[] {"g".repeat(250), "bad group", "\u00e9t\u00e9", ".."}) {
      assertError(post("/transactions/loop/offsets", offsets(p, 5).put("group_id", group)), 400,
          ErrorCode.INVALID_GROUP_ID);
    }
    assertStatus(post("/transactions/loop/abort", p), 409);
  }

  @Test
  void offsetsOfAnAbortedTransactionAreNeverCommitted() throws Exception {
    start();
    setUp();
    assertStatus(post(INSTANCE + "/offsets", new JsonObject().put("offsets", new JsonArray().add(new JsonObject()
        .put("topic", "in").put("partition", 0).put("offset", 2)))), 204);
    JsonObject p = init("loop");

    assertStatus(post("/transactions/loop/offsets", offsets(p, 9)), 204);
    assertStatus(post("/transactions/loop/abort", p), 204);

    assertThat(lastProcessed()).isEqualTo(2);
    assertStatus(committed(true), 200);
  }

  @Test
  void pendingOffsetsSurviveARestartOfTheCoordinatorAndItsCommitThenTakesThem() throws Exception {
    start();
    setUp();
    JsonObject p = init("loop");
    assertStatus(post("/transactions/loop/offsets", offsets(p, 7)), 204);
    stop();

    start(); // the consumer instance is persisted: it is back
    assertError(committed(true), 409, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    assertThat(lastProcessed()).isEqualTo(-1);
    assertStatus(post("/transactions/loop/commit", p), 204);
    assertThat(lastProcessed()).isEqualTo(6);
    stop();

    start(); // the consumer instance is persisted: it is back
    assertThat(lastProcessed()).isEqualTo(6);
    assertStatus(committed(true), 200);
  }

  @Test
  void aNewProducerOfTheIdAbortsThePendingOffsetsOfTheOldOne() throws Exception {
    start();
    setUp();
    JsonObject old = init("loop");
    assertStatus(post("/transactions/loop/offsets", offsets(old, 3)), 204);

    init("loop"); // the restarted loop: the old transaction is aborted before the new producer gets its epoch

    assertThat(lastProcessed()).isEqualTo(-1);
    assertStatus(committed(true), 200);
    assertError(post("/transactions/loop/offsets", offsets(old, 4)), 409, ErrorCode.PRODUCER_FENCED);
  }

  private static ErrorCode code(Future<?> f) throws Exception {
    Throwable t = await(f.transform(ar -> Future.succeededFuture(ar.cause())));
    assertThat(t).isInstanceOf(io.sluice.errors.SluiceException.class);
    return ((io.sluice.errors.SluiceException) t).errorCode();
  }

  @Test
  void aFencedProducersLateOffsetsNeverBecomeCommits() throws Exception {
    start();
    setUp();
    JsonObject old = init("loop");
    JsonObject current = init("loop");
    io.sluice.api.TransactionService service = broker.services().extensions().stream()
        .filter(TransactionsEndpoint.class::isInstance).map(e -> ((TransactionsEndpoint) e).service())
        .findFirst().orElseThrow();
    io.sluice.api.ProducerIdentity zombie = new io.sluice.api.ProducerIdentity(old.getLong("producer_id"),
        old.getInteger("producer_epoch").shortValue());
    io.sluice.api.TopicPartition in1 = new io.sluice.api.TopicPartition("in", 1);
    // The old producer's TxnOffsetCommit arrives late, after its transaction was aborted: its transaction
    // coordinator refuses it (KIP-890); before, it was written pending and held require_stable fetches until the
    // current producer's end dropped it
    assertThat(code(service.txnOffsetCommit(RequestContext.internal(1), "loop", zombie, new io.sluice.api.TxnOffsets(
        "g", null, -1, Map.of(in1, new io.sluice.api.OffsetCommit(4, "")))))).isEqualTo(ErrorCode.INVALID_PRODUCER_EPOCH);
    HttpResponse<Buffer> none = await(client.request(HttpMethod.GET, INSTANCE + "/offsets?require_stable=true")
        .putHeader("Content-Type", "application/json").sendBuffer(new JsonObject().put("partitions", new JsonArray()
            .add(new JsonObject().put("topic", "in").put("partition", 1))).toBuffer()));
    assertStatus(none, 200);

    assertStatus(post("/transactions/loop/offsets", offsets(current, 6)), 204);
    assertThat(code(service.txnOffsetCommit(RequestContext.internal(1), "loop", zombie,
        new io.sluice.api.TxnOffsets("g", null, -1, Map.of(new io.sluice.api.TopicPartition("in", 0),
            new io.sluice.api.OffsetCommit(2, "")))))).isEqualTo(ErrorCode.INVALID_PRODUCER_EPOCH);
    assertStatus(post("/transactions/loop/commit", current), 204);

    assertThat(lastProcessed()).isEqualTo(5);
    JsonObject both = new JsonObject().put("partitions", new JsonArray().add(new JsonObject().put("topic", "in")
        .put("partition", 0)).add(new JsonObject().put("topic", "in").put("partition", 1)));
    HttpResponse<Buffer> stable = await(client.request(HttpMethod.GET, INSTANCE + "/offsets?require_stable=true")
        .putHeader("Content-Type", "application/json").sendBuffer(both.toBuffer()));
    assertStatus(stable, 200);
    assertThat(stable.bodyAsJsonObject().getJsonArray("offsets")).hasSize(1); // in-1: the zombie's offset is gone
  }

  @Test
  void badRequestsAreRefusedWithClearCodes() throws Exception {
    start();
    setUp();
    JsonObject p = init("loop");
    assertError(post("/transactions/loop/offsets", offsets(p, 1).put("group_id", "")), 400,
        ErrorCode.MALFORMED_REQUEST);
    assertError(post("/transactions/loop/offsets", offsets(p, 1).put("offsets", new JsonArray())), 400,
        ErrorCode.MALFORMED_REQUEST);
    assertError(post("/transactions/loop/offsets", offsets(p, 1).put("extra", 1)), 400, ErrorCode.INVALID_REQUEST);
    assertError(post("/transactions/loop/offsets", offsets(p, -1)), 400, ErrorCode.MALFORMED_REQUEST);
    JsonObject unknownTopic = offsets(p, 1);
    unknownTopic.getJsonArray("offsets").getJsonObject(0).put("topic", "nope");
    assertError(post("/transactions/loop/offsets", unknownTopic), 404, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    // a member id the group does not know is fenced as its commit would be (KIP-447)
    assertError(post("/transactions/loop/offsets", offsets(p, 1).put("member_id", "ghost").put("generation_id", 1)),
        409, ErrorCode.UNKNOWN_MEMBER_ID);
  }
}
