package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBatches;
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
 * Over HTTP, on a real broker: an idempotent producer's request that reaches the leader before the one it follows
 * (they travel on different connections) is held and written after it, answered 200 with its offsets, and nothing
 * acknowledged is missing from the log or written twice.
 */
class ReorderedProduceTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final long PID = 77;

  @TempDir
  Path dataDir;
  private Broker broker;
  private WebClient client;

  @BeforeEach
  void startBroker() throws Exception {
    // a hold far longer than the test, so no answer here depends on when a hold ends
    BrokerConfig config = TestBrokers.config(dataDir, Map.of(BrokerConfig.MIN_INSYNC_REPLICAS, 1,
        BrokerConfig.PRODUCER_REORDER_HOLD_MS, 120_000L));
    broker = Broker.builder(config).vertxOptions(BlockedThreadGuard::testOptions)
        .listener(HttpListener::new).start().await(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS);
    GUARD.watch(broker.vertx());
    client = io.sluice.broker.testing.TestClients.web(broker.httpPort());
    HttpResponse<Buffer> created = await(client.post("/topics").sendJsonObject(new JsonObject().put("name", "t")
        .put("partitions", 2)));
    assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
  }

  @AfterEach
  void stopBroker() throws Exception {
    client.close();
    TestBrokers.close(broker);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  private static ByteBuffer batch(int baseSequence, int records) {
    RecordBatchBuilder b = new RecordBatchBuilder(CompressionType.NONE).producer(PID, (short) 0, baseSequence);
    for (int i = 0; i < records; i++) {
      b.append(1_000, null, ("s" + (baseSequence + i)).getBytes(StandardCharsets.UTF_8), List.of());
    }
    return b.build();
  }

  /** A {@code POST /batches} (the Java client's request) carrying {@code batches} for partition {@code p}. */
  private Future<HttpResponse<Buffer>> post(int p, ByteBuffer... batches) {
    return client.post(PartitionBatchesEndpoint.PATH).putHeader("Content-Type", MediaTypes.SLUICE_PARTITION_BATCHES)
        .sendBuffer(PartitionBatchesEndpointTest.section("t", p, batches));
  }

  private static JsonObject entry(HttpResponse<Buffer> r) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return r.bodyAsJsonObject().getJsonArray("partitions").getJsonObject(0);
  }

  private static List<Long> offsets(HttpResponse<Buffer> r) {
    JsonObject e = entry(r);
    assertThat(e.containsKey("error_code")).as(e.encode()).isFalse();
    return e.getJsonArray("offsets").stream().map(o -> ((JsonObject) o).getLong("offset")).toList();
  }

  private List<String> log(int p) throws Exception {
    HttpResponse<Buffer> r = await(client.get("/topics/t/partitions/" + p + "/records?offset=0")
        .putHeader("Accept", MediaTypes.SLUICE_BATCH).send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    return TestBatches.offsetsAndValues(ByteBuffer.wrap(r.body().getBytes()));
  }

  @Test
  void aRequestThatOvertakesTheOneItFollowsIsAnsweredAfterItAndNothingIsLostOrDoubled() throws Exception {
    Future<HttpResponse<Buffer>> later = post(0, batch(3, 2), batch(5, 1));
    Future<HttpResponse<Buffer>> resent = post(0, batch(3, 2), batch(5, 1));
    Future<HttpResponse<Buffer>> earlier = post(0, batch(0, 3));

    assertThat(offsets(await(earlier))).containsExactly(0L);
    assertThat(offsets(await(later))).containsExactly(3L, 5L);
    assertThat(offsets(await(resent))).as("a resend of what was held: the original offsets").containsExactly(3L, 5L);
    assertThat(log(0)).containsExactly("0=s0", "1=s1", "2=s2", "3=s3", "4=s4", "5=s5");
  }

  @Test
  void aHeldRequestLeavesOtherPartitionsAndProducersFreeAndATooOldRetryIsRefusedAtOnce() throws Exception {
    Future<HttpResponse<Buffer>> ahead = post(0, batch(1, 1));
    assertThat(offsets(await(post(1, batch(0, 1))))).as("another partition of the same producer").containsExactly(0L);
    HttpResponse<Buffer> plain = await(client.post("/topics/t/partitions/0/batches")
        .putHeader("Content-Type", MediaTypes.SLUICE_BATCH).sendBuffer(Buffer.buffer(bytes(TestBatches.batch("x")))));
    assertThat(plain.statusCode()).as("a batch without producer id, same partition").isEqualTo(200);
    assertThat(ahead.isComplete()).isFalse();

    assertThat(offsets(await(post(0, batch(0, 1))))).containsExactly(1L);
    assertThat(offsets(await(ahead))).containsExactly(2L);
    for (int seq = 2; seq < 7; seq++) {
      assertThat(offsets(await(post(0, batch(seq, 1))))).containsExactly(seq + 1L);
    }
    JsonObject tooOld = entry(await(post(0, batch(0, 1))));
    assertThat(tooOld.getInteger("error_code")).as(tooOld.encode())
        .isEqualTo(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER.code());
    assertThat(log(0)).hasSize(8);
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
