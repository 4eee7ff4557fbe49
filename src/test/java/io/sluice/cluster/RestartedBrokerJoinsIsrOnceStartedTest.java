package io.sluice.cluster;

import static io.sluice.broker.testing.TestBatches.batch;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Acks;
import io.sluice.api.Listener;
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
import io.vertx.core.Promise;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * KIP-841: a restarted broker rejoins the ISR only once it has started (its registration no longer says starting),
 * not as soon as its follower fetches reach the high watermark while it is still starting (recovering logs, bringing
 * up its services). Here its start is held by a listener that does not finish starting until the test lets it.
 */
@Tag("several-brokers")
class RestartedBrokerJoinsIsrOnceStartedTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final long WAIT_MS = InProcessCluster.WAIT_MS;
  private static final TopicPartition TP = new TopicPartition("replicated", 0);

  @Test
  void aCaughtUpFollowerStillStartingStaysOutOfTheIsrUntilItHasStarted(@TempDir Path dir) throws Exception {
    Promise<Void> release = Promise.promise();
    try (InProcessCluster cluster = InProcessCluster.create(dir, GUARD)
        .set(BrokerConfig.REPLICA_FETCH_WAIT_MAX_MS, 100L).start(2)) {
      Broker leader = cluster.broker(1);
      await(leader.service().createTopic(RequestContext.SELF, new NewTopic(TP.topic(), 1, 2, Map.of())));
      int leaderId = await(leader.awaitMetadata(s -> state(s).isr().size() == 2, WAIT_MS)).topic(TP.topic())
          .orElseThrow().states().get(0).leader();
      int follower = 3 - leaderId;
      Broker leading = cluster.broker(leaderId);
      await(leading.service().produce(RequestContext.SELF, TP, batch("before"), Acks.ALL));

      cluster.stop(follower);
      await(leading.awaitMetadata(s -> state(s).isr().equals(java.util.List.of(leaderId)), WAIT_MS));
      await(leading.service().produce(RequestContext.SELF, TP, batch("while down"), Acks.ALL));
      long emptyBefore = leading.replicaFetchesServed().emptyFetches();

      Future<Broker> restarted = cluster.startBrokerAsync(follower, config -> new HeldListener(release.future()));
      await(leading.awaitMetadata(s -> s.brokersStarting().contains(follower), WAIT_MS));
      // An empty answer is a fetch at the leader's log end (nothing new): caught up, and asked about the ISR. Three of
      // them leave the old rule's ISR write (proposed at the first) time to show.
      org.awaitility.Awaitility.await().atMost(Duration.ofMillis(WAIT_MS)).until(() -> state(leading.metadata()).isr().contains(follower)
          || leading.replicaFetchesServed().emptyFetches() >= emptyBefore + 3);
      MetadataSnapshot held = leading.metadata();
      assertThat(held.brokersStarting()).as("still held starting").contains(follower);
      assertThat(state(held).isr()).as("a caught-up follower still starting is not in sync").containsExactly(leaderId);

      release.complete();
      await(restarted);
      MetadataSnapshot joined = await(leading.awaitMetadata(s -> state(s).isr().contains(follower), WAIT_MS));
      assertThat(joined.brokersStarting()).as("joined once started").doesNotContain(follower);
    } finally {
      release.tryComplete();
    }
  }

  private static PartitionState state(MetadataSnapshot s) {
    return s.topic(TP.topic()).map(t -> t.states().get(TP.partition())).orElse(PartitionState.initial(
        java.util.List.of(-1)));
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(WAIT_MS, TimeUnit.MILLISECONDS);
  }

  /** A listener whose start completes when {@code released} does: the broker stays starting until then. */
  private record HeldListener(Future<Void> released) implements Listener {
    @Override
    public String name() {
      return "held";
    }

    @Override
    public Future<Endpoint> start(io.vertx.core.Vertx vertx, io.sluice.api.Services services) {
      return released.map(v -> new Endpoint("held", "held", "127.0.0.1", 0));
    }

    @Override
    public Future<Void> stop() {
      return Future.succeededFuture();
    }
  }
}
