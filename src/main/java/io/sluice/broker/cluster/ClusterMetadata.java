package io.sluice.broker.cluster;

import io.sluice.api.ClusterDescription;
import io.sluice.broker.metadata.BrokerRegistration;
import io.sluice.broker.metadata.MetadataSnapshot;
import io.sluice.broker.metadata.ZkPaths;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

/**
 * The cluster-wide facts beside topics: the cluster id ({@code /cluster_id}, created once by whichever broker starts
 * first), the brokers ever seen ({@code /brokers/seen/<id>}, persistent, so a dead broker still shows with
 * {@code alive: false}, until it is unregistered) and the controller ({@code /controller_epoch}'s {@code broker}). Reads and writes run on the
 * ZooKeeper worker pool.
 */
public final class ClusterMetadata {
  private final CuratorFramework client;
  private final WorkerExecutor zk;

  public ClusterMetadata(CuratorFramework client, WorkerExecutor zk) {
    this.client = client;
    this.zk = zk;
  }

  /** Creates {@code /cluster_id} unless it exists; completes with the cluster id. */
  public Future<String> ensureClusterId() {
    return zk.executeBlocking(() -> {
      try {
        client.create().creatingParentsIfNeeded().forPath(ZkPaths.CLUSTER_ID,
            UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8));
      } catch (KeeperException.NodeExistsException e) {
        // another broker was first
      }
      return new String(client.getData().forPath(ZkPaths.CLUSTER_ID), StandardCharsets.UTF_8);
    }, false);
  }

  /** Records {@code reg} under {@code /brokers/seen} (created or overwritten). */
  public Future<Void> recordSeen(BrokerRegistration reg) {
    return zk.executeBlocking(() -> {
      String path = ZkPaths.BROKERS_SEEN + "/" + reg.id();
      try {
        client.create().creatingParentsIfNeeded().forPath(path, reg.toJson());
      } catch (KeeperException.NodeExistsException e) {
        client.setData().forPath(path, reg.toJson());
      }
      return null;
    }, false);
  }

  /**
   * Forgets broker {@code id} ({@link io.sluice.api.BrokerService#unregisterBroker}): removes its
   * {@code /brokers/seen} record, unless it is registered now (ZooKeeper asked, not only {@code snapshot}, which may
   * lag a broker just started) or a partition of {@code snapshot} names it as a replica.
   */
  public Future<Void> unregister(int id, MetadataSnapshot snapshot) {
    List<String> held = new ArrayList<>();
    snapshot.topics().values().forEach(t -> t.assignment().forEach((p, replicas) -> {
      if (replicas.contains(id)) {
        held.add(t.name() + "-" + p);
      }
    }));
    return zk.executeBlocking(() -> {
      if (snapshot.liveBrokers().containsKey(id) || client.checkExists().forPath(ZkPaths.broker(id)) != null) {
        throw new SluiceException(ErrorCode.BROKER_STILL_ALIVE, "Broker " + id + " is alive (registered at "
            + ZkPaths.broker(id) + "): stop it for good before unregistering it");
      }
      if (!held.isEmpty()) {
        throw new SluiceException(ErrorCode.BROKER_HOLDS_REPLICAS, "Broker " + id + " is still a replica of "
            + held.size() + " partition(s) (" + String.join(", ", held.subList(0, Math.min(5, held.size())))
            + (held.size() > 5 ? ", ..." : "") + "): reassign them to other brokers before unregistering it");
      }
      try {
        client.delete().forPath(ZkPaths.BROKERS_SEEN + "/" + id);
      } catch (KeeperException.NoNodeException e) {
        throw new SluiceException(ErrorCode.BROKER_ID_NOT_REGISTERED, "Broker " + id + " is not known to the"
            + " cluster (never registered, or unregistered already)");
      }
      return null;
    }, false);
  }

  /** The cluster as {@code GET /cluster} shows it; liveness from {@code snapshot}. */
  public Future<ClusterDescription> describe(MetadataSnapshot snapshot) {
    return zk.executeBlocking(() -> {
      String clusterId = new String(client.getData().forPath(ZkPaths.CLUSTER_ID), StandardCharsets.UTF_8);
      Map<Integer, BrokerRegistration> seen = new TreeMap<>();
      try {
        for (String child : client.getChildren().forPath(ZkPaths.BROKERS_SEEN)) {
          int id = Integer.parseInt(child);
          seen.put(id, BrokerRegistration.fromJson(id, client.getData().forPath(ZkPaths.BROKERS_SEEN + "/" + child)));
        }
      } catch (KeeperException.NoNodeException e) {
        // no broker recorded yet
      }
      seen.putAll(snapshot.liveBrokers());
      List<ClusterDescription.BrokerInfo> brokers = new ArrayList<>();
      seen.forEach((id, reg) -> brokers.add(new ClusterDescription.BrokerInfo(id, reg.httpHost(), reg.httpPort(),
          snapshot.liveBrokers().containsKey(id), reg.rack())));
      return new ClusterDescription(clusterId, snapshot.liveController(), brokers);
    }, false);
  }
}
