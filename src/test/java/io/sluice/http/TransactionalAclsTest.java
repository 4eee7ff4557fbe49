package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.api.acl.AclBinding;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.AclPermission;
import io.sluice.api.acl.PatternType;
import io.sluice.api.acl.ResourceType;
import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.broker.testing.TestClients;
import io.sluice.client.ClientOptions;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.CompressionType;
import io.sluice.record.PartitionSections;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's TransactionalId Write on the produce paths, with {@code authorizer.enable} on a real broker (KIP-890's
 * verification on, as by default): a request of transactional batches needs Write on the transactional id it names
 * and is refused TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53) when it names none; an idempotent producer's batches need
 * Topic Write only. The test client is {@code User:ANONYMOUS} from 127.0.0.1, allowed only what an ACL says (and
 * Cluster Alter, to change the ACLs).
 */
class TransactionalAclsTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  static Path dataDir;
  private static Broker broker;
  private static WebClient client;

  @BeforeAll
  static void startBroker() throws Exception {
    broker = TestBrokers.start(TestBrokers.config(dataDir, Map.of(BrokerConfig.AUTHORIZER_ENABLE, true,
        BrokerConfig.CONNECT_ENABLED, false, BrokerConfig.STREAMS_ENABLED, false)), GUARD, HttpListener::new);
    client = TestClients.web(broker.httpPort());
    // by the broker itself: the client may change ACLs only once it has Cluster Alter
    await(broker.services().broker().createAcls(RequestContext.internal(1), List.of(new AclBinding(
        ResourceType.CLUSTER, ResourceType.CLUSTER_NAME, PatternType.LITERAL, "User:ANONYMOUS", "127.0.0.1",
        AclOperation.ALTER, AclPermission.ALLOW))));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    client.close();
    TestBrokers.close(broker);
  }

  @Test
  void transactionalBatchesNeedWriteOnTheTransactionalIdTheyNameOnBothBinaryPaths() throws Exception {
    topic("txw");
    grant("TOPIC", "txw", "WRITE");
    grant("TRANSACTIONAL_ID", "txw-ok", "WRITE");
    JsonObject producer = json(post("/producers", new JsonObject().put("transactional_id", "txw-ok")), 200);
    json(post("/transactions/txw-ok/partitions", producer.copy().put("partitions", new JsonArray()
        .add(new JsonObject().put("topic", "txw").put("partition", 0)))), 204);

    assertError(postBatch(txnBatch(producer, 0), null), 53, "named none");
    assertError(postBatch(txnBatch(producer, 0), "txw-other"), 53, "Write transactional_id 'txw-other'");
    JsonObject refused = json(postSections(txnBatch(producer, 0), "txw-other"), 200).getJsonArray("partitions")
        .getJsonObject(0);
    assertThat(refused.getInteger("error_code")).as(refused.encode()).isEqualTo(53);
    json(postBatch(txnBatch(producer, 0), "txw-ok"), 200);
    json(postSections(txnBatch(producer, 1), "txw-ok"), 200);

    // Decided at every request: with the ACL gone the producer's next batch is refused.
    revoke("TRANSACTIONAL_ID", "txw-ok", "WRITE");
    assertError(postBatch(txnBatch(producer, 2), "txw-ok"), 53, "Write transactional_id 'txw-ok'");
  }

  @Test
  void anIdempotentProducersBatchesNeedTopicWriteOnly() throws Exception {
    topic("idem");
    grant("TOPIC", "idem", "WRITE"); // also lets it ask for a producer id (Write on any topic, as Kafka 3.0)
    JsonObject producer = json(post("/producers", new JsonObject()), 200);
    ByteBuffer batch = new RecordBatchBuilder(CompressionType.NONE).producer(producer.getLong("producer_id"),
        producer.getInteger("producer_epoch").shortValue(), 0).append(1_000, null, "v".getBytes(), null).build();
    HttpResponse<Buffer> r = await(client.post("/topics/idem/partitions/0/batches")
        .putHeader("Content-Type", MediaTypes.SLUICE_BATCH).sendBuffer(Buffer.buffer(bytes(batch))));
    json(r, 200);
  }

  /**
   * The Java client surfaces the refusals with their codes: initTransactions fails 53 until Write on the id is granted;
   * a send after it is taken away fails 53, and, as in Kafka, the producer can do nothing more (not even abort, though
   * Write is granted again).
   */
  @Test
  void theJavaClientsTransactionalProducerSurfacesTheRefusalAndStopsForGood() throws Exception {
    topic("txj");
    grant("TOPIC", "txj", "WRITE");
    SluiceClient sluice = SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:" + broker.httpPort()));
    try {
      Producer producer = sluice.producer(ProducerOptions.defaults().transactionalId("txj-1").lingerMs(0));
      assertThatThrownBy(() -> producer.initTransactions().await().atMost(WAIT))
          .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.errorCode())
              .isEqualTo(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
      grant("TRANSACTIONAL_ID", "txj-1", "WRITE");
      producer.initTransactions().await().atMost(WAIT);
      producer.beginTransaction();
      producer.send(ProducerRecord.of("txj", null, "first").withPartition(0)).await().atMost(WAIT);

      revoke("TRANSACTIONAL_ID", "txj-1", "WRITE");
      assertThatThrownBy(() -> producer.send(ProducerRecord.of("txj", null, "second").withPartition(0)).await()
          .atMost(WAIT)).isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.errorCode())
              .isEqualTo(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
      grant("TRANSACTIONAL_ID", "txj-1", "WRITE"); // too late: the producer stopped for good
      assertThatThrownBy(() -> producer.abortTransaction().await().atMost(WAIT))
          .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.errorCode())
              .isEqualTo(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
      assertThatThrownBy(producer::beginTransaction).isInstanceOf(IllegalStateException.class);
    } finally {
      sluice.close().await().atMost(WAIT);
    }
  }

  private static void topic(String name) throws Exception {
    await(broker.services().broker().createTopic(RequestContext.internal(1), new NewTopic(name, 1, (short) 1,
        Map.of())));
  }

  /** Allows User:ANONYMOUS {@code op} on the LITERAL resource from any host. */
  private static void grant(String type, String name, String op) throws Exception {
    HttpResponse<Buffer> r = await(client.post("/acls").sendJsonObject(new JsonObject().put("resource_type", type)
        .put("resource_name", name).put("pattern_type", "LITERAL").put("principal", "User:ANONYMOUS")
        .put("host", "*").put("operation", op).put("permission", "ALLOW")));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
  }

  private static void revoke(String type, String name, String op) throws Exception {
    HttpResponse<Buffer> r = await(client.delete("/acls?resource_type=" + type + "&resource_name=" + name
        + "&operation=" + op).send());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getJsonArray("data")).hasSize(1);
  }

  private static ByteBuffer txnBatch(JsonObject producer, int seq) {
    return new RecordBatchBuilder(CompressionType.NONE).producer(producer.getLong("producer_id"),
        producer.getInteger("producer_epoch").shortValue(), seq).transactional()
        .append(1_000, null, ("v" + seq).getBytes(), null).build();
  }

  private static HttpResponse<Buffer> post(String path, JsonObject body) throws Exception {
    return await(client.post(path).sendJsonObject(body));
  }

  private static HttpResponse<Buffer> postBatch(ByteBuffer batch, String transactionalId) throws Exception {
    String query = transactionalId == null ? "" : "?transactional_id=" + transactionalId;
    return await(client.post("/topics/txw/partitions/0/batches" + query)
        .putHeader("Content-Type", MediaTypes.SLUICE_BATCH).sendBuffer(Buffer.buffer(bytes(batch))));
  }

  /** The multi-partition path, {@code POST /batches}, with one section. */
  private static HttpResponse<Buffer> postSections(ByteBuffer batch, String transactionalId) throws Exception {
    byte[] bytes = bytes(batch);
    Buffer body = Buffer.buffer().appendBytes(PartitionSections.produceHeader("txw", 0, bytes.length))
        .appendBytes(bytes);
    return await(client.post("/batches?transactional_id=" + transactionalId)
        .putHeader("Content-Type", MediaTypes.SLUICE_PARTITION_BATCHES).sendBuffer(body));
  }

  private static byte[] bytes(ByteBuffer batch) {
    byte[] bytes = new byte[batch.remaining()];
    batch.duplicate().get(bytes);
    return bytes;
  }

  private static JsonObject json(HttpResponse<Buffer> r, int status) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    return status == 204 ? new JsonObject() : r.bodyAsJsonObject();
  }

  private static void assertError(HttpResponse<Buffer> r, int code, String messagePart) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(403);
    assertThat(r.bodyAsJsonObject().getInteger("error_code")).as(r.bodyAsString()).isEqualTo(code);
    assertThat(r.bodyAsJsonObject().getString("message")).contains(messagePart);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(60, TimeUnit.SECONDS);
  }
}
