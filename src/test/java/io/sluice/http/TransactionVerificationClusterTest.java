package io.sluice.http;

import static io.sluice.http.TransactionsApiClusterTest.await;
import static io.sluice.http.TransactionsApiClusterTest.idIn;
import static io.sluice.http.TransactionsApiClusterTest.json;
import static io.sluice.http.TransactionsApiClusterTest.post;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicMetadata;
import io.sluice.api.TopicPartition;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.client.Producer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.config.BrokerConfig;
import io.sluice.group.OffsetsTopic;
import io.sluice.record.CompressionType;
import io.sluice.record.RecordBatchBuilder;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * KIP-890 part 1: a partition's leader appends the first transactional batch of a producer's transaction only once
 * the transactional id's coordinator (here always the other broker) confirms the partition was added to that
 * ongoing transaction; a stray or late batch is refused INVALID_TXN_STATE (48) and opens nothing, so it cannot pin
 * the last stable offset. {@code transaction.partition.verification.enable=false} appends it as before.
 */
@Tag("several-brokers")
class TransactionVerificationClusterTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dir;
  private InProcessCluster cluster;
  /** A partition of "t" and a transactional id whose coordinator is not the partition's leader. */
  private TopicPartition tp;
  private String id;
  private WebClient leaderWeb;

  @AfterEach
  void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private void start(boolean verification) throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).withHttp().set(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 2)
        .set(BrokerConfig.TRANSACTION_PARTITION_VERIFICATION_ENABLE, verification).start(2);
    await(cluster.broker(1).services().broker().createTopic(RequestContext.internal(1),
        new NewTopic("t", 2, (short) 1, Map.of())));
    // Creates the offsets topic, so its leaders are known.
    json(post(cluster.web(1), "/producers", new JsonObject().put("transactional_id", "warm-up")), 200);
    for (int p = 0; p < 2 && tp == null; p++) {
      int leader = leaderOf("t", p);
      for (int k = 0; k < 2 && tp == null; k++) {
        if (leaderOf(OffsetsTopic.NAME, k) != leader) {
          tp = new TopicPartition("t", p);
          id = idIn(k);
          leaderWeb = cluster.web(leader);
        }
      }
    }
    assertThat(tp).as("a partition whose leader does not coordinate some transactional id").isNotNull();
  }

  @Test
  void aTransactionalBatchForAPartitionNotAddedIsRefusedAndOpensNothing() throws Exception {
    start(true);
    JsonObject producer = json(post(leaderWeb, "/producers", new JsonObject().put("transactional_id", id)), 200);

    HttpResponse<Buffer> stray = postBatch(txnBatch(producer, 0), id);
    assertError(stray, 409, 48);
    assertError(postBatch(txnBatch(producer, 0), null), 409, 48); // no transactional id: nothing to verify with
    HttpResponse<Buffer> many = postSections(txnBatch(producer, 0), id);
    assertThat(many.statusCode()).isEqualTo(200);
    assertThat(many.bodyAsJsonObject().getJsonArray("partitions").getJsonObject(0).getInteger("error_code"))
        .isEqualTo(48);

    assertThat(json(await(leaderWeb.get(partitionPath() + "/producers").send()), 200).getJsonArray("producers"))
        .isEmpty();
    assertThat(postBatch(plainBatch(), null).statusCode()).isEqualTo(200);
    JsonObject offsets = json(await(leaderWeb.get(partitionPath() + "/offsets").send()), 200);
    assertThat(offsets.getLong("end_offset")).isEqualTo(1);
    assertThat(offsets.getLong("last_stable_offset")).as("no transaction pins the LSO").isEqualTo(1);
  }

  @Test
  void aBatchAfterItsTransactionEndedIsRefused() throws Exception {
    start(true);
    JsonObject producer = json(post(leaderWeb, "/producers", new JsonObject().put("transactional_id", id)), 200);
    addPartition(producer);
    assertThat(postBatch(txnBatch(producer, 0), id).statusCode()).isEqualTo(200);
    assertThat(postBatch(txnBatch(producer, 1), id).statusCode()).as("the same transaction").isEqualTo(200);
    assertThat(post(leaderWeb, "/transactions/" + enc(id) + "/commit", producer).statusCode()).isEqualTo(204);

    assertError(postBatch(txnBatch(producer, 2), id), 409, 48); // a late retry: its transaction is over

    JsonObject offsets = json(await(leaderWeb.get(partitionPath() + "/offsets").send()), 200);
    assertThat(offsets.getLong("end_offset")).isEqualTo(3); // two batches and the COMMIT marker
    assertThat(offsets.getLong("last_stable_offset")).isEqualTo(3);
    // The next transaction asks again, and is let in once the partition is added.
    addPartition(producer);
    assertThat(postBatch(txnBatch(producer, 2), id).statusCode()).isEqualTo(200);
  }

  /**
   * KIP-890 part 2: an end of transaction version 2 bumps the epoch and its marker carries the new one, so the
   * ended transaction's late retry is refused INVALID_PRODUCER_EPOCH (47) even once the next transaction added the
   * partition (above, at version 1, it would join that one), and the next transaction starts at sequence 0.
   */
  @Test
  void afterAnEndOfVersion2ALateBatchOfTheOldEpochIsRefusedAndTheNextTransactionIsClean() throws Exception {
    start(true);
    JsonObject producer = json(post(leaderWeb, "/producers", new JsonObject().put("transactional_id", id)), 200);
    addPartition(producer);
    assertThat(postBatch(txnBatch(producer, 0), id).statusCode()).isEqualTo(200);

    JsonObject next = json(post(leaderWeb, "/transactions/" + enc(id) + "/commit", producer.copy()
        .put("transaction_version", 2)), 200);
    assertThat(next.getLong("producer_id")).isEqualTo(producer.getLong("producer_id"));
    assertThat(next.getInteger("producer_epoch")).isEqualTo(producer.getInteger("producer_epoch") + 1);
    JsonObject retried = json(post(leaderWeb, "/transactions/" + enc(id) + "/commit", producer.copy()
        .put("transaction_version", 2)), 200);
    assertThat(retried).as("a retry of the end gets the same answer").isEqualTo(next);

    addPartition(next);
    assertError(postBatch(txnBatch(producer, 1), id), 409, 47);
    assertThat(postBatch(txnBatch(next, 0), id).statusCode()).isEqualTo(200);
    assertThat(json(post(leaderWeb, "/transactions/" + enc(id) + "/abort", next.copy()
        .put("transaction_version", 2)), 200).getInteger("producer_epoch")).isEqualTo(next.getInteger("producer_epoch") + 1);

    JsonObject offsets = json(await(leaderWeb.get(partitionPath() + "/offsets").send()), 200);
    assertThat(offsets.getLong("end_offset")).isEqualTo(4); // a batch and its COMMIT, a batch and its ABORT
    assertThat(offsets.getLong("last_stable_offset")).isEqualTo(4);
    HttpResponse<Buffer> committed = await(leaderWeb.get(partitionPath() + "/records?offset=0&isolation_level="
        + "read_committed").putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send());
    assertThat(committed.statusCode()).as(committed.bodyAsString()).isEqualTo(200);
    assertThat(committed.bodyAsJsonArray().stream().map(o -> ((JsonObject) o).getString("value")).toList())
        .as("the committed batch only: the late one was refused, the next transaction aborted").containsExactly("v0");
  }

  @Test
  void theJavaClientsTransactionsPassWithTheCoordinatorOnTheOtherBroker() throws Exception {
    start(true);
    Producer producer = cluster.client(1).producer(ProducerOptions.defaults().transactionalId(id).lingerMs(0));
    producer.initTransactions().await().atMost(WAIT);
    for (int i = 0; i < 2; i++) {
      producer.beginTransaction();
      producer.send(ProducerRecord.of("t", "k", "v" + i).withPartition(tp.partition())).await().atMost(WAIT);
      producer.send(ProducerRecord.of("t", "k", "w" + i).withPartition(tp.partition())).await().atMost(WAIT);
      producer.commitTransaction().await().atMost(WAIT);
    }
    JsonObject offsets = json(await(leaderWeb.get(partitionPath() + "/offsets").send()), 200);
    assertThat(offsets.getLong("end_offset")).isEqualTo(6); // 2 x (two records and a COMMIT marker)
    assertThat(offsets.getLong("last_stable_offset")).isEqualTo(6);
  }

  @Test
  void withVerificationOffAStrayBatchOpensATransactionAsBefore() throws Exception {
    start(false);
    JsonObject producer = json(post(leaderWeb, "/producers", new JsonObject().put("transactional_id", id)), 200);

    assertThat(postBatch(txnBatch(producer, 0), null).statusCode()).isEqualTo(200);

    JsonObject offsets = json(await(leaderWeb.get(partitionPath() + "/offsets").send()), 200);
    assertThat(offsets.getLong("end_offset")).isEqualTo(1);
    assertThat(offsets.getLong("last_stable_offset")).as("a hanging transaction").isZero();
  }

  private void addPartition(JsonObject producer) throws Exception {
    HttpResponse<Buffer> added = post(leaderWeb, "/transactions/" + enc(id) + "/partitions", producer.copy()
        .put("partitions", new JsonArray().add(new JsonObject().put("topic", tp.topic())
            .put("partition", tp.partition()))));
    assertThat(added.statusCode()).as(added.bodyAsString()).isEqualTo(204);
  }

  private String partitionPath() {
    return "/topics/" + tp.topic() + "/partitions/" + tp.partition();
  }

  private static ByteBuffer txnBatch(JsonObject producer, int seq) {
    return new RecordBatchBuilder(CompressionType.NONE).producer(producer.getLong("producer_id"),
        producer.getInteger("producer_epoch").shortValue(), seq).transactional()
        .append(1_000, null, ("v" + seq).getBytes(), null).build();
  }

  private static ByteBuffer plainBatch() {
    return new RecordBatchBuilder(CompressionType.NONE).append(1_000, null, "plain".getBytes(), null).build();
  }

  private HttpResponse<Buffer> postBatch(ByteBuffer batch, String transactionalId) throws Exception {
    String query = transactionalId == null ? "" : "?transactional_id=" + enc(transactionalId);
    return await(leaderWeb.post(partitionPath() + "/batches" + query)
        .putHeader("Content-Type", MediaTypes.SLUICE_BATCH).sendBuffer(Buffer.buffer(bytes(batch))));
  }

  /** The multi-partition path, {@code POST /batches}, with one section. */
  private HttpResponse<Buffer> postSections(ByteBuffer batch, String transactionalId) throws Exception {
    byte[] bytes = bytes(batch);
    Buffer body = Buffer.buffer().appendBytes(io.sluice.record.PartitionSections.produceHeader(tp.topic(),
        tp.partition(), bytes.length)).appendBytes(bytes);
    return await(leaderWeb.post("/batches?transactional_id=" + enc(transactionalId))
        .putHeader("Content-Type", MediaTypes.SLUICE_PARTITION_BATCHES).sendBuffer(body));
  }

  private static byte[] bytes(ByteBuffer batch) {
    byte[] bytes = new byte[batch.remaining()];
    batch.duplicate().get(bytes);
    return bytes;
  }

  private int leaderOf(String topic, int partition) throws Exception {
    TopicMetadata m = await(cluster.broker(1).services().broker().describeTopic(RequestContext.internal(1), topic));
    return m.partitions().stream().filter(p -> p.partition() == partition).findFirst().orElseThrow().leader();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static void assertError(HttpResponse<Buffer> r, int status, int code) {
    assertThat(json(r, status).getInteger("error_code")).isEqualTo(code);
  }
}
