package io.sluice.broker;

import io.sluice.api.RequestContext;
import io.sluice.api.Acks;
import io.sluice.api.NewTopic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.LoaderMessages;
import io.sluice.broker.testing.TestBatches;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import java.net.InetAddress;
import java.net.ServerSocket;
import io.sluice.storage.LogConfig;
import io.sluice.storage.LogManager;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker whose ZooKeeper goes away (an ensemble of one, stopped): it reports not ready, refuses calls that need
 * ZooKeeper at once with a retriable BROKER_NOT_AVAILABLE, fences its partitions after a session timeout, and rejoins
 * in place when the server comes back on the same disk; or, if it never does, still stops within its grace.
 */
class ZooKeeperLossTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  private static final int SESSION_TIMEOUT_MS = 2_000;
  private static final int SHUTDOWN_TIMEOUT_MS = 8_000;

  @TempDir
  Path dir;
  private EmbeddedZooKeeper zookeeper;
  private Broker broker;
  private int port;

  @AfterEach
  void tearDown() throws Exception {
    TestBrokers.close(broker);
    if (zookeeper != null) {
      zookeeper.close();
    }
  }

  private void startBroker() throws Exception {
    port = freePort();
    zookeeper = EmbeddedZooKeeper.start(dir.resolve("zk"), port);
    broker = TestBrokers.start(TestBrokers.config(dir.resolve("data"), Map.of(
        BrokerConfig.ZOOKEEPER_CONNECT, zookeeper.connectString(),
        BrokerConfig.ZOOKEEPER_SESSION_TIMEOUT_MS, SESSION_TIMEOUT_MS,
        BrokerConfig.SHUTDOWN_TIMEOUT_MS, SHUTDOWN_TIMEOUT_MS)), GUARD);
    Awaitility.await("ready").atMost(Duration.ofMinutes(1)).until(() -> broker.notReadyReason().isEmpty());
    broker.service().createTopic(RequestContext.SELF, new NewTopic("t", 1, 1, Map.of())).await(30, TimeUnit.SECONDS);
    produce("before");
  }

  /** Takes ZooKeeper away; checks readiness and fail-fast; returns once the broker fenced its partitions. */
  private void loseZooKeeper() {
    zookeeper.close();
    zookeeper = null;
    Awaitility.await("not ready without ZooKeeper").atMost(Duration.ofMinutes(1))
        .until(() -> broker.notReadyReason().isPresent());
    assertThat(broker.notReadyReason()).hasValueSatisfying(r -> assertThat(r).contains("ZooKeeper"));
    long startNs = System.nanoTime();
    Throwable refused = catchThrowable(() -> broker.service().createTopic(RequestContext.SELF, new NewTopic("u", 1, 1, Map.of()))
        .await(30, TimeUnit.SECONDS));
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs)).isLessThan(1_000);
    assertThat(refused).isInstanceOf(SluiceException.class);
    assertThat(((SluiceException) refused).errorCode()).isEqualTo(ErrorCode.BROKER_NOT_AVAILABLE);
    assertThat(ErrorCode.BROKER_NOT_AVAILABLE.retriable()).isTrue();
    Awaitility.await("the broker fenced after a session timeout").atMost(Duration.ofMinutes(1))
        .until(() -> broker.notReadyReason().orElse("").contains("fenced"));
    // The fence reaches each partition on its own context a moment later; reads show it without writing.
    Awaitility.await("the partition fenced").atMost(Duration.ofMinutes(1))
        .until(() -> catchThrowable(() -> broker.service().offsets(RequestContext.SELF, new TopicPartition("t", 0))
        .await(30, TimeUnit.SECONDS)) != null);
    Throwable fenced = catchThrowable(() -> produce("while-fenced"));
    assertThat(fenced).isInstanceOf(SluiceException.class);
  }

  @Test
  void aBrokerRejoinsInPlaceWhenZooKeeperComesBack() throws Exception {
    startBroker();
    loseZooKeeper();

    zookeeper = EmbeddedZooKeeper.start(dir.resolve("zk"), port);
    Awaitility.await("ready again").atMost(Duration.ofMinutes(1)).until(() -> broker.notReadyReason().isEmpty());
    Awaitility.await("the partition takes writes again").atMost(Duration.ofMinutes(1))
        .until(() -> {
      try {
        produce("after");
        return true;
      } catch (Exception e) {
        return false;
      }
    });
    broker.service().createTopic(RequestContext.SELF, new NewTopic("u", 1, 1, Map.of())).await(30, TimeUnit.SECONDS);
    assertThat(broker.service().offsets(RequestContext.SELF, new TopicPartition("t", 0)).await(30, TimeUnit.SECONDS).endOffset())
        .as("before and after, nothing while fenced").isEqualTo(2);
  }

  @Test
  void aBrokerWhoseZooKeeperNeverComesBackStopsWithinItsGrace() throws Exception {
    startBroker();
    loseZooKeeper();

    long startNs = System.nanoTime();
    broker.close().await(SHUTDOWN_TIMEOUT_MS + 5_000, TimeUnit.MILLISECONDS);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs)).isLessThan(SHUTDOWN_TIMEOUT_MS + 2_000);
    broker = null;
    assertThat(loaderMessagesAtReopen(new TopicPartition("t", 0)))
        .as("the steps that wait for ZooKeeper leave the partitions time to close their logs before the log store")
        .noneMatch(m -> m.contains("unclean start"));
  }

  /** What the storage engine's loader says when it opens {@code tp} again: it reports every unclean start. */
  private List<String> loaderMessagesAtReopen(TopicPartition tp) {
    LoaderMessages loader = new LoaderMessages();
    loader.capture();
    try (LogManager store = LogManager.open(dir.resolve("data"))) {
      assertThat(store.openLog(tp, LogConfig.DEFAULT).logEndOffset()).isEqualTo(1);
    } finally {
      loader.stop();
    }
    return loader.messages();
  }

  private void produce(String value) throws Exception {
    broker.service().produce(RequestContext.SELF, new TopicPartition("t", 0), TestBatches.batch(value), Acks.ALL).await(30, TimeUnit.SECONDS);
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @SuppressWarnings("unused")
  private static <T> T await(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }
}
