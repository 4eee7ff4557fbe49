package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.SecureZooKeeper;
import io.sluice.broker.testing.SecureZooKeeperServer;
import io.sluice.config.ZooKeeperClientTls;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The embedded ZooKeeper over TLS ({@link EmbeddedZooKeeperTls}) with Sluice's clients ({@link ZooKeeperClients}):
 * TLS clients are known by their certificate's subject, plaintext ones are turned away, and with
 * {@code zookeeper.set.acl} only the brokers' identity writes while others read what is not sensitive.
 */
class EmbeddedZooKeeperTlsTest {
  @RegisterExtension
  final SecureZooKeeperServer zk = new SecureZooKeeperServer();

  @Test
  void aPlaintextClientIsTurnedAwayWhereATlsOneGetsASession() throws Exception {
    try (CuratorFramework broker = zk.connect(zk.certs().brokerClient(false))) {
      broker.create().forPath("/hello", "tls".getBytes(StandardCharsets.UTF_8));
      assertThat(broker.getData().forPath("/hello")).asString(StandardCharsets.UTF_8).isEqualTo("tls");
    }
    // The request a plaintext client opens its session with (EmbeddedZooKeeperBindTest: a plaintext server answers it).
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), zk.port())) {
      socket.setSoTimeout(30_000);
      DataOutputStream out = new DataOutputStream(socket.getOutputStream());
      byte[] request = EmbeddedZooKeeperBindTest.connectRequest();
      out.writeInt(request.length);
      out.write(request);
      out.flush();
      assertThatThrownBy(() -> new DataInputStream(socket.getInputStream()).readInt())
          .as("the TLS port closes a plaintext connection without answering").isInstanceOf(IOException.class);
    }
  }

  @Test
  void withSetAclOnlyTheBrokersWriteAndOthersReadAllButCredentials() throws Exception {
    try (CuratorFramework broker = zk.connect(zk.certs().brokerClient(true));
        CuratorFramework tool = zk.connect(zk.certs().toolClient())) {
      broker.create().creatingParentsIfNeeded().forPath("/sluice/topics/orders", "{}".getBytes(StandardCharsets.UTF_8));
      broker.create().creatingParentsIfNeeded().forPath("/sluice/brokers/ids/1");
      broker.create().creatingParentsIfNeeded().forPath("/sluice/config/users/alice", new byte[] {1});

      assertThat(broker.getACL().forPath("/sluice/topics/orders")).containsExactlyInAnyOrder(
          new ACL(ZooDefs.Perms.ALL, new Id("x509", SecureZooKeeper.BROKER_DN)),
          new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE));
      assertThat(tool.getData().forPath("/sluice/topics/orders")).asString(StandardCharsets.UTF_8).isEqualTo("{}");
      assertThatThrownBy(() -> tool.setData().forPath("/sluice/topics/orders", new byte[0]))
          .isInstanceOf(KeeperException.NoAuthException.class);
      assertThatThrownBy(() -> tool.create().forPath("/sluice/brokers/ids/2"))
          .isInstanceOf(KeeperException.NoAuthException.class);
      assertThatThrownBy(() -> tool.getData().forPath("/sluice/config/users/alice"))
          .isInstanceOf(KeeperException.NoAuthException.class);
      assertThat(broker.getData().forPath("/sluice/config/users/alice")).containsExactly(1);
      assertThat(broker.getACL().forPath("/sluice/config/users/alice"))
          .containsExactly(new ACL(ZooDefs.Perms.ALL, new Id("x509", SecureZooKeeper.BROKER_DN)));
    }
  }

  @Test
  void aClientThatDoesNotTrustTheServerFailsTheCheckNamingItsTrustStore() {
    ZooKeeperClientTls stranger = ZooKeeperClientTls.of(zk.certs().clientKeys(zk.certs().brokerKeyStore,
        zk.certs().strangerTrustStore, false));
    assertThatThrownBy(() -> ZooKeeperClients.checkHandshake(zk.connectString(), stranger, 30_000))
        .isInstanceOf(ZooKeeperClients.ZooKeeperTlsException.class)
        .hasMessageContaining(ZooKeeperClientTls.TRUSTSTORE_LOCATION);
    // Control: the same check passes with the right trust store.
    ZooKeeperClients.checkHandshake(zk.connectString(), zk.certs().brokerClient(false), 30_000);
  }

}
