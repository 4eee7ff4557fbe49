package io.sluice.broker;

import io.sluice.api.RequestContext;

import io.sluice.api.ClusterDescription;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Brokers given nothing but distinct ids and data directories form one cluster: the first runs the embedded
 * ZooKeeper on {@code zookeeper.embedded.port}, the next finds the port taken and joins it.
 */
@Tag("several-brokers")
class EmbeddedZooKeeperJoinTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path tmp;

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void secondBrokerJoinsTheFirstBrokersEmbeddedZooKeeper() throws Exception {
    int port = freePort();
    Broker first = null;
    Broker second = null;
    try {
      first = TestBrokers.start(TestBrokers.config(tmp.resolve("1"), Map.of(
          BrokerConfig.BROKER_ID, 1, BrokerConfig.ZOOKEEPER_EMBEDDED_PORT, port)), GUARD);
      second = TestBrokers.start(TestBrokers.config(tmp.resolve("2"), Map.of(
          BrokerConfig.BROKER_ID, 2, BrokerConfig.ZOOKEEPER_EMBEDDED_PORT, port)), GUARD);

      assertThat(first.embeddedZooKeeper()).isTrue();
      assertThat(second.embeddedZooKeeper()).isFalse();
      assertThat(second.zookeeperConnect()).isEqualTo("127.0.0.1:" + port);
      ClusterDescription seenBySecond = second.service().describeCluster(RequestContext.SELF).await(20, TimeUnit.SECONDS);
      assertThat(seenBySecond.brokers()).extracting(ClusterDescription.BrokerInfo::id).containsExactlyInAnyOrder(1, 2);
    } finally {
      TestBrokers.close(second);
      TestBrokers.close(first);
    }
  }

  @Test
  void portZeroGivesEachBrokerAPrivateZooKeeper() throws Exception {
    Broker alone = TestBrokers.start(TestBrokers.config(tmp.resolve("a"), Map.of(
        BrokerConfig.ZOOKEEPER_EMBEDDED_PORT, 0)), GUARD);
    try {
      assertThat(alone.embeddedZooKeeper()).isTrue();
      assertThat(alone.zookeeperConnect()).startsWith("127.0.0.1:");
    } finally {
      TestBrokers.close(alone);
    }
  }
}
