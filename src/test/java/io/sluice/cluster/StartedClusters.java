package io.sluice.cluster;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts the {@link BrokerCluster}s of a cluster IT and closes each after the class (ZooKeeper and every broker
 * process killed, their output kept under target/it-logs): the start and the close each IT wrote out. Register it
 * static, start the cluster in {@code @BeforeAll}:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final StartedClusters CLUSTERS = new StartedClusters();
 * ...
 * @BeforeAll
 * void startCluster() throws Exception {
 *   cluster = CLUSTERS.startAll(tmp, 3);
 * }
 * }</pre>
 *
 * <p>It closes them after the class's own {@code @AfterAll} methods (a client of the cluster closes first) and
 * before its {@code @TempDir} is deleted.
 */
final class StartedClusters implements AfterAllCallback {
  private final List<BrokerCluster> started = new ArrayList<>();

  /** A cluster in {@code dir} with brokers 1..n, each listening and all seeing each other alive. */
  BrokerCluster startAll(Path dir, int n) throws Exception {
    BrokerCluster cluster = new BrokerCluster(dir);
    started.add(cluster); // before the brokers start: one that fails to start is killed too
    cluster.startAll(n);
    return cluster;
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    try {
      for (BrokerCluster cluster : started) {
        cluster.close();
      }
    } finally {
      started.clear();
    }
  }
}
