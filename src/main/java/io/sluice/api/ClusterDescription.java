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
  /** The most replicas an internal topic takes by default ({@code -1}), Kafka's 3. */
  public static final int DEFAULT_INTERNAL_REPLICATION = 3;

  /**
   * The replication factor of an internal topic (the offsets topic, Connect's, a stream's changelog or repartition
   * topic) configured as {@code configured}: itself when positive, else ({@code -1}) the smaller of 3 and the brokers
   * the cluster has had (live or seen before, {@link #brokers()}), so a single broker works and a topic created
   * while one is down (a rolling restart) does not keep a smaller factor for good (KIP-115's hole). A broker retired
   * with {@code DELETE /brokers/{id}} no longer counts.
   */
  public int internalTopicReplicationFactor(int configured) {
    return configured > 0 ? configured : Math.max(1, Math.min(DEFAULT_INTERNAL_REPLICATION, brokers.size()));
  }

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
