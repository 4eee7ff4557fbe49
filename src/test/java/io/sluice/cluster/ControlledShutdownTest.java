package io.sluice.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.broker.Broker;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.config.BrokerConfig;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's controlled shutdown: a broker stopping cleanly has the controller move the leadership of its partitions to
 * other in-sync replicas while it still serves (before, leadership moved only once its registration was gone, so
 * clients met a broker that was going away), and keeps leading a partition no other replica can take.
 */
@Tag("several-brokers")
class ControlledShutdownTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final RequestContext CALLER = RequestContext.SELF;
  private static final long WAIT_MS = 60_000;

  @TempDir
  Path dir;
  private InProcessCluster cluster;

  @AfterEach
  void stopAll() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private void startCluster(boolean controlledShutdown) throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).set(BrokerConfig.CONTROLLED_SHUTDOWN_ENABLE, controlledShutdown)
        .start(3);
    await(broker(1).service().createTopic(CALLER, new NewTopic("replicated", 3, 2, Map.of())));
    await(broker(1).service().createTopic(CALLER, new NewTopic("single", 3, 1, Map.of())));
    await(broker(1).awaitMetadata(s -> IntStream.range(0, 3).allMatch(p ->
        state(s, "replicated", p).isr().size() == 2 && state(s, "single", p).leader() > 0), WAIT_MS));
  }

  private Broker broker(int id) {
    return cluster.broker(id);
  }

  /** A broker leading a partition of "replicated", and that partition. */
  private TopicPartition ledBy(int broker) {
    MetadataSnapshot s = broker(1).metadata();
    return IntStream.range(0, 3).filter(p -> state(s, "replicated", p).leader() == broker).mapToObj(p ->
        new TopicPartition("replicated", p)).findFirst().orElseThrow();
  }

  private TopicPartition singleOn(int broker) {
    MetadataSnapshot s = broker(1).metadata();
    return IntStream.range(0, 3).filter(p -> state(s, "single", p).leader() == broker).mapToObj(p ->
        new TopicPartition("single", p)).findFirst().orElseThrow();
  }

  @Test
  void aStoppingBrokersLeadershipMovesToAnInSyncReplicaBeforeItGoes() throws Exception {
    startCluster(true);
    int stopping = 2;
    TopicPartition replicated = ledBy(stopping);
    TopicPartition single = singleOn(stopping);
    Broker broker = broker(stopping);
    // the stopping broker's own view, in order: it deregisters only after it saw the move
    Future<MetadataSnapshot> movedWhileThere = broker.awaitMetadata(s -> s.liveBrokerIds().contains(stopping)
        && state(s, replicated.topic(), replicated.partition()).leader() != stopping, WAIT_MS);

    cluster.stop(stopping);

    assertThat(movedWhileThere.succeeded()).as("a snapshot showed the move while the broker was there").isTrue();
    MetadataSnapshot there = await(movedWhileThere);
    PartitionState moved = state(there, replicated.topic(), replicated.partition());
    assertThat(moved.leader()).as("led by another in-sync replica").isNotIn(stopping, PartitionState.NO_LEADER);
    assertThat(moved.isr()).as("the stopping broker follows on until it goes").contains(stopping);
    assertThat(state(there, single.topic(), single.partition()).leader()).as("no other replica: still its own")
        .isEqualTo(stopping);
    MetadataSnapshot after = await(broker(1).awaitMetadata(s -> !s.liveBrokerIds().contains(stopping)
        && !state(s, replicated.topic(), replicated.partition()).isr().contains(stopping), WAIT_MS));
    assertThat(state(after, replicated.topic(), replicated.partition()).leader()).isEqualTo(moved.leader());
  }

  @Test
  void withControlledShutdownOffLeadershipMovesOnlyOnceTheBrokerIsGone() throws Exception {
    startCluster(false);
    int stopping = 2;
    TopicPartition replicated = ledBy(stopping);
    Future<MetadataSnapshot> movedWhileThere = broker(1).awaitMetadata(s -> s.liveBrokerIds().contains(stopping)
        && state(s, replicated.topic(), replicated.partition()).leader() != stopping, WAIT_MS);

    cluster.stop(stopping);

    await(broker(1).awaitMetadata(s -> !s.liveBrokerIds().contains(stopping)
        && state(s, replicated.topic(), replicated.partition()).leader() > 0
        && state(s, replicated.topic(), replicated.partition()).leader() != stopping, WAIT_MS));
    assertThat(movedWhileThere.isComplete()).as("no snapshot showed the move while the broker was there").isFalse();
  }

  private static PartitionState state(MetadataSnapshot s, String topic, int partition) {
    return s.topic(topic).orElseThrow().states().get(partition);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(WAIT_MS, TimeUnit.MILLISECONDS);
  }
}
