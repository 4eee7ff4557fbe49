package io.sluice.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zombie fencing through the Java client (Kafka's generation-fenced OffsetCommit and KIP-447's TxnOffsetCommit): a
 * consumer that stopped polling past its session timeout, whose partitions another member took and committed, cannot
 * overwrite those commits, whether its instance joined the group again behind its back (a poll it has not seen) or
 * not; it fails {@link CommitFailedException}. Offsets sent to a transaction with the metadata of a generation the
 * group left are refused.
 */
class FencedCommitsClientTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final TopicPartition T0 = new TopicPartition("t", 0);
  private static final TopicPartition T1 = new TopicPartition("t", 1);

  @TempDir
  Path dataDir;
  private BrokerWithClient broker;
  private SluiceClient client;
  private Admin admin;

  @BeforeEach
  void start() throws Exception {
    broker = BrokerWithClient.start(dataDir, GUARD, Map.of("connect.enabled", false, "streams.enabled", false,
        "group.min.session.timeout.ms", 500), o -> o.requestTimeoutMs(10_000));
    client = broker.client();
    admin = client.admin();
    admin.createTopic("t", 2, 1, Map.of()).await().atMost(WAIT);
    Producer p = client.producer(ProducerOptions.defaults().lingerMs(0));
    for (int i = 0; i < 5; i++) {
      p.send(ProducerRecord.of("t", "k", "v" + i).withPartition(0)).await().atMost(WAIT);
      p.send(ProducerRecord.of("t", "k", "v" + i).withPartition(1)).await().atMost(WAIT);
    }
  }

  @AfterEach
  void stop() throws Exception {
    broker.close();
  }

  private static ConsumerOptions options(long sessionMs) {
    return ConsumerOptions.of("g", List.of("t")).fetchMaxWaitMs(100).sessionTimeoutMs(sessionMs)
        .enableAutoCommit(false).fromEarliest(true);
  }

  /** A consumer that read all ten records, owning both partitions, then stopped polling (its stream cancelled). */
  private GroupConsumer zombie() {
    GroupConsumer a = client.consumer(options(1_000));
    AssertSubscriber<ConsumerRecord> records = AssertSubscriber.create(10);
    a.records().subscribe().withSubscriber(records);
    records.awaitItems(10, WAIT);
    records.cancel();
    assertThat(a.assignment()).containsExactlyInAnyOrder(T0, T1);
    return a;
  }

  /** A second member that takes both partitions once the zombie's session passed, and commits them. */
  private GroupConsumer successorOwningEverything() {
    GroupConsumer b = client.consumer(options(60_000));
    b.records().subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
    await("the successor to own both partitions (the zombie evicted)").atMost(Duration.ofMinutes(1))
        .until(() -> b.assignment().size() == 2);
    b.commit(Map.of(T0, 1L, T1, 1L)).await().atMost(WAIT);
    return b;
  }

  private Map<TopicPartition, Long> committed(GroupConsumer c) {
    Map<TopicPartition, Long> out = new java.util.HashMap<>();
    c.committed(Set.of(T0, T1)).await().atMost(WAIT).forEach((tp, o) -> out.put(tp, o.lastProcessed()));
    return out;
  }

  private static void assertCommitFailed(Runnable commit) {
    assertThatThrownBy(commit::run).isInstanceOf(CommitFailedException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isIn(ErrorCode.UNKNOWN_MEMBER_ID,
            ErrorCode.ILLEGAL_GENERATION));
  }

  @Test
  void aZombieEvictedPastItsSessionCannotCommitOverItsSuccessor() {
    GroupConsumer a = zombie();
    GroupConsumer b = successorOwningEverything();

    assertCommitFailed(() -> a.commit().await().atMost(WAIT));
    assertCommitFailed(() -> a.commit(Map.of(T0, 4L, T1, 4L)).await().atMost(WAIT));
    assertThat(committed(b)).isEqualTo(Map.of(T0, 1L, T1, 1L));
  }

  @Test
  void aZombieWhoseInstanceJoinedAgainBehindItsBackCannotCommitWhatItReadBefore() throws Exception {
    GroupConsumer a = zombie();
    String instance = admin.describeGroup("g").await().atMost(WAIT).members().get(0).instanceId();
    GroupConsumer b = successorOwningEverything();
    // A poll of the zombie's instance whose answer it never saw (a poll sent ahead): the instance joins again as a
    // new member and takes one partition back.
    WebClient web = io.sluice.broker.testing.TestClients.web(broker.httpPort());
    try {
      await("the zombie's instance to be a member again").atMost(Duration.ofMinutes(1))
          .until(() -> {
        web.get("/consumers/g/instances/" + instance + "/records?timeout=0").send().toCompletionStage()
            .toCompletableFuture().join();
        GroupDescription g = admin.describeGroup("g").await().atMost(WAIT);
        return g.state().equals("Stable") && g.members().size() == 2 && b.assignment().size() == 1;
      });
    } finally {
      web.close();
    }

    // The client still acts on what it read as the old member: committing it would overwrite b's partition.
    assertCommitFailed(() -> a.commit(Map.of(T0, 4L, T1, 4L)).await().atMost(WAIT));
    assertThat(committed(b)).isEqualTo(Map.of(T0, 1L, T1, 1L));
  }

  @Test
  void offsetsSentToATransactionWithTheMetadataOfAGenerationTheGroupLeftAreRefused() {
    GroupConsumer a = client.consumer(options(60_000));
    a.records().subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
    await("a to own both partitions").atMost(Duration.ofMinutes(1)).until(() -> a.assignment().size() == 2);
    GroupMetadata before = a.groupMetadata();
    assertThat(before.memberId()).isNotBlank();
    assertThat(before.generationId()).isGreaterThanOrEqualTo(0);

    GroupConsumer b = client.consumer(options(60_000));
    b.records().subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
    await("a and b to share").atMost(Duration.ofMinutes(1))
        .until(() -> a.assignment().size() == 1 && b.assignment().size() == 1);
    GroupMetadata now = a.groupMetadata();
    assertThat(now.generationId()).isGreaterThan(before.generationId());

    Producer tx = client.producer(ProducerOptions.defaults().transactionalId("loop").lingerMs(0));
    tx.initTransactions().await().atMost(WAIT);
    tx.beginTransaction();
    assertThatThrownBy(() -> tx.sendOffsetsToTransaction(Map.of(T0, 3L), before).await().atMost(WAIT))
        .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.errorCode())
            .isEqualTo(ErrorCode.ILLEGAL_GENERATION));
    tx.abortTransaction().await().atMost(WAIT);
    tx.beginTransaction();
    TopicPartition owned = a.assignment().iterator().next();
    tx.sendOffsetsToTransaction(Map.of(owned, 3L), a.groupMetadata()).await().atMost(WAIT);
    tx.commitTransaction().await().atMost(WAIT);
    assertThat(a.committed(Set.of(owned)).await().atMost(WAIT).get(owned).lastProcessed()).isEqualTo(2L);
  }
}
