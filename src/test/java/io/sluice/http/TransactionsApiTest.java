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
 * The transaction coordinator's HTTP API on a real broker, for everything that needs no marker written (the markers
 * are the partitions' side): initTransactions and fencing, AddPartitionsToTxn, the refusals with Kafka's codes, the
 * listing and description, and the state surviving a restart of the coordinator's broker.
 */
class TransactionsApiTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dataDir;
  private Broker broker;
  private WebClient client;

  private void start() throws Exception {
    BrokerConfig config = TestBrokers.config(dataDir, Map.of(BrokerConfig.CONNECT_ENABLED, false,
        BrokerConfig.STREAMS_ENABLED, false, BrokerConfig.TRANSACTION_MAX_TIMEOUT_MS, 120_000,
        BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 2));
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

  private HttpResponse<Buffer> get(String path) throws Exception {
    return await(client.get(path).send());
  }

  private static void assertError(HttpResponse<Buffer> r, int status, ErrorCode code) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    assertThat(r.bodyAsJsonObject().getInteger("error_code")).as(r.bodyAsString()).isEqualTo(code.code());
  }

  private JsonObject init(String id) throws Exception {
    HttpResponse<Buffer> r = post("/producers", new JsonObject().put("transactional_id", id)
        .put("transaction_timeout_ms", 60_000));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject();
  }

  private static JsonObject add(JsonObject producer, String topic, int partition) {
    return producer.copy().put("partitions", new JsonArray().add(new JsonObject().put("topic", topic)
        .put("partition", partition)));
  }

  @Test
  void aSecondInitFencesTheFirstProducerAndAddedPartitionsAreDescribed() throws Exception {
    start();
    await(broker.service().createTopic(RequestContext.internal(1), new NewTopic("orders", 2, 1, Map.of())));
    JsonObject first = init("orders-tx");
    JsonObject second = init("orders-tx");
    assertThat(second.getLong("producer_id")).isEqualTo(first.getLong("producer_id"));
    assertThat(second.getInteger("producer_epoch")).isEqualTo(first.getInteger("producer_epoch") + 1);

    assertError(post("/transactions/orders-tx/partitions", add(first, "orders", 0)), 409, ErrorCode.PRODUCER_FENCED);
    HttpResponse<Buffer> added = post("/transactions/orders-tx/partitions", add(second, "orders", 1));
    assertThat(added.statusCode()).as(added.bodyAsString()).isEqualTo(204);

    JsonObject described = get("/transactions/orders-tx").bodyAsJsonObject();
    assertThat(described.getString("transaction_state")).isEqualTo("Ongoing");
    assertThat(described.getLong("producer_id")).isEqualTo(second.getLong("producer_id"));
    assertThat(described.getInteger("producer_epoch")).isEqualTo(second.getInteger("producer_epoch"));
    assertThat(described.getLong("transaction_timeout_ms")).isEqualTo(60_000);
    assertThat(described.getLong("transaction_start_time_ms")).isPositive();
    assertThat(described.getJsonArray("topics")).isEqualTo(new JsonArray().add(new JsonObject().put("topic", "orders")
        .put("partitions", new JsonArray().add(1))));
    JsonArray listed = get("/transactions").bodyAsJsonObject().getJsonArray("transactions");
    assertThat(listed).hasSize(1);
    assertThat(listed.getJsonObject(0).getString("transactional_id")).isEqualTo("orders-tx");
    assertThat(listed.getJsonObject(0).getString("transaction_state")).isEqualTo("Ongoing");
    assertThat(get("/transactions?state=Empty").bodyAsJsonObject().getJsonArray("transactions")).isEmpty();
  }

  @Test
  void requestsTheStateDoesNotAllowAreRefusedWithKafkasCodes() throws Exception {
    start();
    await(broker.service().createTopic(RequestContext.internal(1), new NewTopic("orders", 1, 1, Map.of())));
    JsonObject p = init("t1");

    assertError(post("/transactions/t1/commit", p), 409, ErrorCode.INVALID_TXN_STATE);
    assertError(post("/transactions/t1/abort", p.copy().put("producer_id", p.getLong("producer_id") + 1)), 409,
        ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    assertError(post("/transactions/nobody/partitions", add(p, "orders", 0)), 409,
        ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    assertError(post("/transactions/t1/partitions", add(p, "nope", 0)), 404, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertError(post("/transactions/t1/partitions", add(p, "orders", 5)), 404, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assertError(get("/transactions/nobody"), 404, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    assertError(post("/producers", new JsonObject().put("transactional_id", "t2").put("transaction_timeout_ms",
        120_001)), 400, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assertError(post("/producers", new JsonObject().put("transactional_id", "t2").put("acks", "all")), 400,
        ErrorCode.INVALID_REQUEST);
    assertError(post("/producers", new JsonObject().put("transactional_id", "")), 400, ErrorCode.INVALID_REQUEST);
    for (String unaddressable : new String[] {".", ".."}) { // no /transactions/{id}/commit could name it
      assertError(post("/producers", new JsonObject().put("transactional_id", unaddressable)), 400,
          ErrorCode.INVALID_REQUEST);
    }
    assertError(post("/transactions/t1/commit", p.copy().put("extra", 1)), 400, ErrorCode.INVALID_REQUEST);
    assertError(post("/transactions/t1/commit", new JsonObject().put("producer_id", "x").put("producer_epoch", 0)),
        400, ErrorCode.MALFORMED_REQUEST);
    assertError(post("/transactions/t1/partitions", p.copy().put("partitions", new JsonArray())), 400,
        ErrorCode.MALFORMED_REQUEST);
  }

  @Test
  void theListingFiltersByStateProducerIdAndDurationAtTheCoordinator() throws Exception {
    start();
    await(broker.service().createTopic(RequestContext.internal(1), new NewTopic("orders", 1, 1, Map.of())));
    JsonObject open = init("open-tx");
    JsonObject idle = init("idle-tx");
    assertThat(post("/transactions/open-tx/partitions", add(open, "orders", 0)).statusCode()).isEqualTo(204);

    assertThat(ids("/transactions?state=Ongoing")).containsExactly("open-tx");
    assertThat(ids("/transactions?state=Empty&state=Ongoing")).containsExactly("idle-tx", "open-tx");
    assertThat(ids("/transactions?producer_id=" + idle.getLong("producer_id"))).containsExactly("idle-tx");
    assertThat(ids("/transactions?duration_ms=0")).containsExactly("idle-tx", "open-tx");
    assertThat(ids("/transactions?duration_ms=86400000")).as("none open a day").isEmpty();

    assertError(get("/transactions?state=Running"), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(get("/transactions?producer_id=x"), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(get("/transactions?duration_ms=-1"), 400, ErrorCode.MALFORMED_REQUEST);
  }

  private java.util.List<String> ids(String path) throws Exception {
    HttpResponse<Buffer> r = get(path);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject().getJsonArray("transactions").stream()
        .map(o -> ((JsonObject) o).getString("transactional_id")).toList();
  }

  @Test
  void theStateSurvivesARestartOfTheCoordinatorsBroker() throws Exception {
    start();
    await(broker.service().createTopic(RequestContext.internal(1), new NewTopic("orders", 2, 1, Map.of())));
    JsonObject p = init("durable");
    assertThat(post("/transactions/durable/partitions", add(p, "orders", 0)).statusCode()).isEqualTo(204);
    stop();

    start();
    JsonObject described = await(io.sluice.broker.testing.TestClients.web(broker.httpPort())
        .get("/transactions/durable").send()).bodyAsJsonObject();
    // The first request after a start may find the offsets topic partition still loading: NOT_COORDINATOR is
    // retried inside the broker, so this answers once it is loaded.
    assertThat(described.getString("transaction_state")).as(described.encode()).isEqualTo("Ongoing");
    assertThat(described.getLong("producer_id")).isEqualTo(p.getLong("producer_id"));
    assertThat(described.getJsonArray("topics").getJsonObject(0).getString("topic")).isEqualTo("orders");
    assertThat(post("/transactions/durable/partitions", add(p, "orders", 1)).statusCode()).isEqualTo(204);
  }

  /**
   * A topic of the transaction deleted before its end: its partition will never take the marker, which is given up
   * (before, it was retried for ever and the commit answered CONCURRENT_TRANSACTIONS after 30 s, again and again);
   * the other partition gets its marker and the commit completes.
   */
  @Test
  void aCommitCompletesWhenATopicOfTheTransactionWasDeleted() throws Exception {
    start();
    await(broker.service().createTopic(RequestContext.internal(1), new NewTopic("orders", 1, 1, Map.of())));
    await(broker.service().createTopic(RequestContext.internal(1), new NewTopic("gone", 1, 1, Map.of())));
    JsonObject p = init("deleting");
    assertThat(post("/transactions/deleting/partitions", add(p, "orders", 0)).statusCode()).isEqualTo(204);
    assertThat(post("/transactions/deleting/partitions", add(p, "gone", 0)).statusCode()).isEqualTo(204);
    await(broker.service().deleteTopic(RequestContext.internal(1), "gone"));

    HttpResponse<Buffer> committed = post("/transactions/deleting/commit", p);

    assertThat(committed.statusCode()).as(committed.bodyAsString()).isEqualTo(204);
    assertThat(get("/transactions/deleting").bodyAsJsonObject().getString("transaction_state"))
        .isEqualTo("CompleteCommit");
    JsonObject offsets = get("/topics/orders/partitions/0/offsets").bodyAsJsonObject();
    assertThat(offsets.getLong("end_offset")).as("the COMMIT marker").isEqualTo(1);
  }
}
