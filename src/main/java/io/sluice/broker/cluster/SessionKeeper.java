package io.sluice.broker.cluster;

import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.ZkMetadataStore;
import io.sluice.broker.partition.PartitionManager;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.spi.cluster.zookeeper.ZookeeperClusterManager;
import java.lang.System.Logger.Level;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;

/**
 * Keeps this broker a member of the cluster across ZooKeeper trouble, without restarting it: the HTTP API stays up
 * (answering 503 where ZooKeeper is needed) and the logs stay open.
 *
 * <ul>
 *   <li><b>Fencing.</b> A session timeout without a connection (Curator SUSPENDED that long), or the server's word
 *       that the session expired (LOST), fences every partition: another broker may lead already, so nothing is
 *       acknowledged or copied. Curator's own guess of an expiry is off (see {@code Broker}), so a ZooKeeper that
 *       comes back with the session restored (a restarted server reads its sessions from disk) resumes it.</li>
 *   <li><b>Rejoining</b>, on every reconnection after a fence: after an expiry the cluster membership znode that
 *       vertx-zookeeper does not re-create (vertx-zookeeper#152: peers would see "Not a member of the cluster" and the
 *       event bus to this broker would stop) is written again; this broker's registration is made sure of
 *       ({@link ZkMetadataStore#ensureRegistered}: a new session registers anew, which the controller takes for a
 *       restart and answers with new leader epochs) and the session confirmed at once (so a stall noticed by the
 *       {@code PauseWatch} does not outlast the rejoin); then the partitions are unfenced at the current metadata. The
 *       controller candidacy needs nothing: Curator's {@code LeaderLatch} rejoins the election by itself. A rejoin
 *       that fails (the connection went again) is tried again on the next reconnection, or after a second.</li>
 *   <li><b>Readiness</b> ({@link #notReadyReason}): not ready without a connection, while fenced or rejoining, while
 *       the metadata does not show this broker's own registration (before the first one, or after an expiry), or
 *       while the cluster has no live controller.</li>
 * </ul>
 *
 * <p><b>Threading.</b> Curator's connection events are hopped onto the metadata store's context, which owns this
 * object's state; {@link #notReadyReason} may be called from any thread.
 */
public final class SessionKeeper {
  private static final System.Logger LOG = System.getLogger(SessionKeeper.class.getName());
  private static final long REJOIN_RETRY_MS = 1_000;

  private final Vertx vertx;
  private final Context context;
  private final CuratorFramework client;
  private final ZookeeperClusterManager clusterManager;
  private final ZkMetadataStore metadata;
  private final PartitionManager partitions;
  private final int brokerId;
  private final long sessionTimeoutMs;
  private volatile boolean fenced;
  private boolean expired;
  private boolean rejoining;
  private boolean closed;
  private long fenceTimer = -1;

  public SessionKeeper(Vertx vertx, CuratorFramework client, ZookeeperClusterManager clusterManager,
      ZkMetadataStore metadata, PartitionManager partitions, int brokerId, long sessionTimeoutMs) {
    this.vertx = vertx;
    this.context = metadata.context();
    this.client = client;
    this.clusterManager = clusterManager;
    this.metadata = metadata;
    this.partitions = partitions;
    this.brokerId = brokerId;
    this.sessionTimeoutMs = sessionTimeoutMs;
  }

  /** Starts following the connection. */
  public void start() {
    client.getConnectionStateListenable().addListener((c, state) -> context.runOnContext(v -> onState(state)));
    context.runOnContext(v -> {
      if (!client.getZookeeperClient().isConnected()) {
        onState(ConnectionState.SUSPENDED);
      }
    });
  }

