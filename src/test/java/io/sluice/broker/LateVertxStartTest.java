package io.sluice.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.HeldJoin;
import io.sluice.broker.testing.SecureZooKeeper;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.config.ZooKeeperClientTls;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker refusing ZooKeeper's certificate fails its start at once, while its clustered Vert.x still joins; the
 * Vert.x that arrives afterwards is closed rather than left running (threads, event-bus port, ZooKeeper session).
 * The join here goes through a client of the test's that ZooKeeper accepts, so that it arrives, and arrives late.
 */
class LateVertxStartTest {
  @TempDir
  Path dir;
  EmbeddedZooKeeper zookeeper;

  @AfterEach
  void stop() {
    if (zookeeper != null) {
      zookeeper.close();
    }
  }

  @Test
  void aStartFailingBeforeVertxJoinsClosesTheVertxThatArrivesLate() throws Exception {
    SecureZooKeeper certs = new SecureZooKeeper(dir);
    zookeeper = certs.start(dir.resolve("zookeeper"));
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    Map<String, Object> refusing = new HashMap<>(certs.clientKeys(certs.brokerKeyStore, certs.strangerTrustStore,
        false));
    refusing.put(BrokerConfig.ZOOKEEPER_CONNECT, zookeeper.connectString());
    CuratorFramework accepted = SecureZooKeeper.connect(zookeeper.connectString(), certs.brokerClient(false));
    AtomicReference<HeldJoin> held = new AtomicReference<>();

    Future<Broker> start = Broker.builder(TestBrokers.config(dir.resolve("data"), refusing))
        .vertxOptions(BlockedThreadGuard::testOptions).clusterManager(brokers -> {
          held.set(new HeldJoin(accepted));
          return held.get();
        }).start();
    // Ordering, not timing: the join is held until the start has failed.
    await().atMost(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS).until(start::isComplete);
    assertThat(start.cause()).hasStackTraceContaining(ZooKeeperClientTls.TRUSTSTORE_LOCATION);
    assertThat(held.get().joinCalled).isCompleted();

    held.get().release.complete(null);
    await().atMost(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS).until(accepted::getState,
        CuratorFrameworkState.STOPPED::equals);
    assertThat(held.get().joined()).as("the late join succeeded").isTrue();
    zookeeper.close(); // its connections' threads too: what is left then is the broker's
    await().atMost(TestBrokers.START_TIMEOUT_S, TimeUnit.SECONDS)
        .untilAsserted(() -> assertThat(HeldJoin.threadsStartedSince(before))
            // ZooKeeper's Netty server closes its channels on an executor that outlives it
            .allMatch(name -> name.startsWith("defaultEventExecutor")));
  }
}
