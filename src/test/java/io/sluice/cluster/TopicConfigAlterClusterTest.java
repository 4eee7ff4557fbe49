package io.sluice.cluster;

import static io.sluice.broker.testing.TestBatches.batch;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sluice.api.Acks;
import io.sluice.api.ConfigAlteration;
import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicConfigEntry;
import io.sluice.api.TopicPartition;
import io.sluice.broker.Broker;
import io.sluice.broker.metadata.PartitionState;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A topic config altered through one broker reaches every replica at runtime, leaders and followers alike, and
 * outlives a leader change and a broker restart. Two brokers: partition 0 is led by broker 1, partition 1 by broker 2
 * (round robin), each followed by the other.
 */
@Tag("several-brokers")
class TopicConfigAlterClusterTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final RequestContext CALLER = RequestContext.SELF;
  private static final TopicPartition P0 = new TopicPartition("t", 0);
  private static final TopicPartition P1 = new TopicPartition("t", 1);

  @TempDir
  Path dir;
  private InProcessCluster cluster;
  private Broker first;
  private Broker second;

  @BeforeEach
  void create() {
    cluster = InProcessCluster.create(dir, GUARD).set(BrokerConfig.REPLICA_LAG_TIME_MAX_MS, 2_000);
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  private Broker startSecond() throws Exception {
    Broker b = cluster.startBroker(2);
    await(first.awaitMetadata(s -> s.liveBrokerIds().contains(2), 30_000));
    return b;
  }

  @Test
  void anAlteredConfigReachesFollowersAndOutlivesALeaderChangeAndARestart() throws Exception {
    first = cluster.startBroker(1);
    second = startSecond();
    await(first.service().createTopic(CALLER, new NewTopic("t", 2, 2, Map.of("max.message.bytes", "4096"))));
    assertThat(state(P1).leader()).as("partition 1's leader").isEqualTo(2);
    ByteBuffer large = batch("x".repeat(6000));
    assertRefused(first.service().produce(CALLER, P1, large.duplicate(), Acks.ALL), ErrorCode.MESSAGE_TOO_LARGE);

    List<TopicConfigEntry> altered = await(second.service().alterTopicConfigs(CALLER, "t", List.of(
        ConfigAlteration.set("max.message.bytes", "10000"), ConfigAlteration.set("min.insync.replicas", "2")), false));

    assertThat(altered).filteredOn(e -> e.name().equals("max.message.bytes")).singleElement()
        .satisfies(e -> assertThat(e.value()).isEqualTo("10000"))
        .satisfies(e -> assertThat(e.source()).isEqualTo(TopicConfigEntry.TOPIC));
    // The answer comes once broker 2 shows the change; each broker follows ZooKeeper on its own (as Kafka's brokers
    // apply an alteration asynchronously), so the produces below wait until broker 1 shows it too.
    await(first.awaitMetadata(s -> "10000".equals(s.topic("t").orElseThrow().configs().get("max.message.bytes")),
        30_000));
    // acks=all: the follower must take the larger batch too (it checks the size of what it copies)
    assertThat(await(first.service().produce(CALLER, P0, large.duplicate(), Acks.ALL)).batchBaseOffsets())
        .containsExactly(0L);
    assertThat(await(first.service().produce(CALLER, P1, large.duplicate(), Acks.ALL)).batchBaseOffsets())
        .containsExactly(0L);

    cluster.stop(2);
    second = null;
    await(first.awaitMetadata(s -> isr(s.topic("t").orElseThrow().states().get(1)).equals(List.of(1)), 30_000));
    assertThat(state(P1).leader()).as("partition 1's leader after broker 2 stopped").isEqualTo(1);
    assertThat(await(first.service().produce(CALLER, P1, large.duplicate(), Acks.LEADER)).batchBaseOffsets())
        .as("the new leader, a follower when the config changed").containsExactly(1L);
    assertRefused(first.service().produce(CALLER, P1, batch("small"), Acks.ALL), ErrorCode.NOT_ENOUGH_REPLICAS);

    second = startSecond();
    await(first.awaitMetadata(s -> isr(s.topic("t").orElseThrow().states().get(1)).size() == 2, 60_000));
    assertThat(await(first.service().produce(CALLER, P1, large.duplicate(), Acks.ALL)).batchBaseOffsets())
        .as("the restarted follower opened with the altered config").containsExactly(2L);
  }

  private PartitionState state(TopicPartition tp) {
    return first.metadata().topic(tp.topic()).orElseThrow().states().get(tp.partition());
  }

  private static List<Integer> isr(PartitionState s) {
    return s.isr();
  }

  private static void assertRefused(Future<?> call, ErrorCode code) {
    Throwable t = catchThrowable(() -> await(call));
    assertThat(t).isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.errorCode()).isEqualTo(code));
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(90, TimeUnit.SECONDS);
  }
}
