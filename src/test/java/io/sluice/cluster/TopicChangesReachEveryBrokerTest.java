package io.sluice.cluster;

import static io.sluice.broker.testing.TestBatches.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sluice.api.Acks;
import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A topic change answered by one broker has reached every live broker: a call for a topic just created, made through
 * any broker and forwarded to any leader, finds it. Broker 2 follows ZooKeeper through a {@link TcpProxy} that the
 * test holds, so its metadata lags exactly as long as the test wants: the window in which a produce forwarded to it
 * was answered 404 "topic does not exist" right after the creation's 201.
 */
@Tag("several-brokers")
class TopicChangesReachEveryBrokerTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final RequestContext CALLER = RequestContext.SELF;
  /** Long enough that a held link (at most a few seconds here) never costs broker 2 its connection. */
  private static final int SESSION_TIMEOUT_MS = 30_000;

  @TempDir
  Path dir;
  private InProcessCluster cluster;
  private Broker first;
  private Broker second;
  private TcpProxy secondsZooKeeper;

  @AfterEach
  void stop() throws Exception {
    if (secondsZooKeeper != null) {
      secondsZooKeeper.release();
    }
    if (cluster != null) {
      cluster.close();
    }
    if (secondsZooKeeper != null) {
      secondsZooKeeper.close();
    }
  }

  /** Broker 1 reaching ZooKeeper directly, broker 2 through the proxy; both wait {@code waitMs}. */
  private void startBrokers(long waitMs) throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).set(BrokerConfig.ZOOKEEPER_SESSION_TIMEOUT_MS, SESSION_TIMEOUT_MS)
        .set("metadata.propagation.timeout.ms", waitMs);
    secondsZooKeeper = TcpProxy.to(cluster.zookeeperConnect());
    cluster.set(2, BrokerConfig.ZOOKEEPER_CONNECT, secondsZooKeeper.address());
    first = cluster.startBroker(1);
    second = cluster.startBroker(2);
    await(first.awaitMetadata(s -> s.liveBrokerIds().contains(2), 30_000));
  }

  /**
   * Partition 1 of a two-partition topic is placed on broker 2 (round robin over the brokers by id). While broker 2
   * cannot see the topic, broker 1 must not answer the creation as done: it used to answer 201 at once, and the
   * produce it then forwarded to broker 2 was refused with UNKNOWN_TOPIC_OR_PARTITION (404).
   */
  @Test
  void aCreationIsNotAnsweredWhileALiveBrokerCannotSeeTheTopic() throws Exception {
    startBrokers(1_000);
    secondsZooKeeper.hold();
    Throwable created = catchThrowable(() -> await(first.service().createTopic(CALLER, new NewTopic("t", 2, 1,
        Map.of()))));
    Throwable produced = created != null ? null : catchThrowable(() -> await(first.service().produce(CALLER,
        new TopicPartition("t", 1), batch("v"), Acks.LEADER)));
    assertThat(produced).as("a produce right after the creation's success").isNull();
    assertThat(created).as("the creation, broker 2 not seeing it").isInstanceOfSatisfying(SluiceException.class,
        e -> {
          assertThat(e.errorCode()).isEqualTo(ErrorCode.REQUEST_TIMED_OUT);
          assertThat(e.getMessage()).contains("'t'").contains("[2]").contains("metadata.propagation.timeout.ms");
        });

    // Once broker 2 catches up the topic, created all along, serves through either broker.
    secondsZooKeeper.release();
    await(second.awaitMetadata(s -> s.topic("t").isPresent(), 30_000));
    assertThat(await(second.service().describeTopic(CALLER, "t")).partitions()).hasSize(2);
  }

  /** Likewise a deletion: broker 2 would still serve the deleted topic's partition (and refuse its re-creation). */
  @Test
  void aDeletionIsNotAnsweredWhileALiveBrokerStillShowsTheTopic() throws Exception {
    startBrokers(1_000);
    await(first.service().createTopic(CALLER, new NewTopic("t", 2, 1, Map.of())));
    secondsZooKeeper.hold();
    Throwable deleted = catchThrowable(() -> await(first.service().deleteTopic(CALLER, "t")));
    assertThat(deleted).isInstanceOfSatisfying(SluiceException.class, e -> {
      assertThat(e.errorCode()).isEqualTo(ErrorCode.REQUEST_TIMED_OUT);
      assertThat(e.getMessage()).contains("'t'").contains("[2]").contains("did not drop it");
    });

    secondsZooKeeper.release();
    await(second.awaitMetadata(s -> s.topic("t").isEmpty(), 30_000));
  }

  /**
   * The creation waits for broker 2 and is answered once broker 2 shows the topic and hosts its replica: a produce
   * through broker 1 to broker 2's partition, sent at once, is appended.
   */
  @Test
  void aCreationIsAnsweredOnceEveryLiveBrokerShowsTheTopic() throws Exception {
    startBrokers(60_000);
    secondsZooKeeper.hold();
    Future<?> created = first.service().createTopic(CALLER, new NewTopic("t", 2, 1, Map.of()));
    await(first.awaitMetadata(s -> s.topic("t").isPresent(), 30_000));
    assertThat(created.isComplete()).as("answered while broker 2 cannot see the topic").isFalse();
    secondsZooKeeper.release();
    await(created);
    assertThat(second.hostedPartitions()).contains(new TopicPartition("t", 1));
    assertThat(await(first.service().produce(CALLER, new TopicPartition("t", 1), batch("v"), Acks.LEADER))
        .batchBaseOffsets()).containsExactly(0L);
  }

  /**
   * A deletion is answered once no live broker shows the topic: a topic of the same name created right after
   * through broker 2 is the new one everywhere, and a produce forwarded to broker 2 lands in the new topic's
   * partition (offset 0), not in the deleted topic's.
   */
  @Test
  void aDeletedAndRecreatedTopicIsTheNewOneOnEveryBroker() throws Exception {
    startBrokers(60_000);
    await(first.service().createTopic(CALLER, new NewTopic("t", 2, 1, Map.of())));
    await(first.service().produce(CALLER, new TopicPartition("t", 1), batch("old"), Acks.LEADER));
    secondsZooKeeper.hold();
    Future<Void> deleted = first.service().deleteTopic(CALLER, "t");
    await(first.awaitMetadata(s -> s.topic("t").isEmpty(), 30_000));
    secondsZooKeeper.release();
    await(deleted);
    assertThat(second.metadata().topic("t")).isEmpty();

    await(second.service().createTopic(CALLER, new NewTopic("t", 3, 1, Map.of())));
    assertThat(await(first.service().produce(CALLER, new TopicPartition("t", 1), batch("new"), Acks.LEADER))
        .batchBaseOffsets()).containsExactly(0L);
    assertThat(await(first.service().describeTopic(CALLER, "t")).partitions()).hasSize(3);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(90, TimeUnit.SECONDS);
  }
}
