package io.sluice.schema;

import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.nio.ByteBuffer;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreMutex;
import org.apache.zookeeper.KeeperException;

/**
 * The registry's one writer at a time across the cluster, as Confluent's primary: a ZooKeeper lock (a Curator
 * recipe, released by its session if the holder dies) held around each change, which reads {@code _schemas} to its
 * end first, so two brokers never give one version number or one id twice. The highest id ever given is kept in
 * ZooKeeper too: a permanently deleted schema's record leaves the compacted topic, and its id must not come back.
 * Changes run one at a time on this broker's single-thread writer pool (so at most one thread waits for the lock),
 * and block it while they wait for their records to commit.
 */
final class WriteLock {
  static final String LOCK_PATH = "/schema-registry/lock";
  static final String MAX_ID_PATH = "/schema-registry/max-id";
  private static final long WAIT_MS = 30_000;

  private final CuratorFramework zk;
  private final InterProcessSemaphoreMutex mutex;
  private final WorkerExecutor writer;

  WriteLock(CuratorFramework zk, WorkerExecutor writer) {
    this.zk = zk;
    this.mutex = new InterProcessSemaphoreMutex(zk, LOCK_PATH);
    this.writer = writer;
  }

  /** Runs {@code change} on the writer pool while holding the lock; 50001 if it is not had in 30 s. */
  <T> Future<T> holding(Callable<T> change) {
    return writer.executeBlocking(() -> {
      if (!mutex.acquire(WAIT_MS, TimeUnit.MILLISECONDS)) {
        throw new RegistryException(RegistryException.STORE_ERROR, "Another schema registry change held the"
            + " cluster's lock for " + WAIT_MS / 1000 + " s; retry later");
      }
      try {
        return change.call();
      } finally {
        mutex.release();
      }
    }, true);
  }

  /** The next id: above both {@code seen} (the topic's highest) and every id given before. Only while holding. */
  int nextId(int seen) throws Exception {
    int last;
    try {
      last = ByteBuffer.wrap(zk.getData().forPath(MAX_ID_PATH)).getInt();
    } catch (KeeperException.NoNodeException e) {
      last = 0;
    }
    int next = Math.max(last, seen) + 1;
    byte[] data = ByteBuffer.allocate(4).putInt(next).array();
    if (zk.checkExists().forPath(MAX_ID_PATH) == null) {
      zk.create().creatingParentsIfNeeded().forPath(MAX_ID_PATH, data);
    } else {
      zk.setData().forPath(MAX_ID_PATH, data);
    }
    return next;
  }
}
