package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.api.TxnMarker;
import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transactions' partition side over HTTP on a real broker: transactional batches through {@code /batches}, markers
 * through {@code writeTxnMarkers} (the coordinator's call), read_committed and read_uncommitted fetches.
 */
class TransactionsHttpTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final TopicPartition TP = new TopicPartition("tx", 0);
  private static final RequestContext BROKER = RequestContext.internal(1);

  @TempDir
  Path dataDir;
  private Broker broker;
  private WebClient client;

  @BeforeEach
  void startBroker() throws Exception {
    // The partition side alone: its transactions are opened by batches no coordinator added (KIP-890's check off).
    BrokerConfig config = TestBrokers.config(dataDir, Map.of(BrokerConfig.MIN_INSYNC_REPLICAS, 1,
        BrokerConfig.TRANSACTION_PARTITION_VERIFICATION_ENABLE, false));
    broker = Broker.builder(config).vertxOptions(BlockedThreadGuard::testOptions)
        .listener(HttpListener::new).start().await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(broker.vertx());
    client = io.sluice.broker.testing.TestClients.web(broker.httpPort());
    HttpResponse<Buffer> created = await(client.post("/topics").sendJsonObject(new JsonObject().put("name", "tx")
        .put("partitions", 1)));
    assertThat(created.statusCode()).isEqualTo(201);
  }

  @AfterEach
  void stopBroker() throws Exception {
    client.close();
    TestBrokers.close(broker);
  }

  private <T> T await(Future<T> f) throws Exception {
    return f.await(20, TimeUnit.SECONDS);
  }

  private static ByteBuffer batch(long pid, int seq, boolean transactional, String... values) {
    RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE).producer(pid, (short) 0, seq);
    if (transactional) {
      b.transactional();
    }
    for (String v : values) {
      b.append(System.currentTimeMillis(), null, ("\"" + v + "\"").getBytes(), null);
    }
    return b.build();
  }

  private void post(ByteBuffer batch) throws Exception {
    byte[] bytes = new byte[batch.remaining()];
    batch.get(bytes);
    HttpResponse<Buffer> r = await(client.post("/topics/tx/partitions/0/batches")
        .putHeader("Content-Type", MediaTypes.SLUICE_BATCH).sendBuffer(Buffer.buffer(bytes)));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
  }

  private Map<TopicPartition, ErrorCode> marker(long pid, boolean commit) throws Exception {
    return await(broker.services().broker().writeTxnMarkers(BROKER, new TxnMarker(pid, (short) 0, 0, commit,
        List.of(TP))));
  }

  private List<String> values(String query) throws Exception {
    HttpResponse<Buffer> r = await(client.get("/topics/tx/partitions/0/records?offset=0&" + query)
        .putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    JsonArray records = r.bodyAsJsonArray();
    return records.stream().map(o -> ((JsonObject) o).getString("value")).toList();
  }

  @Test
  void readCommittedHidesAnAbortedTransactionAndStopsBeforeAnOngoingOne() throws Exception {
    post(batch(1, 0, false, "plain"));
    post(batch(10, 0, true, "aborted-1", "aborted-2"));
    post(batch(20, 0, true, "committed"));
    assertThat(marker(10, false)).isEmpty();
    assertThat(marker(20, true)).isEmpty();
    post(batch(30, 0, true, "ongoing"));

    assertThat(values("isolation_level=read_uncommitted"))
        .containsExactly("plain", "aborted-1", "aborted-2", "committed", "ongoing");
    assertThat(values("")).containsExactly("plain", "aborted-1", "aborted-2", "committed", "ongoing");
    assertThat(values("isolation_level=read_committed")).containsExactly("plain", "committed");

    JsonObject offsets = await(client.get("/topics/tx/partitions/0/offsets").send()).bodyAsJsonObject();
    assertThat(offsets.getLong("end_offset")).isEqualTo(7);
    assertThat(offsets.getLong("last_stable_offset")).isEqualTo(6);

    HttpResponse<Buffer> raw = await(client.get("/topics/tx/partitions/0/records?offset=0"
        + "&isolation_level=read_committed").putHeader("Accept", MediaTypes.SLUICE_BATCH).send());
    assertThat(raw.getHeader(FetchEndpoint.LAST_STABLE_OFFSET)).isEqualTo("6");
    assertThat(raw.getHeader(FetchEndpoint.ABORTED_TRANSACTIONS)).isEqualTo("10:1");
    assertThat(raw.getHeader(FetchEndpoint.NEXT_OFFSET)).isEqualTo("6");
  }

  @Test
  void aHangingTransactionIsFoundByDescribeProducersAndAnOperatorsAbortLetsTheStableOffsetAdvance() throws Exception {
    post(batch(1, 0, false, "plain"));
    post(batch(40, 0, true, "hanging")); // no coordinator knows it: nothing will ever end it
    post(batch(1, 1, false, "after"));
    assertThat(lastStableOffset()).isEqualTo(1);

    JsonObject described = await(client.get("/topics/tx/partitions/0/producers").send()).bodyAsJsonObject();
    assertThat(described.getInteger("partition")).isZero();
    JsonObject hanging = described.getJsonArray("producers").stream().map(JsonObject.class::cast)
        .filter(p -> p.getLong("producer_id") == 40).findFirst().orElseThrow();
    assertThat(hanging.getLong("current_transaction_start_offset")).isEqualTo(1);
    assertThat(hanging.getInteger("producer_epoch")).isZero();
    assertThat(hanging.getLong("last_sequence")).isZero();
    assertThat(hanging.getInteger("coordinator_epoch")).as("no marker of it yet").isEqualTo(-1);
    JsonObject plain = described.getJsonArray("producers").stream().map(JsonObject.class::cast)
        .filter(p -> p.getLong("producer_id") == 1).findFirst().orElseThrow();
    assertThat(plain.getLong("current_transaction_start_offset")).isEqualTo(-1);
    assertThat(plain.getLong("last_sequence")).isEqualTo(1);

    HttpResponse<Buffer> aborted = await(client.post("/topics/tx/partitions/0/abort-transaction")
        .sendJsonObject(new JsonObject().put("producer_id", 40).put("producer_epoch", 0).put("coordinator_epoch", 3)));

    assertThat(aborted.statusCode()).as(aborted.bodyAsString()).isEqualTo(204);
    JsonObject after = await(client.get("/topics/tx/partitions/0/producers").send()).bodyAsJsonObject()
        .getJsonArray("producers").stream().map(JsonObject.class::cast).filter(p -> p.getLong("producer_id") == 40)
        .findFirst().orElseThrow();
    assertThat(after.getInteger("coordinator_epoch")).as("its last marker's").isEqualTo(3);
    assertThat(lastStableOffset()).isEqualTo(4);
    assertThat(values("isolation_level=read_committed")).containsExactly("plain", "after");
  }

  @Test
  void anAbortOfAnOlderEpochThanThePartitionsIsRefusedAndBadRequestsAreNamed() throws Exception {
    post(batch(50, 0, true, "fenced"));
    assertThat(await(broker.services().broker().writeTxnMarkers(BROKER, new TxnMarker(50, (short) 1, 0, false,
        List.of(TP))))).isEmpty();

    HttpResponse<Buffer> stale = await(client.post("/topics/tx/partitions/0/abort-transaction")
        .sendJsonObject(new JsonObject().put("producer_id", 50).put("producer_epoch", 0)));
    assertThat(stale.statusCode()).as(stale.bodyAsString()).isEqualTo(409);
    assertThat(stale.bodyAsJsonObject().getInteger("error_code")).isEqualTo(ErrorCode.INVALID_PRODUCER_EPOCH.code());

    HttpResponse<Buffer> unknownField = await(client.post("/topics/tx/partitions/0/abort-transaction")
        .sendJsonObject(new JsonObject().put("producer_id", 50).put("producer_epoch", 1).put("epoch", 1)));
    assertThat(unknownField.statusCode()).as(unknownField.bodyAsString()).isEqualTo(400);
    HttpResponse<Buffer> noPartition = await(client.get("/topics/tx/partitions/7/producers").send());
    assertThat(noPartition.statusCode()).as(noPartition.bodyAsString()).isEqualTo(404);
  }

  private long lastStableOffset() throws Exception {
    return await(client.get("/topics/tx/partitions/0/offsets").send()).bodyAsJsonObject().getLong("last_stable_offset");
  }

  @Test
  void aReadCommittedLongPollWaitsForTheOngoingTransactionToEnd() throws Exception {
    post(batch(30, 0, true, "ongoing"));
    Future<HttpResponse<Buffer>> waiting = client.get("/topics/tx/partitions/0/records?offset=0&timeout=20000"
        + "&isolation_level=read_committed").putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send();
    post(batch(1, 0, false, "plain")); // committed data behind the transaction: still not stable
    assertThat(values("isolation_level=read_committed&timeout=0")).isEmpty();
    assertThat(waiting.isComplete()).isFalse();
    assertThat(marker(30, true)).isEmpty();
    HttpResponse<Buffer> woken = await(waiting);
    assertThat(woken.bodyAsJsonArray().stream().map(o -> ((JsonObject) o).getString("value")))
        .containsExactly("ongoing", "plain");
  }

  @Test
  void markersAreRefusedToClientsAndFromProduceRequests() throws Exception {
    RequestContext client = RequestContext.anonymous("http", "127.0.0.1:1", "");
    Throwable refused = broker.services().broker().writeTxnMarkers(client, new TxnMarker(1, (short) 0, 0, true,
        List.of(TP))).transform(ar -> Future.succeededFuture(ar.cause())).await(20, TimeUnit.SECONDS);
    assertThat(refused).hasMessageContaining("Only a broker");
    ByteBuffer control = io.sluice.record.ControlRecords.marker(1, (short) 0, 0, true, 1_000);
    byte[] bytes = new byte[control.remaining()];
    control.get(bytes);
    HttpResponse<Buffer> r = await(this.client.post("/topics/tx/partitions/0/batches")
        .putHeader("Content-Type", MediaTypes.SLUICE_BATCH).sendBuffer(Buffer.buffer(bytes)));
    assertThat(r.statusCode()).isEqualTo(422);
    assertThat(r.bodyAsJsonObject().getInteger("error_code")).isEqualTo(87);
  }

  @Test
  void aMarkerForAnUnknownPartitionIsAnsweredWithItsError() throws Exception {
    TopicPartition missing = new TopicPartition("tx", 5);
    Map<TopicPartition, ErrorCode> failed = await(broker.services().broker().writeTxnMarkers(BROKER,
        new TxnMarker(1, (short) 0, 0, true, List.of(TP, missing))));
    assertThat(failed).containsExactly(Map.entry(missing, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  }

  @Test
  void aBadIsolationLevelIsRefused() throws Exception {
    HttpResponse<Buffer> r = await(client.get("/topics/tx/partitions/0/records?offset=0&isolation_level=2")
        .putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send());
    assertThat(r.statusCode()).isEqualTo(400);
  }
}
