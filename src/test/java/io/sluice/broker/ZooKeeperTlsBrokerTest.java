package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.SecureZooKeeper;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.config.ZooKeeperClientTls;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker whose embedded ZooKeeper serves TLS only, reached over TLS with {@code zookeeper.set.acl}: it runs, its
 * znodes belong to its certificate's identity, and a broker that does not trust ZooKeeper's certificate fails at
 * start naming the setting.
 */
class ZooKeeperTlsBrokerTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dir;
  SecureZooKeeper certs;
  Broker broker;

  @BeforeEach
  void certificates() {
    certs = new SecureZooKeeper(dir);
  }

  @AfterEach
  void stop() throws Exception {
    TestBrokers.close(broker);
  }

  @Test
  void aBrokerRunsOverTlsToZooKeeperAndOwnsItsZnodes() throws Exception {
    broker = TestBrokers.start(config(certs.trustStore), GUARD);
    broker.service().createTopic(RequestContext.SELF, new NewTopic("orders", 1, 1, Map.of()))
        .await(30, TimeUnit.SECONDS);

    try (CuratorFramework tool = SecureZooKeeper.connect(broker.zookeeperConnect(), certs.toolClient())) {
      assertThat(tool.getChildren().forPath("/sluice/topics")).contains("orders");
      assertThat(tool.getACL().forPath("/sluice/brokers/ids/1")).containsExactlyInAnyOrder(
          new ACL(ZooDefs.Perms.ALL, new Id("x509", SecureZooKeeper.BROKER_DN)),
          new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE));
      assertThatThrownBy(() -> tool.create().forPath("/sluice/brokers/ids/2"))
          .isInstanceOf(KeeperException.NoAuthException.class);
      assertThatThrownBy(() -> tool.delete().forPath("/sluice/topics/orders/partitions/0/state"))
          .isInstanceOf(KeeperException.NoAuthException.class);
    }
  }

  @Test
  void aBrokerNotTrustingZooKeepersCertificateFailsAtStartNamingTheTrustStore() {
    assertThatThrownBy(() -> broker = TestBrokers.start(config(certs.strangerTrustStore), GUARD))
        .hasStackTraceContaining(ZooKeeperClientTls.TRUSTSTORE_LOCATION);
  }

  @Test
  void aBrokerOfAnotherIdentityFailsAtStartNamingItsIdentityAndTheSetting() throws Exception {
    broker = TestBrokers.start(config(certs.trustStore), GUARD);
    TestBrokers.close(broker);
    broker = null;
    Map<String, Object> extra = new HashMap<>(certs.serverConfig());
    extra.putAll(certs.clientKeys(certs.toolKeyStore, certs.trustStore, true));
    assertThatThrownBy(() -> broker = TestBrokers.start(TestBrokers.config(dir.resolve("data"), extra), GUARD))
        .isInstanceOf(ZooKeeperClients.ZooKeeperAccessException.class)
        .hasMessageContaining("x509:" + SecureZooKeeper.TOOL_DN)
        .hasMessageContaining(ZooKeeperClientTls.SET_ACL);
  }

  private BrokerConfig config(Path zookeeperTrust) {
    Map<String, Object> extra = new HashMap<>(certs.serverConfig());
    extra.putAll(certs.clientKeys(certs.brokerKeyStore, zookeeperTrust, true));
    return TestBrokers.config(dir.resolve("data"), extra);
  }
}
