package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestClients;
import io.sluice.record.AbortedBatches;
import io.sluice.record.PartitionSections;
import io.sluice.record.PartitionSections.FetchSection;
import io.sluice.record.Record;
import io.sluice.record.RecordBatch;
import io.sluice.record.RecordBatches;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's isolation.level read_committed at every reader: {@code POST /fetch}, the Java client's partition reader and
 * group consumer, and a REST v2 consumer instance. One partition holds a committed transaction (a1, a2), an aborted
 * one (b1, b2), a plain record (c1) and an open transaction (d1): a read_committed reader sees a1, a2, c1, waits at
 * d1 until it commits, then sees it; a read_uncommitted reader sees every record.
 */
class ReadCommittedTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String KAFKA_V2 = "application/vnd.kafka.v2+json";

  @TempDir
  Path dataDir;
  private BrokerWithClient broker;
  private SluiceClient client;
  private WebClient web;
  private Producer tx;

  @BeforeEach
  void start() throws Exception {
    broker = BrokerWithClient.start(dataDir, GUARD, Map.of("connect.enabled", false, "streams.enabled", false));
    client = broker.client();
    web = TestClients.web(broker.httpPort());
    client.admin().createTopic("orders", 1, 1, Map.of()).await().atMost(WAIT);
    tx = client.producer(ProducerOptions.defaults().transactionalId("orders-tx").lingerMs(0));
    tx.initTransactions().await().atMost(WAIT);
    transaction(true, "a1", "a2");
    transaction(false, "b1", "b2");
    client.producer(ProducerOptions.defaults().lingerMs(0)).send(record("c1")).await().atMost(WAIT);
    tx.beginTransaction();
    tx.send(record("d1")).await().atMost(WAIT); // open until a test commits it
  }

  @AfterEach
  void stop() throws Exception {
    web.close();
    broker.close();
  }

  private static ProducerRecord record(String value) {
    return ProducerRecord.of("orders", null, value).withPartition(0);
  }

  private void transaction(boolean commit, String... values) {
    tx.beginTransaction();
    for (String v : values) {
      tx.send(record(v)).await().atMost(WAIT);
    }
    (commit ? tx.commitTransaction() : tx.abortTransaction()).await().atMost(WAIT);
  }

  private static List<String> values(List<ConsumerRecord> records) {
    return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
  }

  @Test
  void aReadCommittedPartitionReaderSeesCommittedRecordsOnlyAndWaitsAtTheOpenTransaction() {
    AssertSubscriber<ConsumerRecord> sub = client.partitionReader(ReaderOptions.of("orders", 0).fetchMaxWaitMs(200)
            .isolationLevel(ReaderOptions.READ_COMMITTED)).records()
        .subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
    sub.awaitItems(3, WAIT);
    // d1 is in the log, fetched in the same reads as c1 by a reader that ignores the last stable offset.
    assertThat(values(sub.getItems())).containsExactly("a1", "a2", "c1");
    tx.commitTransaction().await().atMost(WAIT);
    sub.awaitItems(4, WAIT);
    assertThat(values(sub.getItems())).containsExactly("a1", "a2", "c1", "d1");
    sub.cancel();
  }

  @Test
  void aReadUncommittedPartitionReaderSeesEveryRecord() {
    List<ConsumerRecord> all = client.partitionReader(ReaderOptions.of("orders", 0).fetchMaxWaitMs(200)).records()
        .select().first(6).collect().asList().await().atMost(WAIT);
    assertThat(values(all)).containsExactly("a1", "a2", "b1", "b2", "c1", "d1");
    assertThat(ReaderOptions.of("orders", 0).isolationLevel()).isEqualTo("read_uncommitted");
  }

  @Test
  void aReadCommittedGroupConsumerSeesCommittedRecordsOnly() {
    GroupConsumer c = client.consumer(ConsumerOptions.of("g-rc", List.of("orders")).fromEarliest(true)
        .fetchMaxWaitMs(200).enableAutoCommit(false).isolationLevel(ReaderOptions.READ_COMMITTED));
    AssertSubscriber<ConsumerRecord> sub = c.records().subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
    sub.awaitItems(3, WAIT);
    assertThat(values(sub.getItems())).containsExactly("a1", "a2", "c1");
    tx.commitTransaction().await().atMost(WAIT);
    sub.awaitItems(4, WAIT);
    assertThat(values(sub.getItems())).containsExactly("a1", "a2", "c1", "d1");
    sub.cancel();
    c.close().await().atMost(WAIT);
  }

  @Test
  void aReadCommittedMultiFetchAnswersVersionOneSectionsWithTheLastStableOffsetAndTheAbortedTransaction()
      throws Exception {
    HttpResponse<Buffer> r = fetch(new JsonObject().put("isolation_level", "read_committed"));
    assertThat(r.getHeader("Sluice-Section-Version")).isEqualTo("1");
    FetchSection s = PartitionSections.parseFetch(ByteBuffer.wrap(r.body().getBytes()), 1).get(0);
    List<RecordBatch> batches = RecordBatches.split(s.batches());
    assertThat(s.lastStableOffset()).isEqualTo(offsetOf(batches, "c1") + 1); // d1's offset: the open transaction's
    assertThat(s.abortedTransactions()).hasSize(1);
    assertThat(s.abortedTransactions().get(0).firstOffset()).isEqualTo(offsetOf(batches, "b1"));
    assertThat(committed(s)).containsExactly("a1", "a2", "c1");

    HttpResponse<Buffer> plain = fetch(new JsonObject());
    assertThat(plain.getHeader("Sluice-Section-Version")).isEqualTo("0");
    FetchSection v0 = PartitionSections.parseFetch(ByteBuffer.wrap(plain.body().getBytes())).get(0);
    assertThat(v0.nextOffset()).isGreaterThan(s.nextOffset()); // d1 is there for read_uncommitted

    HttpResponse<Buffer> bad = fetch(new JsonObject().put("isolation_level", "snapshot"));
    assertThat(bad.statusCode()).isEqualTo(400);
  }

  @Test
  void aReadCommittedConsumerInstanceSeesCommittedRecordsOnlyInItsBinaryPolls() throws Exception {
    send(web.post("/consumers/g-rest").putHeader("Content-Type", KAFKA_V2).sendBuffer(new JsonObject()
        .put("name", "i").put("format", "binary").put("auto.offset.reset", "earliest")
        .put("isolation.level", "read_committed").toBuffer()));
    send(web.post("/consumers/g-rest/instances/i/subscription").putHeader("Content-Type", KAFKA_V2)
        .sendBuffer(new JsonObject().put("topics", new JsonArray().add("orders")).toBuffer()));
    List<String> seen = pollUntil(3);
    assertThat(seen).containsExactly("a1", "a2", "c1");
    tx.commitTransaction().await().atMost(WAIT);
    seen.addAll(pollUntil(1));
    assertThat(seen).containsExactly("a1", "a2", "c1", "d1");

    HttpResponse<Buffer> bad = send(web.post("/consumers/g-rest").putHeader("Content-Type", KAFKA_V2)
        .sendBuffer(new JsonObject().put("isolation.level", "committed").toBuffer()));
    assertThat(bad.statusCode()).isEqualTo(400);
  }

  @Test
  void aReadCommittedConsumerInstanceStartingAtLatestStartsAtTheLastStableOffset() throws Exception {
    send(web.post("/consumers/g-rest").putHeader("Content-Type", KAFKA_V2).sendBuffer(new JsonObject()
        .put("name", "i").put("format", "binary").put("auto.offset.reset", "latest")
        .put("isolation.level", "read_committed").toBuffer()));
    send(web.post("/consumers/g-rest/instances/i/assignments").putHeader("Content-Type", KAFKA_V2)
        .sendBuffer(new JsonObject().put("partitions", new JsonArray().add(new JsonObject().put("topic", "orders")
            .put("partition", 0))).toBuffer()));
    // This poll places the position ("latest"): before d1, the open transaction's first record, not after it.
    HttpResponse<Buffer> first = send(web.get("/consumers/g-rest/instances/i/records?timeout=0")
        .putHeader("Accept", "application/vnd.kafka.binary.v2+json").send());
    assertThat(first.bodyAsJsonArray()).isEmpty();
    tx.commitTransaction().await().atMost(WAIT);
    assertThat(pollUntil(1)).containsExactly("d1");
  }

  /** Polls the instance until {@code count} records came (each poll long-polls; an empty one is a rebalance). */
  private List<String> pollUntil(int count) throws Exception {
    List<String> seen = new ArrayList<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (seen.size() < count && System.nanoTime() < deadline) {
      HttpResponse<Buffer> r = send(web.get("/consumers/g-rest/instances/i/records?timeout=500")
          .putHeader("Accept", "application/vnd.kafka.binary.v2+json").send());
      assertThat(r.statusCode()).isEqualTo(200);
      for (Object o : r.bodyAsJsonArray()) {
        seen.add(new String(Base64.getDecoder().decode(((JsonObject) o).getString("value")), StandardCharsets.UTF_8));
      }
    }
    return seen;
  }

  private HttpResponse<Buffer> fetch(JsonObject extra) throws Exception {
    JsonObject body = new JsonObject().put("partitions", new JsonArray().add(new JsonObject().put("topic", "orders")
        .put("partition", 0).put("offset", 0))).put("timeout", 0).mergeIn(extra);
    return send(web.post("/fetch").putHeader("Content-Type", "application/json").sendBuffer(body.toBuffer()));
  }

  private static <T> T send(io.vertx.core.Future<T> f) throws Exception {
    return f.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static long offsetOf(List<RecordBatch> batches, String value) {
    for (RecordBatch b : batches) {
      if (!b.isControlBatch()) {
        for (Record r : b.records()) {
          if (value.equals(new String(r.value(), StandardCharsets.UTF_8))) {
            return r.offset();
          }
        }
      }
    }
    throw new AssertionError(value + " is not in the answer");
  }

  private static List<String> committed(FetchSection s) {
    AbortedBatches aborted = AbortedBatches.of(s.abortedTransactions());
    List<String> out = new ArrayList<>();
    for (RecordBatch b : RecordBatches.split(s.batches())) {
      if (!aborted.skip(b)) {
        b.records().forEach(r -> out.add(new String(r.value(), StandardCharsets.UTF_8)));
      }
    }
    return out;
  }
}
