package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.record.CompressionType;
import io.sluice.record.Partitioner;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatchBuilder;
import io.sluice.record.RecordBatches;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
 * The HTTP API wired to a real broker (embedded ZooKeeper, clustered Vert.x, partition verticles, segment files):
 * what the endpoint tests prove over a broker double, proven again end to end.
 */
class BrokerHttpApiTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dataDir;
  private Broker broker;
  private WebClient client;

  @BeforeEach
  void startBroker() throws Exception {
    broker = startBroker(Map.of(BrokerConfig.MIN_INSYNC_REPLICAS, 1));
  }

  private Broker startBroker(Map<String, ?> extra) throws Exception {
    BrokerConfig config = TestBrokers.config(dataDir, extra);
    Broker b = Broker.builder(config).vertxOptions(BlockedThreadGuard::testOptions)
        .listener(HttpListener::new).start().await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(b.vertx());
    client = io.sluice.broker.testing.TestClients.web(b.httpPort());
    return b;
  }

  @AfterEach
  void stopBroker() throws Exception {
    client.close();
    TestBrokers.close(broker);
  }

  private <T> T await(Future<T> f) throws Exception {
    return f.await(20, TimeUnit.SECONDS);
  }

  private HttpResponse<Buffer> createTopic(String name, int partitions) throws Exception {
    return await(client.post("/topics").sendJsonObject(new JsonObject().put("name", name)
        .put("partitions", partitions)));
  }

  private HttpResponse<Buffer> produceJson(String path, JsonArray records) throws Exception {
    return await(client.post(path).putHeader("Content-Type", MediaTypes.KAFKA_JSON_V2)
        .sendBuffer(new JsonObject().put("records", records).toBuffer()));
  }

  private JsonArray fetchJson(String topic, int partition, String query) throws Exception {
    HttpResponse<Buffer> r = await(client.get("/topics/" + topic + "/partitions/" + partition + "/records?" + query)
        .putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonArray();
  }

  @Test
  void keyedJsonRecordsLandWhereKafkaWouldPutThemAndReadBack() throws Exception {
    assertThat(createTopic("orders", 3).statusCode()).isEqualTo(201);
    HttpResponse<Buffer> produced = produceJson("/topics/orders", new JsonArray()
        .add(new JsonObject().put("key", "alice").put("value", new JsonObject().put("qty", 1)))
        .add(new JsonObject().put("key", "bob").put("value", "pen")));
    assertThat(produced.statusCode()).as(produced.bodyAsString()).isEqualTo(200);

    JsonArray offsets = produced.bodyAsJsonObject().getJsonArray("offsets");
    int alice = Partitioner.partitionForKey("\"alice\"".getBytes(StandardCharsets.UTF_8), 3);
    assertThat(offsets.getJsonObject(0).getInteger("partition")).isEqualTo(alice);
    JsonObject record = fetchJson("orders", alice, "offset=0").getJsonObject(0);
    assertThat(record.getString("key")).isEqualTo("alice");
    assertThat(record.getJsonObject("value")).isEqualTo(new JsonObject().put("qty", 1));
  }

  @Test
  void longPollIsAnsweredByTheNextAppend() throws Exception {
    createTopic("t", 1);
    Future<HttpResponse<Buffer>> waiting = client.get("/topics/t/partitions/0/records?offset=0&timeout=20000")
        .putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send();
    produceJson("/topics/t/partitions/0", new JsonArray().add(new JsonObject().put("value", "wake")));
    HttpResponse<Buffer> woken = await(waiting);
    assertThat(woken.bodyAsJsonArray().getJsonObject(0).getString("value")).isEqualTo("wake");
  }

  @Test
  void longPollTimesOutEmpty() throws Exception {
    createTopic("t", 1);
    assertThat(fetchJson("t", 0, "offset=0&timeout=50")).isEmpty();
  }

  @Test
  void rawBatchesRoundTripThroughSegmentFiles() throws Exception {
    createTopic("raw", 1);
    ByteBuffer batch = new RecordBatchBuilder(CompressionType.GZIP)
        .append(1_000L, null, "a".getBytes(StandardCharsets.UTF_8), List.of())
        .append(1_001L, null, "b".getBytes(StandardCharsets.UTF_8), List.of()).build();
    byte[] body = new byte[batch.remaining()];
    batch.duplicate().get(body);
    HttpResponse<Buffer> posted = await(client.post("/topics/raw/partitions/0/batches")
        .putHeader("Content-Type", MediaTypes.SLUICE_BATCH).sendBuffer(Buffer.buffer(body)));
    assertThat(posted.statusCode()).as(posted.bodyAsString()).isEqualTo(200);

    HttpResponse<Buffer> fetched = await(client.get("/topics/raw/partitions/0/records?offset=0")
        .putHeader("Accept", MediaTypes.SLUICE_BATCH).send());
    List<RecordBatch> batches = RecordBatches.split(ByteBuffer.wrap(fetched.body().getBytes()));
    assertThat(batches).hasSize(1);
    batches.get(0).ensureValid();
    assertThat(batches.get(0).records()).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
        .containsExactly("a", "b");
    assertThat(fetched.getHeader(FetchEndpoint.HIGH_WATERMARK)).isEqualTo("2");
  }

  @Test
  void offsetsAndTimestampLookupReflectTheLog() throws Exception {
    createTopic("t", 1);
    produceJson("/topics/t/partitions/0", new JsonArray()
        .add(new JsonObject().put("value", 1).put("timestamp", 1_000))
        .add(new JsonObject().put("value", 2).put("timestamp", 2_000)));
    JsonObject range = await(client.get("/topics/t/partitions/0/offsets").send()).bodyAsJsonObject();
    assertThat(range).isEqualTo(new JsonObject().put("beginning_offset", 0).put("end_offset", 2)
        .put("last_stable_offset", 2));
    JsonObject at = await(client.get("/topics/t/partitions/0/offsets?timestamp=1500").send()).bodyAsJsonObject();
    assertThat(at.getLong("offset")).isEqualTo(1L);
  }

  @Test
  void clientMistakesGetStableErrorsAndTheBrokerStaysHealthy() throws Exception {
    createTopic("t", 1);
    assertThat(await(client.get("/topics/missing/partitions/0/records?offset=0").send()).statusCode()).isEqualTo(404);
    HttpResponse<Buffer> outOfRange = await(client.get("/topics/t/partitions/0/records?offset=7")
        .putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send());
    assertThat(outOfRange.statusCode()).isEqualTo(416);
    assertThat(outOfRange.bodyAsJsonObject().getInteger("error_code")).isEqualTo(1);
    HttpResponse<Buffer> corrupt = await(client.post("/topics/t/partitions/0/batches")
        .putHeader("Content-Type", MediaTypes.SLUICE_BATCH).sendBuffer(Buffer.buffer(new byte[80])));
    assertThat(corrupt.statusCode()).isEqualTo(422);
    assertThat(createTopic("t", 1).statusCode()).isEqualTo(409);
    assertThat(await(client.get("/health").send()).statusCode()).isEqualTo(200);
  }

  @Test
  void aTopicWhoseReplicationFactorIsBelowMinInsyncReplicasIsRefused() throws Exception {
    // no acks=all write could ever succeed on it (NOT_ENOUGH_REPLICAS on a live cluster: ClusterIT)
    HttpResponse<Buffer> refused = await(client.post("/topics").sendJsonObject(new JsonObject().put("name", "strict")
        .put("partitions", 1).put("replication_factor", 1)
        .put("configs", new JsonObject().put("min.insync.replicas", "2"))));
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.bodyAsJsonObject().getInteger("error_code")).isEqualTo(38);
    assertThat(refused.bodyAsJsonObject().getString("message")).contains("min.insync.replicas");
    assertThat(await(client.get("/topics/strict").send()).statusCode()).isEqualTo(404);
  }

  @Test
  void recordsSurviveACleanRestart() throws Exception {
    createTopic("t", 1);
    produceJson("/topics/t/partitions/0", new JsonArray().add(new JsonObject().put("value", "kept")));
    client.close();
    TestBrokers.close(broker);
    broker = startBroker(Map.of());
    assertThat(fetchJson("t", 0, "offset=0").getJsonObject(0).getString("value")).isEqualTo("kept");
  }
}
