package io.sluice.broker;

import io.sluice.api.RequestContext;

import io.sluice.api.Acks;
import io.sluice.api.NewTopic;
import io.sluice.api.TopicMetadata;

import static io.sluice.broker.testing.TestBatches.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.metadata.TopicState;
import io.sluice.broker.metadata.ZkPaths;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The broker follows metadata written by others (another broker, a later controller) through its cache. */
class MetadataFollowTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final long WAIT_MS = 20_000;

  @TempDir
  static Path dataDir;
  static Broker broker;
  static CuratorFramework root;
  static CuratorFramework other;

  @BeforeAll
  static void start() throws Exception {
    broker = TestBrokers.start(TestBrokers.config(dataDir, Map.of()), GUARD);
    root = CuratorFrameworkFactory.newClient(broker.zookeeperConnect(),
        new ExponentialBackoffRetry(100, 3));
    root.start();
    assertThat(root.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
    other = root.usingNamespace(ZkPaths.NAMESPACE);
  }

  @AfterAll
  static void stop() throws Exception {
    if (root != null) {
      root.close();
    }
    TestBrokers.close(broker);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  /** Writes a topic's znodes as another broker would, in one transaction. */
  private static void writeTopic(String name, List<Integer> replicas, PartitionState state) throws Exception {
    TopicState topic = new TopicState(name, UUID.randomUUID().toString(), replicas.size(), Map.of(),
        Map.of(0, replicas), Map.of());
    other.transaction().forOperations(
        other.transactionOp().create().forPath(ZkPaths.topic(name), topic.toJson()),
        other.transactionOp().create().forPath(ZkPaths.partitions(name)),
        other.transactionOp().create().forPath(ZkPaths.partition(name, 0)),
        other.transactionOp().create().forPath(ZkPaths.partitionState(name, 0), state.toJson()));
  }

  @Test
  void topicCreatedElsewhereIsServedHere() throws Exception {
    writeTopic("from-elsewhere", List.of(1), new PartitionState(1, 0, List.of(1), -1));

    await(broker.awaitMetadata(s -> s.topic("from-elsewhere").map(TopicState::isComplete).orElse(false), WAIT_MS));

    assertThat(await(broker.service().listTopics(RequestContext.SELF))).contains("from-elsewhere");
    TopicPartition tp = new TopicPartition("from-elsewhere", 0);
    assertThat(await(broker.service().produce(RequestContext.SELF, tp, batch("hello"), Acks.ALL)).batchBaseOffsets())
        .containsExactly(0L);
  }

  @Test
  void topicDeletedElsewhereIsDroppedHere() throws Exception {
    await(broker.service().createTopic(RequestContext.SELF, new NewTopic("deleted-elsewhere", 1, 1, Map.of())));
    TopicPartition tp = new TopicPartition("deleted-elsewhere", 0);
    await(broker.service().produce(RequestContext.SELF, tp, batch("x"), Acks.LEADER));

    other.delete().deletingChildrenIfNeeded().forPath(ZkPaths.topic("deleted-elsewhere"));
    await(broker.awaitMetadata(s -> s.topic("deleted-elsewhere").isEmpty(), WAIT_MS));

    assertThat(broker.hostedPartitions()).doesNotContain(tp);
    assertThatThrownBy(() -> await(broker.service().produce(RequestContext.SELF, tp, batch("y"), Acks.LEADER)))
        .isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  }

  @Test
  void partitionWhoseLeaderIsGoneIsMovedByTheControllerToAnInSyncReplica() throws Exception {
    writeTopic("orphaned", List.of(2, 1), new PartitionState(2, 3, List.of(2, 1), -1));

    await(broker.awaitMetadata(s -> s.topic("orphaned").map(t -> t.states().get(0))
        .map(st -> st.leader() == 1 && st.leaderEpoch() == 4).orElse(false), WAIT_MS));

    TopicMetadata m = await(broker.service().describeTopic(RequestContext.SELF, "orphaned"));
    assertThat(m.partitions().get(0).leader()).isEqualTo(1);
    assertThat(m.partitions().get(0).leaderEpoch()).isEqualTo(4);
    assertThat(await(broker.service().produce(RequestContext.SELF, new TopicPartition("orphaned", 0), batch("z"), Acks.LEADER))
        .batchBaseOffsets()).containsExactly(0L);
  }

  /** The request is forwarded to broker 3; this fake broker 3 has no event-bus endpoint, so its leader is unreachable. */
  @Test
  void partitionLedByALiveOtherBrokerIsForwardedToItsLeader() throws Exception {
    other.create().withMode(org.apache.zookeeper.CreateMode.EPHEMERAL).forPath(ZkPaths.broker(3),
        new io.sluice.broker.metadata.BrokerRegistration(3, "127.0.0.1", 1, "node-3", "dir-3").toJson());
    writeTopic("led-by-three", List.of(3, 1), new PartitionState(3, 0, List.of(3, 1), -1));
    await(broker.awaitMetadata(s -> s.topic("led-by-three").map(TopicState::isComplete).orElse(false)
        && s.liveBrokers().containsKey(3), WAIT_MS));

    assertThatThrownBy(() -> await(broker.service().produce(RequestContext.SELF, new TopicPartition("led-by-three", 0), batch("n"),
        Acks.LEADER))).isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(ErrorCode.LEADER_NOT_AVAILABLE))
        .hasMessageContaining("Broker 3 cannot be reached");
    assertThat(await(broker.service().describeTopic(RequestContext.SELF, "led-by-three")).partitions().get(0).leader()).isEqualTo(3);

    // The fake broker leaves: a live broker that never answers would hold every later topic change for the
    // propagation bound (metadata.propagation.timeout.ms) and fail it.
    other.delete().forPath(ZkPaths.broker(3));
    await(broker.awaitMetadata(s -> !s.liveBrokers().containsKey(3), WAIT_MS));
  }
}
