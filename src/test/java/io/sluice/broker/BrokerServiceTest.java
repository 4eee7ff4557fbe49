package io.sluice.broker;

import io.sluice.api.RequestContext;

import io.sluice.api.BrokerService;
import io.sluice.api.Acks;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.NewTopic;
import io.sluice.api.OffsetRange;
import io.sluice.api.ProduceResult;
import io.sluice.api.TopicMetadata;

import static io.sluice.broker.testing.TestBatches.batch;
import static io.sluice.broker.testing.TestBatches.offsetsAndValues;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.TopicPartition;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** BrokerService against a real broker: embedded ZooKeeper, clustered Vert.x, the storage engine. */
class BrokerServiceTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final long TIMEOUT_S = 30;

  @TempDir
  static Path dataDir;
  static Broker broker;
  static BrokerService service;

  @BeforeAll
  static void startBroker() throws Exception {
    // the limits are raised so that the ZooKeeper transaction bound is what refuses the largest topics
    broker = TestBrokers.start(TestBrokers.config(dataDir, Map.of("log.retention.check.interval.ms", 100,
        "max.partitions.per.topic", 100_000, "max.partitions.per.broker", Integer.MAX_VALUE)), GUARD);
    service = broker.service();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    TestBrokers.close(broker);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(TIMEOUT_S, TimeUnit.SECONDS);
  }

  private static String topicName(TestInfo info) {
    return info.getTestMethod().orElseThrow().getName();
  }

  private static TopicMetadata create(String name, int partitions) throws Exception {
    return await(service.createTopic(RequestContext.SELF, new NewTopic(name, partitions, 1, Map.of())));
  }

  private static void assertError(ThrowingCallable call, ErrorCode code, String messagePart) {
    assertThatThrownBy(call).isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(code))
        .hasMessageContaining(messagePart);
  }

  @Test
  void createdTopicIsDescribedListedAndLedByThisBroker(TestInfo info) throws Exception {
    String name = topicName(info);
    TopicMetadata created = await(service.createTopic(RequestContext.SELF, new NewTopic(name, 3, -1, Map.of("retention.ms", "60000"))));

    assertThat(created.partitionCount()).isEqualTo(3);
    assertThat(created.configs()).containsEntry("retention.ms", "60000");
    assertThat(created.partitions()).allSatisfy(p -> {
      assertThat(p.leader()).isEqualTo(1);
      assertThat(p.leaderEpoch()).isZero();
      assertThat(p.replicas()).containsExactly(new TopicMetadata.ReplicaInfo(1, true, true));
    });
    assertThat(await(service.describeTopic(RequestContext.SELF, name))).isEqualTo(created);
    assertThat(await(service.listTopics(RequestContext.SELF))).contains(name).isSorted();
    assertThat(broker.hostedPartitions()).contains(new TopicPartition(name, 0), new TopicPartition(name, 2));
  }

  @Test
  void topicWithDefaultsTakesBrokerDefaults(TestInfo info) throws Exception {
    TopicMetadata created = await(service.createTopic(RequestContext.SELF, new NewTopic(topicName(info), -1, -1, Map.of())));
    assertThat(created.partitionCount()).isEqualTo(1);
    assertThat(created.configs()).isEmpty();
  }

  @Test
  void creatingAnExistingTopicFails(TestInfo info) throws Exception {
    create(topicName(info), 1);
    assertError(() -> await(service.createTopic(RequestContext.SELF, new NewTopic(topicName(info), 1, 1, Map.of()))),
        ErrorCode.TOPIC_ALREADY_EXISTS, topicName(info));
  }

  @Test
  void invalidCreationRequestsAreRefusedWithTheirOwnCodes() {
    assertError(() -> await(service.createTopic(RequestContext.SELF, new NewTopic("bad/name", 1, 1, Map.of()))),
        ErrorCode.INVALID_TOPIC_EXCEPTION, "bad/name");
    assertError(() -> await(service.createTopic(RequestContext.SELF, new NewTopic("..", 1, 1, Map.of()))),
        ErrorCode.INVALID_TOPIC_EXCEPTION, "'.' or '..'");
    assertError(() -> await(service.createTopic(RequestContext.SELF, new NewTopic("zero-partitions", 0, 1, Map.of()))),
        ErrorCode.INVALID_PARTITIONS, "got 0");
    assertError(() -> await(service.createTopic(RequestContext.SELF, new NewTopic("rf-two", 1, 2, Map.of()))),
        ErrorCode.INVALID_REPLICATION_FACTOR, "larger than the number of live brokers (1");
    assertError(() -> await(service.createTopic(RequestContext.SELF, new NewTopic("bad-config", 1, 1, Map.of("retention.ms", "soon")))),
        ErrorCode.INVALID_REQUEST, "retention.ms");
    assertError(() -> await(service.createTopic(RequestContext.SELF, new NewTopic("unknown-config", 1, 1, Map.of("colour", "blue")))),
        ErrorCode.INVALID_REQUEST, "colour");
  }

  @Test
  void partitionCountsTooLargeForOneZooKeeperTransactionAreRefused(TestInfo info)
      throws Exception {
    String name = topicName(info);
    // 100,000 partitions would be a ~24 MB multi(): the server would drop the session over and over, and the
    // request end as a 500 (ConnectionLoss) instead of this 400.
    assertError(() -> await(service.createTopic(RequestContext.SELF, new NewTopic(name, 100_000, 1, Map.of()))),
        ErrorCode.INVALID_PARTITIONS, "in one transaction");
    create(name, 1);
    assertError(() -> await(service.createPartitions(RequestContext.SELF, name, 50_000)), ErrorCode.INVALID_PARTITIONS,
        "in one transaction");
    assertThat(await(service.describeTopic(RequestContext.SELF, name)).partitionCount()).isEqualTo(1);
  }

  @Test
  void topicNamesDifferingOnlyInDotAndUnderscoreCollide() throws Exception {
    create("collide.me", 1);
    assertError(() -> await(service.createTopic(RequestContext.SELF, new NewTopic("collide_me", 1, 1, Map.of()))),
        ErrorCode.INVALID_TOPIC_EXCEPTION, "collides with existing topic 'collide.me'");
  }

  @Test
  void deletedTopicIsGoneWithItsData(TestInfo info) throws Exception {
    String name = topicName(info);
    create(name, 2);
    TopicPartition tp = new TopicPartition(name, 1);
    await(service.produce(RequestContext.SELF, tp, batch("doomed"), Acks.LEADER));
    assertThat(dataDir.resolve(tp.dirName())).isDirectory();

    await(service.deleteTopic(RequestContext.SELF, name));

    assertThat(await(service.listTopics(RequestContext.SELF))).doesNotContain(name);
    assertThat(broker.hostedPartitions()).doesNotContain(tp, new TopicPartition(name, 0));
    assertThat(Files.exists(dataDir.resolve(tp.dirName()))).isFalse();
    assertError(() -> await(service.describeTopic(RequestContext.SELF, name)), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name);
    assertError(() -> await(service.deleteTopic(RequestContext.SELF, name)), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name);
  }

  @Test
  void topicDeletedAndCreatedAgainStartsEmpty(TestInfo info) throws Exception {
    String name = topicName(info);
    TopicPartition tp = new TopicPartition(name, 0);
    create(name, 1);
    await(service.produce(RequestContext.SELF, tp, batch("first life"), Acks.LEADER));
    await(service.deleteTopic(RequestContext.SELF, name));
    create(name, 1);

    assertThat(await(service.offsets(RequestContext.SELF, tp))).isEqualTo(new OffsetRange(0, 0));
  }

  @Test
  void topicWithTheLongestNameDeletedAndCreatedAgainStartsEmpty(TestInfo info) throws Exception {
    String name = (topicName(info) + "-").repeat(10).substring(0, TopicNames.MAX_LENGTH);
    TopicPartition tp = new TopicPartition(name, 11);
    create(name, 12);
    await(service.produce(RequestContext.SELF, tp, batch("first life"), Acks.LEADER));
    await(service.deleteTopic(RequestContext.SELF, name));
    assertThat(dataDir.resolve(tp.dirName())).doesNotExist();
    create(name, 12);

    assertThat(await(service.offsets(RequestContext.SELF, tp))).isEqualTo(new OffsetRange(0, 0));
  }

  @Test
  void produceForUnknownTopicAutoCreatesIt(TestInfo info) throws Exception {
    String name = topicName(info);
    TopicMetadata m = await(service.metadataForProduce(RequestContext.SELF, name));
    assertThat(m.name()).isEqualTo(name);
    assertThat(m.partitionCount()).isEqualTo(1);
    assertThat(await(service.metadataForProduce(RequestContext.SELF, name))).isEqualTo(m);
  }

  @Test
  void producedBatchesAreFetchedInOrderWithTheirOffsets(TestInfo info) throws Exception {
    String name = topicName(info);
    create(name, 1);
    TopicPartition tp = new TopicPartition(name, 0);

    ProduceResult first = await(service.produce(RequestContext.SELF, tp, batch("a", "b"), Acks.LEADER));
    ProduceResult second = await(service.produce(RequestContext.SELF, tp, batch("c"), Acks.ALL));

    assertThat(first.batchBaseOffsets()).containsExactly(0L);
    assertThat(second.batchBaseOffsets()).containsExactly(2L);
    FetchResult fetched = await(service.fetch(RequestContext.SELF, new FetchRequest(tp, 0, 1 << 20, 1, 0)));
    assertThat(fetched.highWatermark()).isEqualTo(3);
    assertThat(fetched.logStartOffset()).isZero();
    assertThat(offsetsAndValues(fetched.batches().readBytes())).containsExactly("0=a", "1=b", "2=c");
    FetchResult fromMiddle = await(service.fetch(RequestContext.SELF, new FetchRequest(tp, 2, 1 << 20, 1, 0)));
    assertThat(offsetsAndValues(fromMiddle.batches().readBytes())).containsExactly("2=c");
  }

  @Test
  void acksZeroAnswersWithoutOffsetsAndStillAppends(TestInfo info) throws Exception {
    String name = topicName(info);
    create(name, 1);
    TopicPartition tp = new TopicPartition(name, 0);

    ProduceResult r = await(service.produce(RequestContext.SELF, tp, batch("fire and forget"), Acks.NONE));

    assertThat(r.batchBaseOffsets()).isEmpty();
    FetchResult fetched = await(service.fetch(RequestContext.SELF, new FetchRequest(tp, 0, 1 << 20, 1, 10_000)));
    assertThat(offsetsAndValues(fetched.batches().readBytes())).containsExactly("0=fire and forget");
  }

  @Test
  void appendsSubmittedTogetherKeepTheirOrder(TestInfo info) throws Exception {
    String name = topicName(info);
    create(name, 1);
    TopicPartition tp = new TopicPartition(name, 0);
    List<Future<ProduceResult>> results = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      results.add(service.produce(RequestContext.SELF, tp, batch("m" + i), Acks.LEADER));
    }
    for (int i = 0; i < 50; i++) {
      assertThat(await(results.get(i)).batchBaseOffsets()).containsExactly((long) i);
    }
  }

  @Test
  void aReplicationFactorBelowMinInsyncReplicasIsRefusedAtCreation(TestInfo info) {
    assertError(() -> await(service.createTopic(RequestContext.SELF, new NewTopic(topicName(info), 1, 1,
        Map.of("min.insync.replicas", "2")))), ErrorCode.INVALID_REPLICATION_FACTOR, "min.insync.replicas (2)");
  }

  @Test
  void longPollIsWokenByAnAppend(TestInfo info) throws Exception {
    String name = topicName(info);
    create(name, 1);
    TopicPartition tp = new TopicPartition(name, 0);
    await(service.produce(RequestContext.SELF, tp, batch("before"), Acks.LEADER));

    Future<FetchResult> parked = service.fetch(RequestContext.SELF, new FetchRequest(tp, 1, 1 << 20, 1, 30_000));
    await(service.produce(RequestContext.SELF, tp, batch("wake up"), Acks.LEADER));

    FetchResult woken = await(parked);
    assertThat(offsetsAndValues(woken.batches().readBytes())).containsExactly("1=wake up");
    assertThat(woken.highWatermark()).isEqualTo(2);
  }

  @Test
  void longPollTimesOutEmpty(TestInfo info) throws Exception {
    String name = topicName(info);
    create(name, 1);
    TopicPartition tp = new TopicPartition(name, 0);

    FetchResult r = await(service.fetch(RequestContext.SELF, new FetchRequest(tp, 0, 1 << 20, 1, 50)));

    assertThat(r.sizeInBytes()).isZero();
    assertThat(r.highWatermark()).isZero();
  }

  @Test
  void longPollWaitsForMinBytes(TestInfo info) throws Exception {
    String name = topicName(info);
    create(name, 1);
    TopicPartition tp = new TopicPartition(name, 0);
    ByteBuffer one = batch("0123456789");
    int batchSize = one.remaining();

    Future<FetchResult> parked = service.fetch(RequestContext.SELF, new FetchRequest(tp, 0, 1 << 20, 2 * batchSize, 30_000));
    await(service.produce(RequestContext.SELF, tp, one, Acks.LEADER));
    // A round trip through the partition shows the first batch is visible while the long poll still waits.
    assertThat(await(service.fetch(RequestContext.SELF, new FetchRequest(tp, 0, 1 << 20, 1, 0))).sizeInBytes()).isEqualTo(batchSize);
    assertThat(parked.isComplete()).isFalse();

    await(service.produce(RequestContext.SELF, tp, batch("abcdefghij"), Acks.LEADER));

    FetchResult r = await(parked);
    assertThat(r.sizeInBytes()).isGreaterThanOrEqualTo(2 * batchSize);
    assertThat(offsetsAndValues(r.batches().readBytes())).containsExactly("0=0123456789", "1=abcdefghij");
  }

  @Test
  void offsetsAndOffsetForTimestamp(TestInfo info) throws Exception {
    String name = topicName(info);
    create(name, 1);
    TopicPartition tp = new TopicPartition(name, 0);
    long t = System.currentTimeMillis() - 60_000;
    assertThat(await(service.offsets(RequestContext.SELF, tp))).isEqualTo(new OffsetRange(0, 0));
    await(service.produce(RequestContext.SELF, tp, batch(t + 1_000, "t1000"), Acks.LEADER));
    await(service.produce(RequestContext.SELF, tp, batch(t + 2_000, "t2000a", "t2000b"), Acks.LEADER));
    await(service.produce(RequestContext.SELF, tp, batch(t + 3_000, "t3000"), Acks.LEADER));

    assertThat(await(service.offsets(RequestContext.SELF, tp))).isEqualTo(new OffsetRange(0, 4));
    assertThat(await(service.offsetForTimestamp(RequestContext.SELF, tp, t))).isEqualTo(OptionalLong.of(0));
    assertThat(await(service.offsetForTimestamp(RequestContext.SELF, tp, t + 1_500))).isEqualTo(OptionalLong.of(1));
    assertThat(await(service.offsetForTimestamp(RequestContext.SELF, tp, t + 3_000))).isEqualTo(OptionalLong.of(3));
    assertThat(await(service.offsetForTimestamp(RequestContext.SELF, tp, t + 3_001))).isEqualTo(OptionalLong.empty());
  }

  @Test
  void retentionDeletesOldSegmentsOnItsTimer(TestInfo info) throws Exception {
    String name = topicName(info);
    await(service.createTopic(RequestContext.SELF, new NewTopic(name, 1, 1, Map.of("segment.bytes", "1024", "retention.ms", "60000"))));
    TopicPartition tp = new TopicPartition(name, 0);
    String big = "x".repeat(700);
    for (int i = 0; i < 3; i++) {
      await(service.produce(RequestContext.SELF, tp, batch(1_000 + i, big), Acks.LEADER));
    }

    // Records from 1970 are past retention: every segment goes at the next check, the active one included (as in
    // Kafka, which rolls a new empty one), and the log start moves to the end.
    org.awaitility.Awaitility.await("retention deletes every segment").atMost(java.time.Duration.ofSeconds(TIMEOUT_S))
        .until(() -> await(service.offsets(RequestContext.SELF, tp)).beginningOffset() >= 3);
    assertThat(await(service.offsets(RequestContext.SELF, tp))).isEqualTo(new OffsetRange(3, 3));
    assertError(() -> await(service.fetch(RequestContext.SELF, new FetchRequest(tp, 0, 1024, 1, 0))), ErrorCode.OFFSET_OUT_OF_RANGE, "");
  }

  @Test
  void unknownTopicsAndPartitionsAreReported(TestInfo info) throws Exception {
    String name = topicName(info);
    create(name, 2);
    TopicPartition missingTopic = new TopicPartition("no-such-topic", 0);
    TopicPartition missingPartition = new TopicPartition(name, 2);

    for (TopicPartition tp : List.of(missingTopic, missingPartition)) {
      for (Acks acks : Acks.values()) {
        assertError(() -> await(service.produce(RequestContext.SELF, tp, batch("x"), acks)), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            tp.topic());
      }
      assertError(() -> await(service.fetch(RequestContext.SELF, new FetchRequest(tp, 0, 1024, 1, 0))),
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, tp.topic());
      assertError(() -> await(service.offsets(RequestContext.SELF, tp)), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, tp.topic());
      assertError(() -> await(service.offsetForTimestamp(RequestContext.SELF, tp, 0)), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          tp.topic());
    }
    assertError(() -> await(service.describeTopic(RequestContext.SELF, "no-such-topic")), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        "no-such-topic");
  }

  @Test
  void fetchBeyondTheLogEndIsOutOfRange(TestInfo info) throws Exception {
    String name = topicName(info);
    create(name, 1);
    TopicPartition tp = new TopicPartition(name, 0);
    await(service.produce(RequestContext.SELF, tp, batch("only"), Acks.LEADER));

    assertError(() -> await(service.fetch(RequestContext.SELF, new FetchRequest(tp, 5, 1024, 1, 0))), ErrorCode.OFFSET_OUT_OF_RANGE,
        "5");
    assertError(() -> await(service.fetch(RequestContext.SELF, new FetchRequest(tp, 0, 0, 1, 0))), ErrorCode.INVALID_FETCH_SIZE,
        "max_bytes");
  }

  @Test
  void corruptBatchIsRefused(TestInfo info) throws Exception {
    String name = topicName(info);
    create(name, 1);
    TopicPartition tp = new TopicPartition(name, 0);
    ByteBuffer b = batch("intact");
    b.put(b.limit() - 1, (byte) (b.get(b.limit() - 1) ^ 0xFF));

    assertError(() -> await(service.produce(RequestContext.SELF, tp, b, Acks.LEADER)), ErrorCode.CORRUPT_MESSAGE, "");
  }

  @Test
  void futuresCompleteOnTheCallersContext(TestInfo info) throws Exception {
    String name = topicName(info);
    create(name, 1);
    TopicPartition tp = new TopicPartition(name, 0);
    Context caller = broker.vertx().getOrCreateContext();
    Promise<Boolean> sameContext = Promise.promise();

    caller.runOnContext(v -> service.produce(RequestContext.SELF, tp, batch("x"), Acks.LEADER)
        .compose(r -> service.fetch(RequestContext.SELF, new FetchRequest(tp, 0, 1024, 1, 0)))
        .onComplete(ar -> sameContext.complete(ar.succeeded() && broker.vertx().getOrCreateContext() == caller)));

    assertThat(await(sameContext.future())).isTrue();
  }
}
