package io.sluice.api;

import java.io.Serializable;
import java.util.List;

/**
 * The cluster as {@code GET /cluster} shows it.
 *
 * @param clusterId the id written by the first broker that started on this ZooKeeper
 * @param controller the broker id of the active controller, -1 if none is known
 * @param brokers every broker that ever registered, by id
 */
public record ClusterDescription(String clusterId, int controller, List<BrokerInfo> brokers) implements Serializable {

  /**
   * One broker: where its HTTP API listens, whether its ZooKeeper session is alive, and its {@code broker.rack}
   * (null without one).
   */
  public record BrokerInfo(int id, String host, int port, boolean alive, String rack) implements Serializable {
    public BrokerInfo(int id, String host, int port, boolean alive) {
      this(id, host, port, alive, null);
    }
  }
}
