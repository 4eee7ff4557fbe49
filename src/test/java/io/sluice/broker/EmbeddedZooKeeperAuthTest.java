package io.sluice.broker;

import static io.sluice.broker.testing.SaslZooKeeper.ADMIN;
import static io.sluice.broker.testing.SaslZooKeeper.BROKER;
import static io.sluice.broker.testing.SaslZooKeeper.TOOL;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.SaslZooKeeper;
import io.sluice.broker.testing.SecureZooKeeper;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.config.ConfigException;
import io.sluice.config.ZooKeeperClientSasl;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded ZooKeeper with SASL DIGEST-MD5 ({@code zookeeper.embedded.sasl.*}) and super users, and ZooKeeper
 * clients logging in from their own JAAS sections: sessions that did not log in are refused, znodes created with
 * {@code zookeeper.set.acl} belong to the SASL user, super users pass every ACL, a wrong password is refused by name,
 * and two servers of one JVM keep their own users.
 */
class EmbeddedZooKeeperAuthTest {
  @TempDir
  Path dir;
  final List<AutoCloseable> open = new java.util.ArrayList<>();

  @AfterEach
  void close() throws Exception {
    java.util.Collections.reverse(open);
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  @Test
  void saslUsersOwnTheirZnodesAndSessionsWithoutALoginAreRefused() throws Exception {
    Path jaas = SaslZooKeeper.jaas(dir, "jaas.conf", "broker-secret");
    EmbeddedZooKeeper zk = start("zk", Map.of(ZooKeeperClientSasl.JAAS_CONFIG, jaas.toString(),
        BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_ENABLE, true));
    CuratorFramework broker = brokerWithZnodes(zk, jaas);

    assertThat(broker.getACL().forPath("/sluice/config/users/alice"))
        .containsExactly(new ACL(ZooDefs.Perms.ALL, new Id("sasl", BROKER)));
    assertThat(broker.getACL().forPath("/sluice/topics/orders")).containsExactlyInAnyOrder(
        new ACL(ZooDefs.Perms.ALL, new Id("sasl", BROKER)), new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE));
    CuratorFramework tool = connect(zk, SaslZooKeeper.client(jaas, "Tool", false));
    assertThat(tool.getChildren().forPath("/sluice/topics")).containsExactly("orders");
    assertThatThrownBy(() -> tool.getData().forPath("/sluice/config/users/alice"))
        .isInstanceOf(KeeperException.NoAuthException.class);
    CuratorFramework anonymous = connect(zk, SaslZooKeeper.anonymous());
    assertThatThrownBy(() -> anonymous.getChildren().forPath("/sluice/topics"))
        .isInstanceOf(KeeperException.SessionClosedRequireAuthException.class);
  }

  @Test
  void withoutTheRequirementAnonymousClientsSeeOnlyWhatWorldMayRead() throws Exception {
    Path jaas = SaslZooKeeper.jaas(dir, "jaas.conf", "broker-secret");
    EmbeddedZooKeeper zk = start("zk", Map.of(ZooKeeperClientSasl.JAAS_CONFIG, jaas.toString(),
        BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_ENABLE, true, BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_REQUIRED, false));
    brokerWithZnodes(zk, jaas);

    CuratorFramework anonymous = connect(zk, SaslZooKeeper.anonymous());
    assertThat(anonymous.getChildren().forPath("/sluice/topics")).containsExactly("orders");
    assertThatThrownBy(() -> anonymous.getData().forPath("/sluice/config/users/alice"))
        .isInstanceOf(KeeperException.NoAuthException.class);
    assertThatThrownBy(() -> anonymous.delete().forPath("/sluice/topics/orders"))
        .isInstanceOf(KeeperException.NoAuthException.class);
  }

  @Test
  void superUsersPassEveryAcl() throws Exception {
    Path jaas = SaslZooKeeper.jaas(dir, "jaas.conf", "broker-secret");
    String digest = DigestAuthenticationProvider.generateDigest("operator:op-secret");
    EmbeddedZooKeeper zk = start("zk", Map.of(ZooKeeperClientSasl.JAAS_CONFIG, jaas.toString(),
        BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_ENABLE, true, BrokerConfig.ZOOKEEPER_EMBEDDED_SUPER_USERS, ADMIN,
        BrokerConfig.ZOOKEEPER_EMBEDDED_SUPER_DIGEST, digest));
    brokerWithZnodes(zk, jaas);

    CuratorFramework admin = connect(zk, SaslZooKeeper.client(jaas, "Admin", false));
    assertThat(admin.getData().forPath("/sluice/config/users/alice")).containsExactly(1);
    admin.setData().forPath("/sluice/config/users/alice", new byte[] {2});
    CuratorFramework operator = SecureZooKeeper.connect(zk.connectString(), SaslZooKeeper.anonymous(),
        b -> b.authorization("digest", "operator:op-secret".getBytes(StandardCharsets.UTF_8)));
    open.add(operator);
    assertThat(operator.getData().forPath("/sluice/config/users/alice")).containsExactly(2);
    CuratorFramework tool = connect(zk, SaslZooKeeper.client(jaas, "Tool", false));
    assertThatThrownBy(() -> tool.getData().forPath("/sluice/config/users/alice"))
        .isInstanceOf(KeeperException.NoAuthException.class);
  }

