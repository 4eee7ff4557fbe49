package io.sluice.broker;

import io.sluice.api.RequestContext;

import io.sluice.api.BrokerService;
import io.sluice.api.NewTopic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** max.partitions.per.topic, max.partitions.per.broker and min.insync.replicas against a real broker. */
class TopicLimitsTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final int PER_TOPIC = 10;
  private static final int PER_BROKER = 20;

  @TempDir
  static Path dataDir;
  static Broker broker;
  static BrokerService service;

  @BeforeAll
  static void startBroker() throws Exception {
    broker = TestBrokers.start(TestBrokers.config(dataDir, Map.of("max.partitions.per.topic", PER_TOPIC,
        "max.partitions.per.broker", PER_BROKER, "offsets.topic.num.partitions", 1)), GUARD);
    service = broker.service();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    TestBrokers.close(broker);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  private static void assertRefused(ThrowingCallable call, ErrorCode code, String... messageParts) {
    assertThatThrownBy(call).isInstanceOf(SluiceException.class)
        .satisfies(e -> assertThat(((SluiceException) e).errorCode()).isEqualTo(code))
        .satisfies(e -> assertThat(((SluiceException) e).errorCode().httpStatus()).isEqualTo(400))
        .hasMessageContainingAll(messageParts);
  }

  private static int hostedNow() throws Exception {
    int n = 0;
    for (String t : await(service.listTopics(RequestContext.SELF))) {
      n += await(service.describeTopic(RequestContext.SELF, t)).partitionCount();
    }
    return n;
  }

  @Test
  void limitsOnPartitionsPerTopicAndPerBrokerAreEnforcedOnCreateAndGrow() throws Exception {
    assertRefused(() -> await(service.createTopic(RequestContext.SELF, new NewTopic("too-wide", PER_TOPIC + 1, 1, Map.of()))),
        ErrorCode.INVALID_PARTITIONS, "max.partitions.per.topic", "" + PER_TOPIC);
    await(service.createTopic(RequestContext.SELF, new NewTopic("wide", PER_TOPIC, 1, Map.of())));
    assertRefused(() -> await(service.createPartitions(RequestContext.SELF, "wide", PER_TOPIC + 1)), ErrorCode.INVALID_PARTITIONS,
        "max.partitions.per.topic");

    int room = PER_BROKER - hostedNow();
    await(service.createTopic(RequestContext.SELF, new NewTopic("fill", room - 1, 1, Map.of())));
    await(service.createTopic(RequestContext.SELF, new NewTopic("last", 1, 1, Map.of())));
    assertRefused(() -> await(service.createTopic(RequestContext.SELF, new NewTopic("one-too-many", 1, 1, Map.of()))),
        ErrorCode.INVALID_PARTITIONS, "max.partitions.per.broker", "" + PER_BROKER, "Broker 1");
    assertRefused(() -> await(service.createPartitions(RequestContext.SELF, "last", 2)), ErrorCode.INVALID_PARTITIONS,
        "max.partitions.per.broker");
    assertThat(await(service.listTopics(RequestContext.SELF))).doesNotContain("too-wide", "one-too-many");
    assertThat(await(service.describeTopic(RequestContext.SELF, "last")).partitionCount()).isEqualTo(1);

    await(service.deleteTopic(RequestContext.SELF, "fill"));
    assertThat(await(service.createPartitions(RequestContext.SELF, "last", 2)).partitionCount()).isEqualTo(2);
  }

  @Test
  void aReplicationFactorBelowMinInsyncReplicasIsRefused() {
    assertRefused(() -> await(service.createTopic(RequestContext.SELF, new NewTopic("never-writable", 1, 1,
            Map.of("min.insync.replicas", "2")))), ErrorCode.INVALID_REPLICATION_FACTOR, "min.insync.replicas",
        "Replication factor 1");
  }
}
