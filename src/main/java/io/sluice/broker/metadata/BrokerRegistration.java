package io.sluice.broker.metadata;

import io.vertx.core.json.JsonObject;

/**
 * A live broker as it announces itself in its ephemeral {@code /brokers/ids/<id>} znode.
 *
 * @param id the broker id
 * @param httpHost the host clients reach its HTTP API on
 * @param httpPort the HTTP port
 * @param clusterNodeId the Vert.x cluster node id (the event-bus identity other brokers send to)
 */
public record BrokerRegistration(int id, String httpHost, int httpPort, String clusterNodeId) {

  public byte[] toJson() {
    return new JsonObject().put("version", 1).put("host", httpHost).put("http_port", httpPort)
        .put("cluster_node_id", clusterNodeId).toBuffer().getBytes();
  }

  public static BrokerRegistration fromJson(int id, byte[] data) {
    JsonObject json = new JsonObject(new String(data, java.nio.charset.StandardCharsets.UTF_8));
    return new BrokerRegistration(id, json.getString("host"), json.getInteger("http_port", -1),
        json.getString("cluster_node_id"));
  }
}
