package io.sluice.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.SecureZooKeeper;
import io.sluice.broker.testing.SecureZooKeeperServer;
import io.sluice.config.ZooKeeperClientTls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice zookeeper-security-migration} secures a tree created without ACLs and opens it again, and the CLI's
 * ZooKeeper commands reach a TLS ZooKeeper through {@code --zk-tls-config-file}.
 */
class ZooKeeperSecurityMigrationTest {
  @TempDir
  Path dir;
  @RegisterExtension
  final SecureZooKeeperServer zk = new SecureZooKeeperServer();
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @Test
  void securesAnExistingTreeThenOpensItAgain() throws Exception {
    Path brokerFile = tlsFile("broker.properties", zk.certs().clientKeys(zk.certs().brokerKeyStore, zk.certs().trustStore, false));
    try (CuratorFramework broker = zk.connect(zk.certs().brokerClient(false));
        CuratorFramework tool = zk.connect(zk.certs().toolClient())) {
      broker.create().creatingParentsIfNeeded().forPath("/sluice/brokers/ids/1");
      broker.create().creatingParentsIfNeeded().forPath("/sluice/config/users/alice", new byte[] {1});
      tool.create().forPath("/sluice/brokers/ids/2"); // open before: anyone writes

      assertThat(migrate("secure", brokerFile)).as(err.toString()).isZero();
      assertThat(out.toString()).contains("Secured");
      assertThatThrownBy(() -> tool.create().forPath("/sluice/brokers/ids/3"))
          .isInstanceOf(KeeperException.NoAuthException.class);
      assertThatThrownBy(() -> tool.getData().forPath("/sluice/config/users/alice"))
          .isInstanceOf(KeeperException.NoAuthException.class);
      assertThat(tool.getChildren().forPath("/sluice/brokers/ids")).containsExactlyInAnyOrder("1", "2");
      broker.create().forPath("/sluice/brokers/ids/3");

      assertThat(migrate("unsecure", brokerFile)).as(err.toString()).isZero();
      tool.create().forPath("/sluice/brokers/ids/4");
      assertThat(tool.getData().forPath("/sluice/config/users/alice")).containsExactly(1);
    }
  }

  @Test
  void secureWithoutAnIdentityIsAUsageError() {
    assertThat(ZooKeeperSecurityMigration.run(new String[] {"--zookeeper.acl", "secure", "--zookeeper.connect",
        zk.connectString()}, new PrintStream(out), new PrintStream(err))).isEqualTo(2);
    assertThat(err.toString()).contains(ZooKeeperClientTls.KEYSTORE_LOCATION);
  }

  @Test
  void theUsersCommandWritesCredentialsOverTls() throws Exception {
    Path toolFile = tlsFile("tool.properties", zk.certs().clientKeys(zk.certs().toolKeyStore, zk.certs().trustStore, false));
    int code = UsersCommand.run(new String[] {"set", "--zookeeper", zk.connectString(), "--user", "alice",
        "--password", "alice-secret", "--zk-tls-config-file", toolFile.toString()}, new PrintStream(out),
        new PrintStream(err));
    assertThat(code).as(err.toString()).isZero();
    try (CuratorFramework broker = zk.connect(zk.certs().brokerClient(false))) {
      assertThat(broker.getChildren().forPath("/sluice/config/users")).containsExactly("alice");
    }
  }

  private int migrate(String mode, Path tlsFile) {
    return ZooKeeperSecurityMigration.run(new String[] {"--zookeeper.acl", mode, "--zookeeper.connect",
        zk.connectString(), "--zk-tls-config-file", tlsFile.toString()}, new PrintStream(out),
        new PrintStream(err));
  }

  private Path tlsFile(String name, Map<String, String> keys) throws IOException {
    Properties p = new Properties();
    p.putAll(keys);
    Path file = dir.resolve(name);
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      p.store(w, null);
    }
    return file;
  }
}
