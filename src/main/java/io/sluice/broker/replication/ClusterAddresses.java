package io.sluice.broker.replication;

/**
 * Event-bus addresses of a broker's cluster endpoints. Dotted, never with {@code /}: vertx-zookeeper turns
 * {@code /} into nested znodes and mis-keys the address.
 */
public final class ClusterAddresses {
  private ClusterAddresses() {
  }

  /** Where followers send {@link ReplicaFetchRequest}s to broker {@code brokerId}. */
  public static String replicaFetch(int brokerId) {
    return "sluice.broker." + brokerId + ".replica.fetch";
  }

  /** Where followers ask broker {@code brokerId} for its replica link's host and port ({@link ReplicaLinks}). */
  public static String replicaLink(int brokerId) {
    return "sluice.broker." + brokerId + ".replica.link";
  }

  /** Where other brokers forward client requests for partitions broker {@code brokerId} leads. */
  public static String forward(int brokerId) {
    return "sluice.broker." + brokerId + ".forward";
  }

  /** Where a broker that changed a topic asks broker {@code brokerId} to answer once it shows the change. */
  public static String topicSync(int brokerId) {
    return "sluice.broker." + brokerId + ".topic.sync";
  }
}
