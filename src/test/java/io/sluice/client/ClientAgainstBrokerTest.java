package io.sluice.client;

import io.sluice.api.RequestContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.record.Partitioner;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against a real in-process broker (embedded ZooKeeper, storage, HTTP API), reached through a proxy that
 * can lose responses and follow the broker across restarts.
 */
class ClientAgainstBrokerTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir
  Path dataDir;
  private BrokerBehindProxy broker;
  private LossyProxy proxy;
  private SluiceClient client;

  @BeforeEach
  void start() throws Exception {
    broker = BrokerBehindProxy.start(dataDir, GUARD, options -> options.requestTimeoutMs(5_000));
    proxy = broker.proxy();
    client = broker.client();
  }

  @AfterEach
  void stop() throws Exception {
    if (broker != null) {
      broker.close();
    }
  }

  private static ProducerRecord record(String topic, int i) {
    return ProducerRecord.of(topic, null, "v" + i);
  }

  /** Reads {@code count} records of a partition from the beginning. */
  private List<ConsumerRecord> readAll(String topic, int partition, int count) {
    return client.partitionReader(ReaderOptions.of(topic, partition).fetchMaxWaitMs(200)).records()
        .select().first(count).collect().asList().await().atMost(WAIT);
  }

  private static List<String> values(List<ConsumerRecord> records) {
    return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
  }

  @Test
  void producedRecordsAreReadBackInOrderAtTheOffsetsTheProducerReported() {
    client.admin().createTopic("plain", 1, 1, Map.of()).await().atMost(WAIT);
    Producer producer = client.producer(ProducerOptions.defaults().lingerMs(2).batchSizeBytes(2_000));
    List<RecordMetadata> acked = producer.send(Multi.createFrom().range(0, 2_000).map(i -> record("plain", i)))
        .collect().asList().await().atMost(WAIT);
    assertThat(acked).hasSize(2_000);
    List<ConsumerRecord> read = readAll("plain", 0, 2_000);
    for (RecordMetadata md : acked) {
      assertThat(new String(read.get((int) md.offset()).value(), StandardCharsets.UTF_8)).startsWith("v");
    }
    assertThat(values(read)).containsExactlyElementsOf(
        Multi.createFrom().range(0, 2_000).map(i -> "v" + i).collect().asList().await().indefinitely());
    assertThat(read).extracting(ConsumerRecord::offset).containsExactlyElementsOf(
        Multi.createFrom().range(0, 2_000).map(Integer::longValue).collect().asList().await().indefinitely());
  }

  @Test
  void recordsReadBackAreByteIdenticalAcrossBatchAndNetworkChunkBoundariesAndStaySoWhileLaterFetchesArrive() {
    // Values from empty to 20 KiB, so batches and single values cross the 8 KiB chunks an answer arrives in; null
    // and non-null keys, headers with and without values. The reader's small fetches make many answers, and every
    // record is held until the end: an answer's memory reused under an earlier record would show as changed bytes.
    client.admin().createTopic("exact", 1, 1, Map.of()).await().atMost(WAIT);
    java.util.Random random = new java.util.Random(16);
    List<ProducerRecord> sent = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      byte[] key = i % 3 == 0 ? null : bytes(random, random.nextInt(40));
      byte[] value = i % 50 == 7 ? null : bytes(random, i % 10 == 0 ? 8_000 + random.nextInt(12_000) : random.nextInt(300));
      List<io.sluice.record.Header> headers = i % 4 == 0 ? List.of()
          : List.of(new io.sluice.record.Header("h" + i, bytes(random, random.nextInt(20))),
              new io.sluice.record.Header("n", null));
      sent.add(new ProducerRecord("exact", null, 1_000L + i, key, value, headers));
    }
    Producer producer = client.producer(ProducerOptions.defaults().lingerMs(2).batchSizeBytes(16_384));
    List<RecordMetadata> acked = producer.send(Multi.createFrom().iterable(sent)).collect().asList()
        .await().atMost(WAIT);
    // Acks come as answers do (requests may be answered out of order); the log keeps the send order.
    assertThat(acked).extracting(RecordMetadata::offset)
        .containsExactlyInAnyOrderElementsOf(LongStream.range(0, 600).boxed().toList());

    List<ConsumerRecord> read = client.partitionReader(ReaderOptions.of("exact", 0).fetchMaxBytes(50_000)
            .fetchMaxWaitMs(200)).records().select().first(600).collect().asList().await().atMost(WAIT);

    assertThat(read).hasSize(600);
    for (int i = 0; i < 600; i++) {
      ProducerRecord p = sent.get(i);
      ConsumerRecord r = read.get(i);
      assertThat(r.offset()).isEqualTo(i);
      assertThat(r.timestamp()).as("timestamp %d", i).isEqualTo(p.timestamp());
      assertThat(r.key()).as("key %d", i).isEqualTo(p.key());
      assertThat(r.value()).as("value %d", i).isEqualTo(p.value());
      assertThat(r.headers()).as("headers %d", i).isEqualTo(p.headers());
    }
  }

  private static byte[] bytes(java.util.Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  @Test
  void theCallbackSendReportsEachRecordsOffsetOnceAndAFailureAsAFailure() throws Exception {
    client.admin().createTopic("callback", 1, 1, Map.of()).await().atMost(WAIT);
    Producer producer = client.producer(ProducerOptions.defaults().lingerMs(2).batchSizeBytes(2_000));
    int n = 500;
    List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
    AtomicInteger calls = new AtomicInteger();
    for (int i = 0; i < n; i++) {
      CompletableFuture<RecordMetadata> ack = new CompletableFuture<>();
      acks.add(ack);
      producer.send(record("callback", i), (md, failure) -> {
        calls.incrementAndGet();
        if (failure == null) {
          ack.complete(md);
        } else {
          ack.completeExceptionally(failure);
        }
      });
    }
    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(acks).extracting(f -> f.join().offset())
        .containsExactlyElementsOf(LongStream.range(0, n).boxed().toList());
    assertThat(values(readAll("callback", 0, n)))
        .containsExactlyElementsOf(IntStream.range(0, n).mapToObj(i -> "v" + i).toList());
    assertThat(calls.get()).isEqualTo(n);

    CompletableFuture<Throwable> failed = new CompletableFuture<>();
    producer.send(ProducerRecord.of("callback", null, "v").withPartition(7),
        (md, failure) -> failed.complete(failure));
    assertThat(failed.get(WAIT.toSeconds(), TimeUnit.SECONDS)).as("partition 7 of a 1-partition topic")
        .isInstanceOf(SluiceException.class);
  }

  @Test
  void aReaderWhoseStartOffsetLookupMeetsNoLeaderYetRetriesInsteadOfEndingItsStream() {
    client.admin().createTopic("leaderless", 1, 1, Map.of()).await().atMost(WAIT);
    Producer producer = client.producer(ProducerOptions.defaults());
    producer.send(Multi.createFrom().range(0, 10).map(i -> record("leaderless", i)))
        .collect().asList().await().atMost(WAIT);
    // A brand-new partition answers its offsets lookup with LEADER_NOT_AVAILABLE until its leader is elected.
    proxy.refuse(r -> r.path().endsWith("/partitions/0/offsets"), 2,
        "{\"error_code\":" + ErrorCode.LEADER_NOT_AVAILABLE.code() + ",\"message\":\"no leader yet\"}");
    assertThat(values(readAll("leaderless", 0, 10)))
        .containsExactlyElementsOf(IntStream.range(0, 10).mapToObj(i -> "v" + i).toList());
    assertThat(proxy.count("GET /topics/leaderless/partitions/0/offsets")).isGreaterThanOrEqualTo(3);
  }

  @Test
  void keyedRecordsLandWhereTheSharedPartitionerPutsThem() {
    client.admin().createTopic("keyed", 4, 1, Map.of()).await().atMost(WAIT);
    Producer producer = client.producer(ProducerOptions.defaults());
    for (int i = 0; i < 20; i++) {
      String key = "key-" + i;
      RecordMetadata md = producer.send(ProducerRecord.of("keyed", key, "v")).await().atMost(WAIT);
      assertThat(md.partition()).isEqualTo(Partitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), 4));
    }
  }

  @Test
  void lostResponsesAreRetriedWithoutWritingAnyRecordTwice() {
    client.admin().createTopic("lossy", 1, 1, Map.of()).await().atMost(WAIT);
    proxy.dropResponses(r -> r.method() == HttpMethod.POST && r.path().endsWith("/batches"), 5);
    Producer producer = client.producer(ProducerOptions.defaults().lingerMs(1).batchSizeBytes(1_000)
        .retryBackoffMs(10));
    List<RecordMetadata> acked = producer.send(Multi.createFrom().range(0, 1_000).map(i -> record("lossy", i)))
        .collect().asList().await().atMost(WAIT);
    assertThat(proxy.dropped.get()).isEqualTo(5);
    assertThat(acked).extracting(RecordMetadata::offset).doesNotHaveDuplicates();
    assertThat(client.admin().offsets("lossy", 0).await().atMost(WAIT).endOffset()).isEqualTo(1_000);
    assertThat(values(readAll("lossy", 0, 1_000))).doesNotHaveDuplicates().hasSize(1_000).startsWith("v0", "v1");
  }

  @Test
  void aLostAnswerToMoreBatchesThanTheBrokerRemembersIsStillTakenAsWrittenOnResend() {
    // The broker remembers a producer's last 5 batches per partition (Kafka's window): a resend older than that is
    // refused as out of sequence. So the producer must never have more than 5 batches of a partition unanswered,
    // however many it queued while a request was slow, or a lost answer turns written records into failed sends.
    client.admin().createTopic("window", 2, 1, Map.of()).await().atMost(WAIT);
    Producer producer = client.producer(ProducerOptions.defaults().lingerMs(0).batchSizeBytes(1)
        .maxInFlightPerPartition(1).retryBackoffMs(10));
    producer.send(value("window", 0, "v0")).await().atMost(WAIT);
    AtomicInteger batchRequests = new AtomicInteger();
    Predicate<HttpServerRequest> batches = r -> r.method() == HttpMethod.POST && r.path().endsWith("/batches");
    proxy.holdResponse(batches);
    // The request after the held one and the marker's carries every batch queued behind the held one.
    proxy.dropResponses(r -> batches.test(r) && batchRequests.incrementAndGet() == 3, 1);
    List<Uni<RecordMetadata>> sends = new ArrayList<>();
    for (int i = 1; i <= 21; i++) {
      Uni<RecordMetadata> send = producer.send(value("window", 0, "v" + i)).memoize().indefinitely();
      send.subscribe().with(md -> { }, t -> { });
      sends.add(send);
      if (i == 1) {
        awaitRequests(batchRequests, 1); // v1 is in flight alone, answer held: v2..v21 queue behind it
      }
    }
    Uni<RecordMetadata> marker = producer.send(value("window", 1, "marker")).memoize().indefinitely();
    marker.subscribe().with(md -> { }, t -> { });
    // The inbox is FIFO: once the marker's request (partition 1) is out, partition 0's 20 batches are all queued.
    awaitRequests(batchRequests, 2);
    proxy.release();
    for (Uni<RecordMetadata> send : sends) {
      send.await().atMost(WAIT);
    }
    marker.await().atMost(WAIT);
    assertThat(proxy.dropped.get()).isEqualTo(1);
    assertThat(values(readAll("window", 0, 22))).containsExactlyElementsOf(
        IntStream.range(0, 22).mapToObj(i -> "v" + i).toList());
    assertThat(client.admin().offsets("window", 0).await().atMost(WAIT).endOffset()).isEqualTo(22);
  }

  private static void awaitRequests(AtomicInteger seen, int count) {
    Awaitility.await("request " + count + " reaches the proxy").atMost(WAIT).until(() -> seen.get() >= count);
  }

  private static ProducerRecord value(String topic, int partition, String value) {
    return ProducerRecord.of(topic, null, value).withPartition(partition);
  }

  @Test
  void withoutIdempotenceALostResponseWritesTheBatchTwice() {
    // The negative control: proves the proxy really makes the broker apply a request whose answer is lost.
    client.admin().createTopic("dupes", 1, 1, Map.of()).await().atMost(WAIT);
    proxy.dropResponses(r -> r.method() == HttpMethod.POST && r.path().endsWith("/batches"), 1);
    Producer producer = client.producer(ProducerOptions.defaults().idempotence(false).lingerMs(0)
        .retryBackoffMs(10));
    producer.send(record("dupes", 0)).await().atMost(WAIT);
    assertThat(client.admin().offsets("dupes", 0).await().atMost(WAIT).endOffset()).isEqualTo(2);
  }

  @Test
  void everyRecordIsWrittenOnceAcrossABrokerRestart() throws Exception {
    client.admin().createTopic("restart", 1, 1, Map.of()).await().atMost(WAIT);
    Producer producer = client.producer(ProducerOptions.defaults().lingerMs(1).batchSizeBytes(1_000)
        .retryBackoffMs(20).retryBackoffMaxMs(200));
    AssertSubscriber<RecordMetadata> sub = producer.send(Multi.createFrom().range(0, 3_000)
            .map(i -> record("restart", i)))
        .subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
    sub.awaitNextItems(500, WAIT);
    broker.restartBroker();
    sub.awaitCompletion(WAIT);
    assertThat(sub.getItems()).hasSize(3_000).extracting(RecordMetadata::offset).doesNotHaveDuplicates();
    List<ConsumerRecord> read = readAll("restart", 0, 3_000);
    assertThat(client.admin().offsets("restart", 0).await().atMost(WAIT).endOffset()).isEqualTo(3_000);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      expected.add("v" + i);
    }
    assertThat(values(read)).containsExactlyElementsOf(expected);
  }

  @Test
  void aSlowSubscriberGetsOneFetchAheadAndNoMore() {
    client.admin().createTopic("slow", 1, 1, Map.of()).await().atMost(WAIT);
    Producer producer = client.producer(ProducerOptions.defaults().batchSizeBytes(1_000));
    producer.send(Multi.createFrom().range(0, 5_000).map(i -> record("slow", i))).collect().last()
        .await().atMost(WAIT);
    AssertSubscriber<ConsumerRecord> sub = client.partitionReader(ReaderOptions.of("slow", 0).fetchMaxBytes(4_096))
        .records().subscribe().withSubscriber(AssertSubscriber.create(10));
    sub.awaitItems(10, WAIT);
    // 10 records fit in the first fetch; the reader sends one fetch ahead of demand, and no more while the
    // subscriber asks for nothing more (an observation window: nothing may happen in it).
    awaitFetches(2);
    long until = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(500);
    while (System.nanoTime() < until) {
      assertThat(proxy.count("POST /fetch")).isLessThanOrEqualTo(2);
      Thread.yield();
    }
    long fetchesAfterTen = proxy.count("POST /fetch");
    assertThat(fetchesAfterTen).isLessThanOrEqualTo(2);
    sub.request(3_000);
    sub.awaitItems(3_010, WAIT);
    assertThat(proxy.count("POST /fetch")).isGreaterThan(fetchesAfterTen);
    assertThat(sub.getItems()).extracting(ConsumerRecord::offset).startsWith(0L, 1L, 2L).doesNotHaveDuplicates();
    sub.cancel();
  }

  private void awaitFetches(long count) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (proxy.count("POST /fetch") < count) {
      assertThat(System.nanoTime()).as("waiting for %d fetches", count).isLessThan(deadline);
      Thread.yield();
    }
  }

  @Test
  void readerStartsAtEndOrTimestamp() {
    client.admin().createTopic("seek", 1, 1, Map.of()).await().atMost(WAIT);
    Producer producer = client.producer(ProducerOptions.defaults().lingerMs(0));
    producer.send(new ProducerRecord("seek", null, 1_000L, null, "old".getBytes(), null)).await().atMost(WAIT);
    producer.send(new ProducerRecord("seek", null, 5_000L, null, "new".getBytes(), null)).await().atMost(WAIT);
    ConsumerRecord byTime = client.partitionReader(ReaderOptions.of("seek", 0).start(StartPosition.timestamp(2_000)))
        .records().select().first().toUni().await().atMost(WAIT);
    assertThat(byTime.offset()).isEqualTo(1);
    PartitionReader atEnd = client.partitionReader(ReaderOptions.of("seek", 0).start(StartPosition.end())
        .fetchMaxWaitMs(100));
    AssertSubscriber<ConsumerRecord> sub = atEnd.records().subscribe().withSubscriber(AssertSubscriber.create(1));
    producer.send(ProducerRecord.of("seek", null, "later")).await().atMost(WAIT);
    sub.awaitItems(1, WAIT);
    assertThat(sub.getItems().get(0).offset()).isEqualTo(2);
    sub.cancel();
  }

  @Test
  void adminCreatesDescribesListsAndDeletesTopics() {
    Admin admin = client.admin();
    TopicDescription created = admin.createTopic("admin-t", 3, 1, Map.of("retention.ms", "60000"))
        .await().atMost(WAIT);
    assertThat(created.partitionCount()).isEqualTo(3);
    assertThat(created.configs()).containsEntry("retention.ms", "60000");
    assertThat(created.partitions().get(0).leader()).isEqualTo(1);
    assertThat(admin.listTopics().await().atMost(WAIT)).contains("admin-t");
    assertThatThrownBy(() -> admin.createTopic("admin-t", 1, 1, Map.of()).await().atMost(WAIT))
        .isInstanceOfSatisfying(SluiceException.class,
            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.TOPIC_ALREADY_EXISTS));
    assertThat(admin.describeCluster().await().atMost(WAIT).brokers()).isNotEmpty();
    admin.deleteTopic("admin-t").await().atMost(WAIT);
    assertThatThrownBy(() -> admin.describeTopic("admin-t").await().atMost(WAIT))
        .isInstanceOfSatisfying(SluiceException.class,
            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  }

  @Test
  void producerIdsStayUniqueAcrossTheBrokersBlockBoundary() throws Exception {
    Set<Long> ids = new HashSet<>();
    for (int i = 0; i < 1_001; i++) {
      ids.add(broker.broker().service().initProducerId(RequestContext.SELF).await(30, TimeUnit.SECONDS).producerId());
    }
    assertThat(ids).hasSize(1_001);
  }

  @Test
  void producerIdsAreUniqueAcrossProducersAndRestarts() throws Exception {
    Set<Long> ids = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      ids.add(initProducerId());
    }
    broker.restartBroker();
    ids.add(initProducerId());
    assertThat(ids).hasSize(4);
  }

  /**
   * One {@code POST /producers} on a client held until it answered: Vert.x 5 closes the pool of an HTTP client that
   * is garbage collected, so a client nobody references can lose its request mid-flight (eclipse-vertx/vert.x#5577).
   */
  private long initProducerId() throws Exception {
    io.vertx.ext.web.client.WebClient web = io.sluice.broker.testing.TestClients.web(broker.broker().httpPort());
    try {
      return web.post("/producers").send().await(30, TimeUnit.SECONDS).bodyAsJsonObject().getLong("producer_id");
    } finally {
      web.close();
    }
  }
}
