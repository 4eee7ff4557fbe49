package io.sluice.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ElectionResult;
import io.sluice.api.ElectionType;
import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.broker.Broker;
import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.metadata.ZkPaths;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * No election hands a partition to a broker in controlled shutdown (as in Kafka): not the controller's election after
 * a leader dies, not a reassignment's leader move, not the preferred election of the leader-election API; nor to a
 * broker still starting. A broker is put in controlled shutdown (or held starting) here by marking its registration
 * as a stopping (or starting) broker does, while it stays up, so that each election meets it there.
 */
@Tag("several-brokers")
class ElectionsAvoidStoppingBrokersTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final RequestContext CALLER = RequestContext.SELF;
  private static final long WAIT_MS = 60_000;
  private static final String TOPIC = "replicated";
  /** Stopped without controlled shutdown, so that its partitions go through the dead-leader election. */
  private static final int CRASHING = 1;

  @TempDir
  Path dir;
  private InProcessCluster cluster;
  private CuratorFramework curator;

  @BeforeEach
  void startCluster() throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).set(CRASHING, BrokerConfig.CONTROLLED_SHUTDOWN_ENABLE, false)
        .start(3);
    await(observer().service().createTopic(CALLER, new NewTopic(TOPIC, 3, 3, Map.of())));
    await(observer().awaitMetadata(s -> IntStream.range(0, 3).allMatch(p -> state(s, p).isr().size() == 3),
        WAIT_MS));
    curator = CuratorFrameworkFactory.newClient(cluster.zookeeperConnect(), 10_000, 10_000,
        new ExponentialBackoffRetry(100, 3));
    curator.start();
    assertThat(curator.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
  }

  @AfterEach
  void stopAll() throws Exception {
    if (curator != null) {
      curator.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aDeadLeadersSuccessorIsNotABrokerInControlledShutdown() throws Exception {
    int p = ledBy(CRASHING);
    List<Integer> replicas = replicas(p);
    int next = replicas.stream().filter(b -> b != CRASHING).findFirst().orElseThrow(); // today's choice
    int other = replicas.stream().filter(b -> b != CRASHING && b != next).findFirst().orElseThrow();
    markStopping(next);
    int epoch = state(observer().metadata(), p).leaderEpoch();

    cluster.stop(CRASHING);

    MetadataSnapshot after = await(observer(next).awaitMetadata(s -> !s.liveBrokerIds().contains(CRASHING)
        && state(s, p).leader() != CRASHING, WAIT_MS));
    assertThat(state(after, p).leader()).as("the in-sync replica that is not stopping").isEqualTo(other);
    assertThat(state(after, p).leaderEpoch()).as("one move, not one to " + next + " and on").isEqualTo(epoch + 1);
  }

  @Test
  void aReassignmentMovesLeadershipToATargetReplicaNotInControlledShutdown() throws Exception {
    int p = ledBy(CRASHING);
    List<Integer> target = replicas(p).stream().filter(b -> b != CRASHING).toList();
    markStopping(target.get(0));
    int epoch = state(observer().metadata(), p).leaderEpoch();

    await(observer().service().alterPartitionReassignment(CALLER, new TopicPartition(TOPIC, p), target));

    MetadataSnapshot done = await(observer().awaitMetadata(s -> s.topic(TOPIC).orElseThrow().assignment().get(p)
        .equals(target), WAIT_MS));
    assertThat(state(done, p).leader()).as("not the stopping " + target.get(0)).isEqualTo(target.get(1));
    assertThat(state(done, p).leaderEpoch()).as("one move, not one to " + target.get(0) + " and on")
        .isEqualTo(epoch + 1);
  }

  @Test
  void thePreferredElectionRefusesAPreferredReplicaInControlledShutdown() throws Exception {
    int p = 0;
    int preferred = replicas(p).get(0);
    markStopping(preferred);
    await(observer().awaitMetadata(s -> state(s, p).leader() != preferred, WAIT_MS)); // the controller moved it off

    List<ElectionResult> results = await(observer().service().electLeaders(CALLER, ElectionType.PREFERRED,
        List.of(new TopicPartition(TOPIC, p))));

    assertThat(results).singleElement().satisfies(r -> {
      assertThat(r.errorCode()).isEqualTo(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE.code());
      assertThat(r.message()).contains("in controlled shutdown");
      assertThat(r.leader()).isNotEqualTo(preferred);
    });
    assertThat(state(observer().metadata(), p).leader()).isNotEqualTo(preferred);
  }

  /**
   * Kafka elects no fenced broker, and unfences one once it has caught up; Sluice's broker still starting (its
   * registration says so until its listeners serve) is not elected either, even as the only in-sync replica left,
   * and is elected as soon as its registration says it has started.
   */
  @Test
  void theSoleInSyncReplicaStillStartingLeadsOnceItHasStarted() throws Exception {
    String topic = "two-replicas";
    await(observer().service().createTopic(CALLER, new NewTopic(topic, 3, 2, Map.of())));
    await(observer().awaitMetadata(s -> IntStream.range(0, 3).allMatch(p -> state(s, topic, p).isr().size() == 2),
        WAIT_MS));
    MetadataSnapshot before = observer().metadata();
    int p = IntStream.range(0, 3).filter(i -> state(before, topic, i).leader() == CRASHING).findFirst().orElseThrow();
    int starting = before.topic(topic).orElseThrow().assignment().get(p).stream().filter(b -> b != CRASHING)
        .findFirst().orElseThrow();
    int epoch = state(before, topic, p).leaderEpoch();
    markStarting(starting, true);

    cluster.stop(CRASHING);

    MetadataSnapshot offline = await(observer().awaitMetadata(s -> !s.liveBrokerIds().contains(CRASHING)
        && state(s, topic, p).leader() != CRASHING, WAIT_MS));
    assertThat(state(offline, topic, p).leader()).as("no leader while " + starting + " starts")
        .isEqualTo(PartitionState.NO_LEADER);

    markStarting(starting, false);

    MetadataSnapshot led = await(observer().awaitMetadata(s -> state(s, topic, p).leader() != PartitionState.NO_LEADER,
        WAIT_MS));
    assertThat(state(led, topic, p).leader()).isEqualTo(starting);
    assertThat(state(led, topic, p).leaderEpoch()).as("offline, then led").isEqualTo(epoch + 2);
  }

  /** Marks {@code broker}'s registration as of a broker still starting (or started); the broker stays up. */
  private void markStarting(int broker, boolean starting) throws Exception {
    String path = ZkPaths.broker(broker);
    BrokerRegistration reg = BrokerRegistration.fromJson(broker, sluiceZnodes().getData().forPath(path));
    sluiceZnodes().setData().forPath(path, reg.withStarting(starting).toJson());
    cluster.awaitEverywhere(s -> s.brokersStarting().contains(broker) == starting);
  }

  /** Marks {@code broker}'s registration as a broker in controlled shutdown does; the broker stays up. */
  private void markStopping(int broker) throws Exception {
    String path = ZkPaths.broker(broker);
    BrokerRegistration reg = BrokerRegistration.fromJson(broker, sluiceZnodes().getData().forPath(path));
    sluiceZnodes().setData().forPath(path, reg.stopping().toJson());
    cluster.awaitEverywhere(s -> s.brokersInControlledShutdown().contains(broker));
  }

  private CuratorFramework sluiceZnodes() {
    return curator.usingNamespace(ZkPaths.NAMESPACE);
  }

  /** A broker that stays up through every test, other than {@code not}. */
  private Broker observer(int... not) {
    return cluster.brokers().entrySet().stream().filter(e -> e.getKey() != CRASHING
        && IntStream.of(not).noneMatch(n -> n == e.getKey())).findFirst().orElseThrow().getValue();
  }

  private int ledBy(int broker) {
    MetadataSnapshot s = cluster.broker(broker).metadata();
    return IntStream.range(0, 3).filter(p -> state(s, p).leader() == broker).findFirst().orElseThrow();
  }

  private List<Integer> replicas(int p) {
    return observer().metadata().topic(TOPIC).orElseThrow().assignment().get(p);
  }

  private static PartitionState state(MetadataSnapshot s, int partition) {
    return state(s, TOPIC, partition);
  }

  private static PartitionState state(MetadataSnapshot s, String topic, int partition) {
    return s.topic(topic).orElseThrow().states().get(partition);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(WAIT_MS, TimeUnit.MILLISECONDS);
  }
}
