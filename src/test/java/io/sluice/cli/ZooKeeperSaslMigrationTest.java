package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.EmbeddedZooKeeper;
import io.sluice.broker.EmbeddedZooKeeperAuth;
import io.sluice.broker.testing.SaslZooKeeper;
import io.sluice.broker.testing.SecureZooKeeper;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.config.ZooKeeperClientSasl;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice zookeeper-security-migration} logging in with SASL (the brokers' JAAS {@code Client} section named by
 * its config file) secures a tree to {@code sasl:broker} and opens it again; a wrong password is refused naming the
 * JAAS file.
 */
class ZooKeeperSaslMigrationTest {
  @TempDir
  Path dir;
  Path jaas;
  EmbeddedZooKeeper zk;
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void start() {
    jaas = SaslZooKeeper.jaas(dir, "jaas.conf", "broker-secret");
    BrokerConfig config = TestBrokers.config(dir.resolve("data"), Map.of(ZooKeeperClientSasl.JAAS_CONFIG,
        jaas.toString(), BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_ENABLE, true));
    zk = EmbeddedZooKeeper.bind(dir.resolve("zk"), 0, null, EmbeddedZooKeeperAuth.of(config)).serve();
  }

  @AfterEach
  void stop() {
    zk.close();
  }

  @Test
  void securesTheTreeToTheSaslUserThenOpensItAgain() throws Exception {
    Path asBroker = SaslZooKeeper.properties(dir.resolve("broker.properties"),
        SaslZooKeeper.clientKeys(jaas, "Client", false));
    try (CuratorFramework broker = SecureZooKeeper.connect(zk.connectString(), SaslZooKeeper.client(jaas, "Client",
        false)); CuratorFramework tool = SecureZooKeeper.connect(zk.connectString(), SaslZooKeeper.client(jaas,
        "Tool", false))) {
      broker.create().creatingParentsIfNeeded().forPath("/sluice/brokers/ids/1");
      broker.create().creatingParentsIfNeeded().forPath("/sluice/config/users/alice", new byte[] {1});

      assertThat(migrate("secure", asBroker)).as(err.toString()).isZero();
      assertThat(tool.getACL().forPath("/sluice/brokers/ids/1")).containsExactlyInAnyOrder(
          new ACL(ZooDefs.Perms.ALL, new Id("sasl", SaslZooKeeper.BROKER)),
          new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE));
      assertThatThrownBy(() -> tool.getData().forPath("/sluice/config/users/alice"))
          .isInstanceOf(KeeperException.NoAuthException.class);
      assertThatThrownBy(() -> tool.create().forPath("/sluice/brokers/ids/2"))
          .isInstanceOf(KeeperException.NoAuthException.class);
      broker.create().forPath("/sluice/brokers/ids/2");

      assertThat(migrate("unsecure", asBroker)).as(err.toString()).isZero();
      assertThat(tool.getData().forPath("/sluice/config/users/alice")).containsExactly(1);
      tool.create().forPath("/sluice/brokers/ids/3");
    }
  }

  @Test
  void aWrongPasswordIsRefusedNamingTheJaasFile() {
    Path wrong = SaslZooKeeper.write(dir.resolve("wrong.conf"), SaslZooKeeper.client("Client", "broker", "nope"));
    Path file = SaslZooKeeper.properties(dir.resolve("wrong.properties"),
        SaslZooKeeper.clientKeys(wrong, "Client", false));
    assertThat(migrate("secure", file)).isEqualTo(1);
    assertThat(err.toString()).contains("refused the SASL login of sasl:broker").contains(wrong.toString());
  }

  private int migrate(String mode, Path file) {
    return ZooKeeperSecurityMigration.run(new String[] {"--zookeeper.acl", mode, "--zookeeper.connect",
        zk.connectString(), "--zk-tls-config-file", file.toString()}, new PrintStream(out), new PrintStream(err));
  }
}