  @Test
  void aWrongPasswordIsRefusedNamingTheJaasFile() throws Exception {
    Path jaas = SaslZooKeeper.jaas(dir, "jaas.conf", "not-the-password");
    EmbeddedZooKeeper zk = start("zk", Map.of(ZooKeeperClientSasl.JAAS_CONFIG, jaas.toString(),
        BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_ENABLE, true));
    assertThatThrownBy(() -> ZooKeeperClients.checkSasl(zk.connectString(),
        SaslZooKeeper.client(jaas, "Client", false), 30_000))
        .isInstanceOf(ZooKeeperClients.ZooKeeperSaslException.class)
        .hasMessageContaining("sasl:" + BROKER).hasMessageContaining(jaas.toString())
        .hasMessageContaining(ZooKeeperClientSasl.JAAS_CONFIG);
    assertThatCode(() -> ZooKeeperClients.checkSasl(zk.connectString(), SaslZooKeeper.client(jaas, "Tool", false),
        30_000)).doesNotThrowAnyException();
  }

  @Test
  void twoServersOfOneJvmKeepTheirOwnUsers() throws Exception {
    Path first = SaslZooKeeper.jaas(dir, "first.conf", "broker-secret");
    Path second = SaslZooKeeper.write(dir.resolve("second.conf"), "Server {\n  " + SaslZooKeeper.DIGEST
        + " required user_other=\"other-secret\";\n};\n" + SaslZooKeeper.client("Client", "other", "other-secret"));
    EmbeddedZooKeeper one = start("one", Map.of(ZooKeeperClientSasl.JAAS_CONFIG, first.toString(),
        BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_ENABLE, true));
    EmbeddedZooKeeper two = start("two", Map.of(ZooKeeperClientSasl.JAAS_CONFIG, second.toString(),
        BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_ENABLE, true));

    CuratorFramework other = connect(two, SaslZooKeeper.client(second, "Client", true));
    other.create().forPath("/mine");
    assertThat(other.getACL().forPath("/mine")).containsExactly(new ACL(ZooDefs.Perms.ALL, new Id("sasl", "other")));
    assertThatThrownBy(() -> ZooKeeperClients.checkSasl(two.connectString(),
        SaslZooKeeper.client(first, "Client", false), 30_000))
        .isInstanceOf(ZooKeeperClients.ZooKeeperSaslException.class);
    assertThatThrownBy(() -> ZooKeeperClients.checkSasl(one.connectString(),
        SaslZooKeeper.client(second, "Client", false), 30_000))
        .isInstanceOf(ZooKeeperClients.ZooKeeperSaslException.class);
    ZooKeeperClients.checkSasl(one.connectString(), SaslZooKeeper.client(first, "Client", false), 30_000);
  }

  @Test
  void aServerSectionThatIsMissingOrNamesNoUserIsRefusedNamingTheKey() {
    Path clientOnly = SaslZooKeeper.write(dir.resolve("client.conf"), SaslZooKeeper.client("Client", TOOL, "x"));
    assertThatThrownBy(() -> auth(Map.of(ZooKeeperClientSasl.JAAS_CONFIG, clientOnly.toString(),
        BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_ENABLE, true)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("No JAAS section 'Server'")
        .hasMessageContaining(clientOnly.toString());
    Path noUsers = SaslZooKeeper.write(dir.resolve("nousers.conf"), "Server { " + SaslZooKeeper.DIGEST
        + " required; };\n" + SaslZooKeeper.client("Client", TOOL, "x"));
    assertThatThrownBy(() -> auth(Map.of(ZooKeeperClientSasl.JAAS_CONFIG, noUsers.toString(),
        BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_ENABLE, true)))
        .isInstanceOf(ConfigException.class).hasMessageContaining("names no user");
    assertThatThrownBy(() -> auth(Map.of(BrokerConfig.ZOOKEEPER_EMBEDDED_SUPER_DIGEST, "operator")))
        .isInstanceOf(ConfigException.class).hasMessageContaining(BrokerConfig.ZOOKEEPER_EMBEDDED_SUPER_DIGEST);
  }

  /** The broker's client (set.acl), having created a credential and a topic. */
  private CuratorFramework brokerWithZnodes(EmbeddedZooKeeper zk, Path jaas) throws Exception {
    CuratorFramework broker = connect(zk, SaslZooKeeper.client(jaas, "Client", true));
    broker.create().creatingParentsIfNeeded().forPath("/sluice/config/users/alice", new byte[] {1});
    broker.create().creatingParentsIfNeeded().forPath("/sluice/topics/orders");
    return broker;
  }

  private EmbeddedZooKeeperAuth auth(Map<String, ?> extra) {
    return EmbeddedZooKeeperAuth.of(TestBrokers.config(dir.resolve("data"), extra));
  }

  private EmbeddedZooKeeper start(String name, Map<String, ?> extra) {
    EmbeddedZooKeeper zk = EmbeddedZooKeeper.bind(dir.resolve(name), 0, null, auth(new HashMap<>(extra))).serve();
    open.add(zk);
    return zk;
  }

  private CuratorFramework connect(EmbeddedZooKeeper zk, io.sluice.config.ZooKeeperClientTls client)
      throws InterruptedException {
    CuratorFramework c = SecureZooKeeper.connect(zk.connectString(), client);
    open.add(c);
    return c;
  }
}
