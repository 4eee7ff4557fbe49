package io.sluice.http;

import io.sluice.api.RequestContext;

import io.sluice.api.BrokerService;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Identities for idempotent producers.
 *
 * <pre>
 * POST /producers   (no body needed)   200 {"producer_id": N, "producer_epoch": E}
 * </pre>
 *
 * A producer stamps the id, the epoch and a per-partition sequence number on every batch it sends; the partition
 * then writes a retried batch only once and refuses one out of sequence (OUT_OF_ORDER_SEQUENCE_NUMBER, 422).
 */
final class ProducersEndpoint {
  private final BrokerService service;

  ProducersEndpoint(BrokerService service) {
    this.service = service;
  }

  void mount(Router router) {
    router.post("/producers").handler(this::init);
  }

  private void init(RoutingContext ctx) {
    service.initProducerId(Callers.of(ctx))
        .onSuccess(id -> Replies.json(ctx, 200, new JsonObject().put("producer_id", id.producerId())
            .put("producer_epoch", id.producerEpoch())))
        .onFailure(ctx::fail);
  }
}
