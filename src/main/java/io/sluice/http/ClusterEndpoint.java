package io.sluice.http;

import io.sluice.api.RequestContext;

import io.sluice.api.BrokerService;
import io.sluice.api.ClusterDescription;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The cluster resource, answered by any broker.
 *
 * <pre>
 * GET    /cluster       {"cluster_id", "controller", "brokers": [{"id", "host", "port", "alive", "rack"}]}
 * DELETE /brokers/{id}  204: a broker retired for good is forgotten (Kafka's UnregisterBroker); 409 while it is alive
 *                       (10260) or a replica of any partition (10261), 404 for an id never seen (102)
 * </pre>
 */
final class ClusterEndpoint {
  private final BrokerService service;

  ClusterEndpoint(BrokerService service) {
    this.service = service;
  }

  void mount(Router router) {
    router.get("/cluster").handler(this::describe);
    router.delete("/brokers/:broker").handler(this::unregister);
  }

  private void unregister(RoutingContext ctx) {
    int id = (int) Params.parseLong("broker", ctx.pathParam("broker"), 0, Integer.MAX_VALUE);
    service.unregisterBroker(Callers.of(ctx), id).onSuccess(v -> Replies.noContent(ctx)).onFailure(ctx::fail);
  }

  private void describe(RoutingContext ctx) {
    service.describeCluster(Callers.of(ctx)).onSuccess(c -> Replies.json(ctx, 200, json(c))).onFailure(ctx::fail);
  }

  static JsonObject json(ClusterDescription c) {
    JsonArray brokers = new JsonArray();
    c.brokers().forEach(b -> brokers.add(new JsonObject().put("id", b.id()).put("host", b.host())
        .put("port", b.port()).put("alive", b.alive()).put("rack", b.rack())));
    return new JsonObject().put("cluster_id", c.clusterId()).put("controller", c.controller())
        .put("brokers", brokers);
  }
}
