package io.sluice.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.RequestContext;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.InProcessCluster;
import io.sluice.client.ConsumerOptions;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.GroupConsumer;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.SluiceClient;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A group's first use while fewer brokers are up than {@code offsets.topic.replication.factor} (one of three stopped,
 * as in a rolling restart) is refused COORDINATOR_NOT_AVAILABLE (15, retriable), as Kafka answers a coordinator lookup
 * until {@code __consumer_offsets} can be created, and the Java consumer retries it: once the broker is back the group
 * works without an error to the caller. Before, the refusal was INVALID_REPLICATION_FACTOR (38), for good.
 */
@Tag("several-brokers")
class OffsetsTopicBelowReplicationFactorTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final Duration WAIT = Duration.ofMillis(InProcessCluster.WAIT_MS);
  private static final String OFFSETS_TOPIC = "__consumer_offsets";

  @Test
  void theGroupWaitsForTheThirdBrokerInsteadOfFailing(@TempDir Path dir) throws Exception {
    try (InProcessCluster cluster = InProcessCluster.create(dir, GUARD)
        .set(BrokerConfig.OFFSETS_TOPIC_REPLICATION_FACTOR, 3).withHttp(1)) {
      firstGroupUseWithOneOfThreeBrokersStopped(cluster.start(3));
    }
  }

  /**
   * {@code offsets.topic.replication.factor} -1 (the default) takes min(3, the brokers the cluster has had), not
   * min(3, those up now): with one of three stopped the topic waits for it, as with an explicit 3, instead of being
   * created with two replicas for good.
   */
  @Test
  void theDefaultFactorCountsTheBrokersTheClusterHasHadNotThoseUpNow(@TempDir Path dir) throws Exception {
    try (InProcessCluster cluster = InProcessCluster.create(dir, GUARD).withHttp(1)) {
      firstGroupUseWithOneOfThreeBrokersStopped(cluster.start(3));
    }
  }

  private static void firstGroupUseWithOneOfThreeBrokersStopped(InProcessCluster cluster) throws Exception {
    SluiceClient client = cluster.client(1);
    client.admin().createTopic("t", 1, 3, Map.of()).await().atMost(WAIT);
    client.producer(ProducerOptions.defaults()).send(ProducerRecord.of("t", null, "r0")).await().atMost(WAIT);
    cluster.stop(3);
    cluster.awaitLive();

    Throwable refused = cluster.broker(1).services().groups().fetchOffsets(RequestContext.SELF, "g", null)
        .toCompletionStage().toCompletableFuture().handle((r, t) -> t).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(refused).isInstanceOf(SluiceException.class);
    assertThat(((SluiceException) refused).errorCode()).as(refused.getMessage())
        .isEqualTo(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    assertThat(refused.getMessage()).contains(OFFSETS_TOPIC, "retry");

    GroupConsumer consumer = client.consumer(ConsumerOptions.of("g", List.of("t")).fetchMaxWaitMs(100));
    AssertSubscriber<ConsumerRecord> records = consumer.records().subscribe()
        .withSubscriber(AssertSubscriber.create(1));
    cluster.startBroker(3);
    cluster.awaitLive();
    records.awaitItems(1, WAIT).assertNotTerminated();
    assertThat(new String(records.getItems().get(0).value(), StandardCharsets.UTF_8)).isEqualTo("r0");
    consumer.commit().await().atMost(WAIT);
    assertThat(client.admin().describeTopic(OFFSETS_TOPIC).await().atMost(WAIT).partitions().get(0).replicas())
        .hasSize(3);
    records.cancel();
  }
}
