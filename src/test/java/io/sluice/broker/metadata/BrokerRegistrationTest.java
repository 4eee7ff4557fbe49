package io.sluice.broker.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.EmbeddedZooKeeper;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a broker claims its id. A registration znode that already belongs to the broker's own ZooKeeper session (a
 * create whose answer was lost in a connection loss, then retried) is taken as the broker's own, not waited out as
 * another broker's. One of another session is told apart by its data directory id: another directory's is a
 * duplicate broker id and fails at once, naming that broker; this directory's (a crash) is waited out.
 */
class BrokerRegistrationTest {
  @TempDir
  Path tmp;
  private EmbeddedZooKeeper zookeeper;
  private CuratorFramework curator;
  private Vertx vertx;
  private WorkerExecutor workers;
  private ZkMetadataStore store;

  @BeforeEach
  void start() throws Exception {
    zookeeper = EmbeddedZooKeeper.start(tmp.resolve("zk"), 0);
    curator = CuratorFrameworkFactory.newClient(zookeeper.connectString(), 4_000, 4_000,
        new ExponentialBackoffRetry(100, 3));
    curator.start();
    assertThat(curator.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
    vertx = Vertx.vertx();
    workers = vertx.createSharedWorkerExecutor("test-zookeeper", 2);
    store = new ZkMetadataStore(vertx, curator, workers, vertx.getOrCreateContext());
    store.start().await(20, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    store.closeAsync().await(20, TimeUnit.SECONDS);
    workers.close();
    vertx.close().await(20, TimeUnit.SECONDS);
    curator.close();
    zookeeper.close();
  }

  @Test
  void registrationAlreadyOwnedByThisSessionIsTakenAsOurs() throws Exception {
    BrokerRegistration reg = new BrokerRegistration(7, "127.0.0.1", 8080, "node-7", "dir-7");
    curator.usingNamespace(ZkPaths.NAMESPACE).create().withMode(CreateMode.EPHEMERAL)
        .forPath(ZkPaths.broker(7), reg.toJson());

    // Waiting out a foreign registration would take twice the session timeout and then fail.
    store.registerBroker(reg, 4_000).await(3, TimeUnit.SECONDS);

    assertThat(store.snapshot().liveBrokers().get(7)).isEqualTo(reg);
  }

  /** A second ZooKeeper session, as another broker process has. */
  private CuratorFramework otherSession() throws Exception {
    CuratorFramework other = CuratorFrameworkFactory.newClient(zookeeper.connectString(), 4_000, 4_000,
        new ExponentialBackoffRetry(100, 3));
    other.start();
    assertThat(other.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
    return other;
  }

  @Test
  void registrationOfAnotherDataDirectoryFailsAtOnceNamingThatBroker() throws Exception {
    try (CuratorFramework other = otherSession()) {
      other.usingNamespace(ZkPaths.NAMESPACE).create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL)
          .forPath(ZkPaths.broker(7), new BrokerRegistration(7, "127.0.0.1", 8081, "node-a", "dir-a").toJson());
      BrokerRegistration mine = new BrokerRegistration(7, "127.0.0.1", 8099, "node-b", "dir-b");

      long startNs = System.nanoTime();
      assertThatThrownBy(() -> store.registerBroker(mine, 4_000).await(20, TimeUnit.SECONDS))
          .isInstanceOf(DuplicateBrokerIdException.class)
          .hasMessageContaining("Broker id 7 is already registered by the broker at 127.0.0.1:8081");

      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs)).as("not waited out").isLessThan(4_000);
      assertThat(BrokerRegistration.fromJson(7, other.usingNamespace(ZkPaths.NAMESPACE).getData()
          .forPath(ZkPaths.broker(7)))).as("the other broker's registration is untouched").isEqualTo(
          new BrokerRegistration(7, "127.0.0.1", 8081, "node-a", "dir-a"));
    }
  }

  @Test
  void registrationOfThisDataDirectoryFromAnEarlierSessionIsWaitedOut() throws Exception {
    BrokerRegistration mine = new BrokerRegistration(7, "127.0.0.1", 8099, "node-b", "dir-b");
    CuratorFramework earlier = otherSession();
    earlier.usingNamespace(ZkPaths.NAMESPACE).create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL)
        .forPath(ZkPaths.broker(7), mine.toJson());

    var registered = store.registerBroker(mine, 4_000);
    earlier.close(); // the earlier life's session ends: its ephemeral registration goes

    registered.await(20, TimeUnit.SECONDS);
    assertThat(store.snapshot().liveBrokers().get(7)).isEqualTo(mine);
  }
}
