package io.sluice.broker;

import static io.sluice.broker.testing.SaslZooKeeper.ADMIN;
import static io.sluice.broker.testing.SaslZooKeeper.BROKER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.api.NewTopic;
import io.sluice.api.RequestContext;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.HeldJoin;
import io.sluice.broker.testing.SaslZooKeeper;
import io.sluice.broker.testing.SecureZooKeeper;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.cli.UsersCommand;
import io.sluice.config.BrokerConfig;
import io.sluice.config.ConfigException;
import io.sluice.config.ZooKeeperClientSasl;
import io.sluice.config.ZooKeeperClientTls;
import io.vertx.core.Future;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Brokers logging in to ZooKeeper with SASL DIGEST-MD5 (a JAAS file's {@code Client} section) to an embedded
 * ZooKeeper requiring it, with {@code zookeeper.set.acl}: the znodes belong to {@code sasl:broker}, a client without
 * credentials is refused, the super user reads the credentials, a wrong password fails the start naming the JAAS
 * file (at once: a clustered Vert.x still joining is closed when it arrives), and two brokers of one JVM log in as their own users.
 */
class ZooKeeperSaslBrokerTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();

  @TempDir
  Path dir;
  Broker broker;
  Broker other;

  @AfterEach
  void stop() throws Exception {
    TestBrokers.close(other);
    TestBrokers.close(broker);
  }

  @Test
  void aSaslBrokerOwnsItsZnodesAndOnlyTheSuperUserReadsTheCredentialsBesideIt() throws Exception {
    Path jaas = SaslZooKeeper.jaas(dir, "jaas.conf", "broker-secret");
    broker = TestBrokers.start(config("data", jaas), GUARD);
    broker.service().createTopic(RequestContext.SELF, new NewTopic("orders", 1, 1, Map.of()))
        .await(30, TimeUnit.SECONDS);
    Path asBroker = SaslZooKeeper.properties(dir.resolve("broker.properties"),
        SaslZooKeeper.clientKeys(jaas, "Client", true));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertThat(UsersCommand.run(new String[] {"set", "--zookeeper", broker.zookeeperConnect(), "--user", "alice",
        "--password", "alice-secret", "--zk-tls-config-file", asBroker.toString()}, new PrintStream(
        new ByteArrayOutputStream()), new PrintStream(err))).as(err.toString()).isZero();

    Id brokerId = new Id("sasl", BROKER);
    try (CuratorFramework tool = connect(broker, SaslZooKeeper.client(jaas, "Tool", false));
        CuratorFramework admin = connect(broker, SaslZooKeeper.client(jaas, "Admin", false));
        CuratorFramework anonymous = connect(broker, SaslZooKeeper.anonymous())) {
      assertThat(tool.getChildren().forPath("/sluice/topics")).contains("orders");
      assertThat(tool.getACL().forPath("/sluice/brokers/ids/1")).containsExactlyInAnyOrder(
          new ACL(ZooDefs.Perms.ALL, brokerId), new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE));
      assertThat(admin.getACL().forPath("/sluice/config/users/alice"))
          .containsExactly(new ACL(ZooDefs.Perms.ALL, brokerId));
      assertThat(admin.getData().forPath("/sluice/config/users/alice")).isNotEmpty();
      assertThatThrownBy(() -> tool.getData().forPath("/sluice/config/users/alice"))
          .isInstanceOf(KeeperException.NoAuthException.class);
      assertThatThrownBy(() -> tool.delete().forPath("/sluice/topics/orders/partitions/0/state"))
          .isInstanceOf(KeeperException.NoAuthException.class);
      assertThatThrownBy(() -> anonymous.getData().forPath("/sluice/config/users/alice"))
          .isInstanceOf(KeeperException.SessionClosedRequireAuthException.class);
      admin.create().forPath("/sluice/config/users/probe");
      assertThat(admin.getChildren().forPath("/sluice/config/users")).contains("probe");
    }
  }

  @Test
  void aWrongPasswordFailsTheStartNamingTheJaasFile() {
    Path jaas = SaslZooKeeper.jaas(dir, "jaas.conf", "not-the-password");
    assertThatThrownBy(() -> broker = TestBrokers.start(config("data", jaas), GUARD))
        .hasStackTraceContaining(ZooKeeperClients.ZooKeeperSaslException.class.getSimpleName())
        .hasStackTraceContaining("sasl:" + BROKER).hasStackTraceContaining(jaas.toString());
  }

  @Test
  void aWrongPasswordFailsTheStartWhileVertxStillJoinsAndLeavesNothingRunning() throws Exception {
    Path jaas = SaslZooKeeper.jaas(dir, "jaas.conf", "not-the-password");
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    AtomicReference<HeldJoin> held = new AtomicReference<>();
    Future<Broker> start = Broker.builder(config("data", jaas)).vertxOptions(BlockedThreadGuard::testOptions)
        .clusterManager(curator -> {
          held.set(new HeldJoin(curator));
          return held.get();
        }).start();

    // Ordering, not timing: the cluster manager's join is held until the start has failed.
    await().atMost(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS).until(start::isComplete);
    assertThat(start.failed()).isTrue();
    assertThat(start.cause()).hasStackTraceContaining("sasl:" + BROKER).hasStackTraceContaining(jaas.toString());
    assertThat(held.get().joinCalled).isCompleted();
    assertThat(held.get().joined()).isFalse();

    held.get().release.complete(null);
    await().atMost(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS)
        .untilAsserted(() -> assertThat(HeldJoin.threadsStartedSince(before)).isEmpty());
  }

  @Test
  void twoBrokersOfOneJvmLogInAsTheirOwnUsers() throws Exception {
    Path first = SaslZooKeeper.jaas(dir, "first.conf", "broker-secret");
    Path second = SaslZooKeeper.write(dir.resolve("second.conf"), "Server {\n  " + SaslZooKeeper.DIGEST
        + " required user_other=\"other-secret\";\n};\n" + SaslZooKeeper.client("Client", "other", "other-secret"));
    broker = TestBrokers.start(config("one", first), GUARD);
    other = TestBrokers.start(config("two", second), GUARD);

    try (CuratorFramework one = connect(broker, SaslZooKeeper.client(first, "Admin", false));
        CuratorFramework two = connect(other, SaslZooKeeper.client(second, "Client", false))) {
      assertThat(one.getACL().forPath("/sluice/brokers/ids/1")).contains(new ACL(ZooDefs.Perms.ALL,
          new Id("sasl", BROKER)));
      assertThat(two.getACL().forPath("/sluice/brokers/ids/1")).contains(new ACL(ZooDefs.Perms.ALL,
          new Id("sasl", "other")));
    }
  }

  @Test
  void requiringSaslOfABrokerWithoutAClientSectionIsRefusedNamingTheSetting() {
    Path serverOnly = SaslZooKeeper.write(dir.resolve("server.conf"), "Server {\n  " + SaslZooKeeper.DIGEST
        + " required user_broker=\"broker-secret\";\n};\n");
    Map<String, Object> keys = new HashMap<>(Map.of(ZooKeeperClientSasl.JAAS_CONFIG, serverOnly.toString(),
        BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_ENABLE, true));
    assertThatThrownBy(() -> broker = TestBrokers.start(TestBrokers.config(dir.resolve("data"), keys), GUARD))
        .hasStackTraceContaining(ConfigException.class.getSimpleName())
        .hasStackTraceContaining(BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_REQUIRED);
  }

  private BrokerConfig config(String data, Path jaas) {
    Map<String, Object> keys = new HashMap<>(SaslZooKeeper.clientKeys(jaas, "", true));
    keys.remove(ZooKeeperClientSasl.CLIENT_SECTION);
    keys.put(BrokerConfig.ZOOKEEPER_EMBEDDED_SASL_ENABLE, true);
    keys.put(BrokerConfig.ZOOKEEPER_EMBEDDED_SUPER_USERS, ADMIN);
    return TestBrokers.config(dir.resolve(data), keys);
  }

  private static CuratorFramework connect(Broker broker, ZooKeeperClientTls client) throws InterruptedException {
    return SecureZooKeeper.connect(broker.zookeeperConnect(), client);
  }
}
