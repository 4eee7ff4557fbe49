package io.sluice.http;

import io.sluice.api.RequestContext;

import io.sluice.api.BrokerService;
import io.sluice.errors.ErrorCode;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * Identities for idempotent producers.
 *
 * <pre>
 * POST /producers   (no body, or {})   200 {"producer_id": N, "producer_epoch": E}
 * </pre>
 *
 * A body naming anything is refused rather than ignored: a {@code transactional_id} in particular asks for Kafka's
 * transactions, which Sluice does not have, and a producer that believed it had them would lose their guarantees.
 *
 * A producer stamps the id, the epoch and a per-partition sequence number on every batch it sends; the partition
 * then writes a retried batch only once and refuses one out of sequence (OUT_OF_ORDER_SEQUENCE_NUMBER, 422).
 */
final class ProducersEndpoint {
  private final BrokerService service;

  ProducersEndpoint(BrokerService service) {
    this.service = service;
  }

  void mount(Router router, BodyHandler body) {
    router.post("/producers").handler(body).handler(this::init);
  }

  private void init(RoutingContext ctx) {
    JsonObject asked = RequestBodies.jsonObjectOrNull(ctx);
    if (asked != null && asked.containsKey("transactional_id")) {
      throw ErrorResponses.error(ErrorCode.INVALID_REQUEST, "transactional_id: Sluice has no transactions;"
          + " POST /producers without it gives an idempotent producer id");
    }
    if (asked != null && !asked.isEmpty()) {
      throw ErrorResponses.error(ErrorCode.INVALID_REQUEST, "Unknown field(s) " + new java.util.TreeSet<>(
          asked.fieldNames()) + "; POST /producers takes no body, or {}");
    }
    service.initProducerId(Callers.of(ctx))
        .onSuccess(id -> Replies.json(ctx, 200, new JsonObject().put("producer_id", id.producerId())
            .put("producer_epoch", id.producerEpoch())))
        .onFailure(ctx::fail);
  }
}