  /** Why the broker should not take traffic now, or empty when it may. Any thread. */
  public Optional<String> notReadyReason() {
    if (fenced) {
      return Optional.of("Broker " + brokerId + " is fenced: it may have lost its ZooKeeper session, and rejoins the"
          + " cluster once ZooKeeper answers" + (metadata.connected() ? "" : " (no ZooKeeper connection now)"));
    }
    if (!metadata.connected()) {
      return Optional.of("Broker " + brokerId + " has no ZooKeeper connection");
    }
    if (!metadata.sessionTrusted()) {
      return Optional.of("Broker " + brokerId + " stood still and has not yet confirmed its ZooKeeper session");
    }
    MetadataSnapshot snapshot = metadata.snapshot();
    if (snapshot.registrationZxid(brokerId) != metadata.ownRegistrationZxid()) {
      return Optional.of("Broker " + brokerId + " is not registered in ZooKeeper (yet)");
    }
    if (snapshot.liveController() < 0) {
      return Optional.of("The cluster has no controller (being elected)");
    }
    return Optional.empty();
  }

  /** Stops reacting to the connection (shutdown): no rejoin starts after this. */
  public void close() {
    context.runOnContext(v -> {
      closed = true;
      cancelFenceTimer();
    });
  }

  private void onState(ConnectionState state) {
    if (closed) {
      return;
    }
    switch (state) {
      case SUSPENDED -> {
        if (fenceTimer < 0 && !fenced) {
          fenceTimer = vertx.setTimer(sessionTimeoutMs, id -> {
            fenceTimer = -1;
            if (!metadata.connected() && !closed) {
              fence("no ZooKeeper connection for the session timeout (" + sessionTimeoutMs + " ms): the session may"
                  + " have expired");
            }
          });
        }
      }
      case LOST -> {
        expired = true;
        fence("its ZooKeeper session expired");
      }
      case CONNECTED, RECONNECTED -> {
        cancelFenceTimer();
        if (fenced) {
          rejoin();
        }
      }
      default -> {
      }
    }
  }

  private void fence(String why) {
    cancelFenceTimer();
    if (!fenced) {
      LOG.log(Level.ERROR, "Broker " + brokerId + " lost its ZooKeeper session (" + why + "): fencing every"
          + " partition until it rejoins the cluster");
      fenced = true;
      partitions.fenceAll();
    }
  }

  private void rejoin() {
    if (rejoining || closed) {
      return;
    }
    rejoining = true;
    boolean newSession = expired;
    LOG.log(Level.INFO, "Broker " + brokerId + " reconnected to ZooKeeper (" + (newSession ? "new" : "same")
        + " session): rejoining the cluster");
    Future<Void> membership = newSession ? restoreMembership() : Future.succeededFuture();
    membership.compose(v -> metadata.ensureRegistered(4 * sessionTimeoutMs))
        .compose(v -> metadata.confirmSession())
        .compose(ok -> ok ? Future.<Void>succeededFuture()
            : Future.failedFuture("the registration is not owned by the current session"))
        .onComplete(this::rejoinDone);
  }

  private void rejoinDone(AsyncResult<Void> ar) {
    rejoining = false;
    if (closed) {
      return;
    }
    if (ar.succeeded()) {
      expired = false;
      fenced = false;
      partitions.resumeAll();
      LOG.log(Level.INFO, "Broker " + brokerId + " rejoined the cluster");
    } else {
      LOG.log(Level.WARNING, "Broker " + brokerId + " could not rejoin the cluster yet: " + ar.cause());
      vertx.setTimer(REJOIN_RETRY_MS, id -> {
        if (fenced && metadata.connected()) {
          rejoin();
        }
      });
    }
  }

  /**
   * Writes this node's cluster membership znode again (vertx-zookeeper#152): it is ephemeral, so it went with the
   * expired session, and vertx-zookeeper re-creates it only after a reconnection without expiry.
   */
  private Future<Void> restoreMembership() {
    Promise<Void> written = Promise.promise();
    clusterManager.setNodeInfo(clusterManager.getNodeInfo(), (v, t) -> {
      if (t == null) {
        written.tryComplete();
      } else {
        written.tryFail(t);
      }
    });
    // setNodeInfo reports only success; a failure shows as no answer.
    return written.future().timeout(sessionTimeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  private void cancelFenceTimer() {
    if (fenceTimer >= 0) {
      vertx.cancelTimer(fenceTimer);
      fenceTimer = -1;
    }
  }
}
