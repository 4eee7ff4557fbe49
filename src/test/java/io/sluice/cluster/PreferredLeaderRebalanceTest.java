package io.sluice.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
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
 * A restarted broker gets its preferred leaderships back from the controller's periodic check, and only once it has
 * finished starting: its registration says "starting" until then. Handing them back as soon as it was in sync (up to
 * seconds before it had started) moved a group coordinator a second time in every rolling restart.
 */
@Tag("several-brokers")
class PreferredLeaderRebalanceTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final long WAIT_MS = 60_000;
  private static final String TOPIC = "replicated";
  private static final int RESTARTED = 2;

  @TempDir
  Path dir;
  private InProcessCluster cluster;

  @AfterEach
  void stopAll() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aRestartedBrokerLeadsItsPreferredPartitionAgainOnlyOnceItHasStarted() throws Exception {
    cluster = InProcessCluster.create(dir, GUARD).set(BrokerConfig.AUTO_LEADER_REBALANCE_ENABLE, true)
        .set(BrokerConfig.LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS, 1L).start(3);
    Broker observer = cluster.broker(1);
    await(observer.service().createTopic(RequestContext.SELF, new NewTopic(TOPIC, 3, 3, Map.of())));
    MetadataSnapshot created = await(observer.awaitMetadata(s -> IntStream.range(0, 3)
        .allMatch(p -> state(s, p) != null && state(s, p).isr().size() == 3 && state(s, p).leader() == preferred(s, p)),
        WAIT_MS));
    int p = IntStream.range(0, 3).filter(i -> preferred(created, i) == RESTARTED).findFirst().orElseThrow();
    assertThat(created.brokersStarting()).as("every broker has started").isEmpty();

    cluster.stop(RESTARTED);
    await(observer.awaitMetadata(s -> state(s, p).leader() != RESTARTED, WAIT_MS));
    Future<MetadataSnapshot> seenStarting = observer.awaitMetadata(s -> s.brokersStarting().contains(RESTARTED),
        WAIT_MS);
    Future<MetadataSnapshot> ledAgain = observer.awaitMetadata(s -> state(s, p).leader() == RESTARTED, WAIT_MS);
    cluster.startBroker(RESTARTED);

    assertThat(await(seenStarting).liveBrokerIds()).contains(RESTARTED);
    MetadataSnapshot first = await(ledAgain);
    assertThat(first.brokersStarting()).as("leading again only once started").doesNotContain(RESTARTED);
    assertThat(first.liveBrokerIds()).contains(RESTARTED);
  }

  private static int preferred(MetadataSnapshot s, int p) {
    return s.topic(TOPIC).orElseThrow().assignment().get(p).get(0);
  }

  private static PartitionState state(MetadataSnapshot s, int p) {
    return s.topic(TOPIC).map(t -> t.states().get(p)).orElse(null);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(WAIT_MS, TimeUnit.MILLISECONDS);
  }
}
