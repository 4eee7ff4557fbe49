package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.broker.testing.SecureZooKeeper;
import io.sluice.broker.testing.SecureZooKeeperServer;
import io.sluice.config.ZooKeeperClientTls;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A ZooKeeper client over TLS shows a key store file replaced on disk on its next connection, within its session
 * and without being rebuilt: ZooKeeper's Netty client socket builds its TLS context from the
 * {@code zookeeper.ssl.*} files at every connection, so a broker's rotated client certificate needs no restart. The
 * connection is broken by a proxy between client and server, as a network fault would.
 */
class ZooKeeperClientCertificateReloadTest {
  @RegisterExtension
  final SecureZooKeeperServer zookeeper = new SecureZooKeeperServer();

  @TempDir
  Path dir;
  private Vertx vertx;
  private NetServer proxy;
  private final Set<NetSocket> proxied = ConcurrentHashMap.newKeySet();

  @BeforeEach
  void startProxy() throws Exception {
    vertx = Vertx.vertx();
    proxy = vertx.createNetServer().connectHandler(in -> {
      in.pause();
      vertx.createNetClient().connect(zookeeper.port(), "127.0.0.1").onSuccess(out -> {
        proxied.add(in);
        proxied.add(out);
        in.pipeTo(out);
        out.pipeTo(in);
        in.resume();
      }).onFailure(e -> in.close());
    }).listen(0, "127.0.0.1").await(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  void aReplacedKeyStoreIsShownOnTheNextConnectionOfTheSameSession() throws Exception {
    SecureZooKeeper certs = zookeeper.certs();
    Path keyStore = Files.copy(certs.brokerKeyStore, dir.resolve("rotating.p12"));
    ZooKeeperClientTls tls = ZooKeeperClientTls.of(certs.clientKeys(keyStore, certs.trustStore, false));
    try (CuratorFramework client = SecureZooKeeper.connect("127.0.0.1:" + proxy.actualPort(), tls)) {
      long session = client.getZookeeperClient().getZooKeeper().getSessionId();
      assertThat(identities(client)).contains("x509:" + SecureZooKeeper.BROKER_DN);

      Files.copy(certs.toolKeyStore, keyStore, StandardCopyOption.REPLACE_EXISTING);
      proxied.forEach(NetSocket::close);

      await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
          .until(() -> identities(client).contains("x509:" + SecureZooKeeper.TOOL_DN));
      assertThat(client.getZookeeperClient().getZooKeeper().getSessionId()).isEqualTo(session);
    }
  }

  private static List<String> identities(CuratorFramework client) throws Exception {
    return client.getZookeeperClient().getZooKeeper().whoAmI().stream()
        .map(i -> i.getAuthScheme() + ":" + i.getUser()).toList();
  }
}
