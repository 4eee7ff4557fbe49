package io.sluice.broker.metadata;

import io.sluice.api.Listener;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A live broker as it announces itself in its ephemeral {@code /brokers/ids/<id>} znode: where each of its listeners
 * can be reached, so that a client of one protocol finds the others. JSON: {@code {"version": 2, "host", "http_port",
 * "cluster_node_id", "directory_id", "endpoints": [{"listener", "protocol", "host", "port"}]}}; {@code host} and
 * {@code http_port} name the HTTP listener (-1 without one), as version 1 did, so older readers still work.
 *
 * @param id the broker id
 * @param httpHost the host clients reach its HTTP API on
 * @param httpPort the HTTP port, -1 when the broker has no HTTP listener
 * @param clusterNodeId the Vert.x cluster node id (the event-bus identity other brokers send to)
 * @param directoryId the {@code directory.id} of its data directory ({@code meta.properties}); null in
 *     registrations written by a Sluice that kept none. Tells a broker's own registration from before a crash from
 *     another broker's with the same id.
 * @param endpoints every listener's endpoint (empty in a registration written by version 1)
 * @param rack its {@code broker.rack} ({@code "rack"}, Kafka's field name), null without one
 * @param inControlledShutdown the broker is stopping and asks the controller to move its partitions' leadership to
 *     other in-sync replicas first (Kafka's controlled shutdown; {@code "in_controlled_shutdown": true}, absent
 *     otherwise)
 * @param starting the broker registered but has not finished starting (its services and listeners are not all up):
 *     the controller's preferred-replica rebalance hands it no leadership yet, as KRaft's controller hands none to a
 *     broker before it is unfenced ({@code "starting": true}, absent once started, and in registrations of older
 *     Sluice versions)
 */
public record BrokerRegistration(int id, String httpHost, int httpPort, String clusterNodeId, String directoryId,
    List<Listener.Endpoint> endpoints, String rack, boolean inControlledShutdown, boolean starting) {

  public BrokerRegistration {
    endpoints = List.copyOf(endpoints);
  }

  /** A registration of a started broker. */
  public BrokerRegistration(int id, String httpHost, int httpPort, String clusterNodeId, String directoryId,
      List<Listener.Endpoint> endpoints, String rack, boolean inControlledShutdown) {
    this(id, httpHost, httpPort, clusterNodeId, directoryId, endpoints, rack, inControlledShutdown, false);
  }

  /** A registration without a rack, of a broker that is not stopping. */
  public BrokerRegistration(int id, String httpHost, int httpPort, String clusterNodeId, String directoryId,
      List<Listener.Endpoint> endpoints) {
    this(id, httpHost, httpPort, clusterNodeId, directoryId, endpoints, null, false);
  }

  /** A registration of a broker that is not stopping. */
  public BrokerRegistration(int id, String httpHost, int httpPort, String clusterNodeId, String directoryId,
      List<Listener.Endpoint> endpoints, String rack) {
    this(id, httpHost, httpPort, clusterNodeId, directoryId, endpoints, rack, false);
  }

  /** A registration that lists no listener endpoints (yet). */
  public BrokerRegistration(int id, String httpHost, int httpPort, String clusterNodeId, String directoryId) {
    this(id, httpHost, httpPort, clusterNodeId, directoryId, List.of());
  }

  public byte[] toJson() {
    JsonArray listeners = new JsonArray();
    endpoints.forEach(e -> listeners.add(new JsonObject().put("listener", e.listener()).put("protocol", e.protocol())
        .put("host", e.host()).put("port", e.port())));
    JsonObject json = new JsonObject().put("version", 2).put("host", httpHost).put("http_port", httpPort)
        .put("cluster_node_id", clusterNodeId).put("endpoints", listeners);
    if (directoryId != null) {
      json.put("directory_id", directoryId);
    }
    if (rack != null) {
      json.put("rack", rack);
    }
    if (inControlledShutdown) {
      json.put("in_controlled_shutdown", true);
    }
    if (starting) {
      json.put("starting", true);
    }
    return json.toBuffer().getBytes();
  }

  public static BrokerRegistration fromJson(int id, byte[] data) {
    JsonObject json = new JsonObject(new String(data, StandardCharsets.UTF_8));
    List<Listener.Endpoint> endpoints = new ArrayList<>();
    for (Object o : json.getJsonArray("endpoints", new JsonArray())) {
      JsonObject e = (JsonObject) o;
      endpoints.add(new Listener.Endpoint(e.getString("listener"), e.getString("protocol"), e.getString("host"),
          e.getInteger("port")));
    }
    return new BrokerRegistration(id, json.getString("host"), json.getInteger("http_port", -1),
        json.getString("cluster_node_id"), json.getString("directory_id"), endpoints, json.getString("rack"),
        json.getBoolean("in_controlled_shutdown", false), json.getBoolean("starting", false));
  }

  /** This registration in {@code rack} (null: none). */
  public BrokerRegistration withRack(String rack) {
    return new BrokerRegistration(id, httpHost, httpPort, clusterNodeId, directoryId, endpoints, rack,
        inControlledShutdown, starting);
  }

  /** This registration advertising {@code port} as its HTTP port. */
  public BrokerRegistration withHttpPort(int port) {
    return new BrokerRegistration(id, httpHost, port, clusterNodeId, directoryId, endpoints, rack,
        inControlledShutdown, starting);
  }

  /** This registration of a broker in controlled shutdown. */
  public BrokerRegistration stopping() {
    return new BrokerRegistration(id, httpHost, httpPort, clusterNodeId, directoryId, endpoints, rack, true,
        starting);
  }

  /** This registration marked as of a broker still starting, or as of one that has started. */
  public BrokerRegistration withStarting(boolean isStarting) {
    return new BrokerRegistration(id, httpHost, httpPort, clusterNodeId, directoryId, endpoints, rack,
        inControlledShutdown, isStarting);
  }

  /**
   * This registration listing {@code listeners}; the first HTTP one is also the version-1 {@code host} and
   * {@code http_port} (-1 without one).
   */
  public BrokerRegistration withEndpoints(List<Listener.Endpoint> listeners) {
    Listener.Endpoint http = listeners.stream().filter(e -> e.protocol().equals("http")).findFirst().orElse(null);
    return new BrokerRegistration(id, http != null ? http.host() : httpHost, http != null ? http.port() : -1,
        clusterNodeId, directoryId, listeners, rack, inControlledShutdown, starting);
  }
}
