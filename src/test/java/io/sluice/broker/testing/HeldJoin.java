package io.sluice.broker.testing;

import io.vertx.core.Completable;
import io.vertx.spi.cluster.zookeeper.ZookeeperClusterManager;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.curator.framework.CuratorFramework;

/**
 * A cluster manager whose join waits for {@link #release}: a broker's clustered Vert.x start arrives when the test
 * says, so that what happens before it (a failed start, a close) is ordered without timing.
 */
public final class HeldJoin extends ZookeeperClusterManager {
  /** Completes when Vert.x asks to join. */
  public final CompletableFuture<Void> joinCalled = new CompletableFuture<>();
  /** Completed by the test: the join then goes ahead. */
  public final CompletableFuture<Void> release = new CompletableFuture<>();
  private volatile boolean joined;

  public HeldJoin(CuratorFramework curator) {
    super(curator, UUID.randomUUID().toString());
  }

  @Override
  public void join(Completable<Void> promise) {
    joinCalled.complete(null);
    release.thenRun(() -> super.join((v, failure) -> {
      joined = failure == null;
      promise.complete(v, failure);
    }));
  }

  /** Whether the join went ahead and succeeded. */
  public boolean joined() {
    return joined;
  }

  /**
   * Names of the threads alive now that were not in {@code before}, but for the JVM's and Awaitility's pools and the
   * threads of {@link java.lang.ref.Cleaner}s, which live as long as the class that made one (the TLS stack's).
   */
  public static List<String> threadsStartedSince(Set<Thread> before) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.isAlive() && !before.contains(t))
        .map(Thread::getName).filter(n -> !n.startsWith("ForkJoinPool.commonPool") && !n.startsWith("awaitility")
            && !n.startsWith("Cleaner-")).sorted().toList();
  }
}
