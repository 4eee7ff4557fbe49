package io.sluice.broker;

import io.sluice.api.RequestContext;

import io.sluice.api.BrokerService;
import io.sluice.api.Acks;
import io.sluice.api.FetchRequest;
import io.sluice.api.NewTopic;
import io.sluice.api.OffsetRange;
import io.sluice.api.TopicMetadata;

import static io.sluice.broker.testing.TestBatches.batch;
import static io.sluice.broker.testing.TestBatches.offsetsAndValues;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.LoaderMessages;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** What a broker knows survives a clean restart on the same data directory, and the restart is clean. */
class BrokerRestartTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dataDir;
  Broker broker;

  @RegisterExtension
  final LoaderMessages loader = new LoaderMessages();

  @AfterEach
  void stop() throws Exception {
    TestBrokers.close(broker);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  @Test
  void topicsDataAndOffsetsSurviveACleanRestartWithoutRecovery() throws Exception {
    BrokerConfig config = TestBrokers.config(dataDir, Map.of());
    broker = TestBrokers.start(config, GUARD);
    BrokerService service = broker.service();
    TopicMetadata created = await(service.createTopic(RequestContext.SELF, new NewTopic("kept", 2, 1, Map.of("retention.ms", "86400000"))));
    TopicPartition p0 = new TopicPartition("kept", 0);
    TopicPartition p1 = new TopicPartition("kept", 1);
    await(service.produce(RequestContext.SELF, p0, batch("a", "b"), Acks.ALL));
    await(service.produce(RequestContext.SELF, p1, batch("c"), Acks.LEADER));
    await(broker.close());
    assertThat(java.nio.file.Files.readString(dataDir.resolve("replication-offset-checkpoint")))
        .as("clean shutdown checkpoints every replica's high watermark").isEqualTo("0\n2\nkept 0 2\nkept 1 1\n");

    loader.capture();
    broker = TestBrokers.start(config, GUARD);
    service = broker.service();

    assertThat(await(service.listTopics(RequestContext.SELF))).containsExactly("kept");
    assertThat(await(service.describeTopic(RequestContext.SELF, "kept"))).isEqualTo(created);
    assertThat(offsetsAndValues(await(service.fetch(RequestContext.SELF, new FetchRequest(p0, 0, 1 << 20, 1, 0))).batches().readBytes()))
        .containsExactly("0=a", "1=b");
    assertThat(await(service.offsets(RequestContext.SELF, p1))).isEqualTo(new OffsetRange(0, 1));
    assertThat(await(service.produce(RequestContext.SELF, p0, batch("d"), Acks.LEADER)).batchBaseOffsets()).containsExactly(2L);
    // After a clean shutdown the loader neither scans nor reports an unclean start.
    assertThat(loader.messages()).noneMatch(m -> m.contains("kept-"));
    // Control: the capture works (a brand-new log has no clean marker, and the loader says so).
    await(service.createTopic(RequestContext.SELF, new NewTopic("fresh", 1, 1, Map.of())));
    assertThat(loader.messages()).anyMatch(m -> m.contains("fresh-0: unclean start"));
  }

  @Test
  void restartReregistersTheBrokerAtOnceAfterACleanShutdown() throws Exception {
    BrokerConfig config = TestBrokers.config(dataDir, Map.of());
    broker = TestBrokers.start(config, GUARD);
    assertThat(broker.metadata().liveBrokers()).containsKey(1);
    await(broker.close());

    broker = TestBrokers.start(config, GUARD);

    assertThat(await(broker.awaitMetadata(s -> s.liveBrokers().containsKey(1), 10_000)).liveBrokers().get(1)
        .httpPort()).isEqualTo(broker.httpPort());
  }
}
