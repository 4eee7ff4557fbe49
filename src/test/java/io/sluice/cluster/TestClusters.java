package io.sluice.cluster;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The {@link BrokerCluster}s of a cluster IT, each closed (ZooKeeper and every broker process killed, their output
 * kept under target/it-logs) at the end of what made it: the start and the close each IT wrote out. Register it
 * static, {@code @RegisterExtension static final TestClusters CLUSTERS = new TestClusters();}, then
 *
 * <ul>
 *   <li>for one cluster for the whole class, in {@code @BeforeAll}: {@code cluster = CLUSTERS.startAll(tmp, 3);}.
 *       It is closed after the class's own {@code @AfterAll} methods (a client of it closes first);
 *   <li>for one cluster a test, in the test: {@code cluster = CLUSTERS.create(dir);}, its settings, then
 *       {@code cluster.startAll(n)}. It is closed after the test's own {@code @AfterEach} methods, its brokers'
 *       blocked-loop reports printed first.
 * </ul>
 *
 * Either is closed before its {@code @TempDir} is deleted, and is closed even when its start failed.
 */
final class TestClusters implements BeforeEachCallback, AfterEachCallback, AfterAllCallback {
  private final List<BrokerCluster> ofClass = new ArrayList<>();
  private final List<BrokerCluster> ofTest = new ArrayList<>();
  private boolean inTest;

  /** A cluster in {@code dir} with ZooKeeper running and no broker yet: set its settings, then start brokers. */
  BrokerCluster create(Path dir) {
    BrokerCluster cluster = new BrokerCluster(dir);
    (inTest ? ofTest : ofClass).add(cluster);
    return cluster;
  }

  /** A cluster in {@code dir} with brokers 1..n, each listening and all seeing each other alive. */
  BrokerCluster startAll(Path dir, int n) throws Exception {
    BrokerCluster cluster = create(dir);
    cluster.startAll(n);
    return cluster;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    inTest = true;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    inTest = false;
    for (BrokerCluster cluster : ofTest) {
      System.out.println("Blocked event loops reported: " + cluster.blockedLoopReports());
    }
    closeAll(ofTest);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    closeAll(ofClass);
  }

  private static void closeAll(List<BrokerCluster> clusters) throws Exception {
    try {
      for (BrokerCluster cluster : clusters) {
        cluster.close();
      }
    } finally {
      clusters.clear();
    }
  }
}
