package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.ClusterDescription;
import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicMetadata;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.SecureZooKeeper;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two brokers showing the same certificate to a TLS ZooKeeper with {@code zookeeper.set.acl} form one cluster: each
 * writes the znodes the other created (vertx-zookeeper's cluster state, topics, partition state).
 */
@Tag("several-brokers")
class ZooKeeperTlsClusterTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dir;

  @Test
  void brokersOfOneIdentityFormAClusterUnderAcls() throws Exception {
    SecureZooKeeper certs = new SecureZooKeeper(dir);
    Map<String, Object> secure = new HashMap<>(certs.serverConfig());
    secure.putAll(certs.clientKeys(certs.brokerKeyStore, certs.trustStore, true));
    Broker first = null;
    Broker second = null;
    try {
      first = TestBrokers.start(TestBrokers.config(dir.resolve("1"), secure), GUARD);
      Map<String, Object> joining = new HashMap<>(secure);
      joining.put(BrokerConfig.BROKER_ID, 2);
      joining.put(BrokerConfig.ZOOKEEPER_CONNECT, first.zookeeperConnect());
      second = TestBrokers.start(TestBrokers.config(dir.resolve("2"), joining), GUARD);

      ClusterDescription cluster = second.service().describeCluster(RequestContext.SELF).await(30, TimeUnit.SECONDS);
      assertThat(cluster.brokers()).extracting(ClusterDescription.BrokerInfo::id).containsExactlyInAnyOrder(1, 2);
      TopicMetadata topic = second.service().createTopic(RequestContext.SELF, new NewTopic("shared", 2, 2, Map.of()))
          .await(60, TimeUnit.SECONDS);
      assertThat(topic.partitions()).hasSize(2);
    } finally {
      TestBrokers.close(second);
      TestBrokers.close(first);
    }
  }
}
