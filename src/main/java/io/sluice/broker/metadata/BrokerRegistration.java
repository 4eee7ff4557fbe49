package io.sluice.broker.metadata;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * A live broker as it announces itself in its ephemeral {@code /brokers/ids/<id>} znode.
 *
 * @param id the broker id
 * @param httpHost the host clients reach its HTTP API on
 * @param httpPort the HTTP port
 * @param clusterNodeId the Vert.x cluster node id (the event-bus identity other brokers send to)
 * @param directoryId the {@code directory.id} of its data directory ({@code meta.properties}); null in
 *     registrations written by a Sluice that kept none. Tells a broker's own registration from before a crash from
 *     another broker's with the same id.
 */
public record BrokerRegistration(int id, String httpHost, int httpPort, String clusterNodeId, String directoryId) {

  public byte[] toJson() {
    JsonObject json = new JsonObject().put("version", 1).put("host", httpHost).put("http_port", httpPort)
        .put("cluster_node_id", clusterNodeId);
    if (directoryId != null) {
      json.put("directory_id", directoryId);
    }
    return json.toBuffer().getBytes();
  }

  public static BrokerRegistration fromJson(int id, byte[] data) {
    JsonObject json = new JsonObject(new String(data, StandardCharsets.UTF_8));
    return new BrokerRegistration(id, json.getString("host"), json.getInteger("http_port", -1),
        json.getString("cluster_node_id"), json.getString("directory_id"));
  }

  /** This registration advertising {@code port} as its HTTP port. */
  public BrokerRegistration withHttpPort(int port) {
    return new BrokerRegistration(id, httpHost, port, clusterNodeId, directoryId);
  }
}
