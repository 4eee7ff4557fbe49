package io.sluice.client;

import java.net.URI;
import java.util.List;

/** The brokers of a cluster and, when known, the controller's id (-1 otherwise). */
public record ClusterDescription(List<BrokerInfo> brokers, int controllerId) {

  public ClusterDescription {
    brokers = List.copyOf(brokers);
  }

  /**
   * A broker: its id (-1 when the cluster did not say), the base URL of its HTTP API and its {@code broker.rack}
   * (null without one).
   */
  public record BrokerInfo(int id, URI url, String rack) {
    public BrokerInfo(int id, URI url) {
      this(id, url, null);
    }
  }
}
