package io.sluice.http;

import io.sluice.api.RequestContext;

import io.sluice.api.BrokerService;
import io.sluice.api.TransactionService;
import io.sluice.errors.ErrorCode;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.Handler;

/**
 * Identities for idempotent and transactional producers.
 *
 * <pre>
 * POST /producers   (no body, or {})   200 {"producer_id": N, "producer_epoch": E}
 * POST /producers   {"transactional_id": t, "transaction_timeout_ms": ms (default 60000)}
 *                   200 {"producer_id": N, "producer_epoch": E}   (Kafka's InitProducerId with a transactional id:
 *                   the id's producer with a new epoch, fencing the previous one; see {@link TransactionsEndpoint})
 * </pre>
 *
 * Any other field is refused rather than ignored; so is a {@code transactional_id} on a broker without the
 * transaction coordinator (a producer that believed it had transactions would lose their guarantees).
 *
 * A producer stamps the id, the epoch and a per-partition sequence number on every batch it sends; the partition
 * then writes a retried batch only once and refuses one out of sequence (OUT_OF_ORDER_SEQUENCE_NUMBER, 422).
 */
final class ProducersEndpoint {
  /** Kafka's producer default {@code transaction.timeout.ms}. */
  static final long DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;
  private static final java.util.Set<String> TRANSACTIONAL_FIELDS = java.util.Set.of("transactional_id",
      "transaction_timeout_ms");
  private final BrokerService service;
  private final TransactionService transactions;

  ProducersEndpoint(BrokerService service) {
    this(service, null);
  }

  /** {@code transactions}: the transaction coordinator, or null (a transactional_id is then refused). */
  ProducersEndpoint(BrokerService service, TransactionService transactions) {
    this.service = service;
    this.transactions = transactions;
  }

  void mount(Router router, Handler<RoutingContext> body) {
    router.post("/producers").handler(body).handler(this::init);
  }

  private void init(RoutingContext ctx) {
    JsonObject asked = RequestBodies.jsonObjectOrNull(ctx);
    if (asked != null && asked.containsKey("transactional_id")) {
      initTransactional(ctx, asked);
      return;
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

  private void initTransactional(RoutingContext ctx, JsonObject asked) {
    if (transactions == null) {
      throw ErrorResponses.error(ErrorCode.INVALID_REQUEST, "transactional_id: this broker has no transaction"
          + " coordinator; POST /producers without it gives an idempotent producer id");
    }
    java.util.Set<String> unknown = new java.util.TreeSet<>(asked.fieldNames());
    unknown.removeAll(TRANSACTIONAL_FIELDS);
    if (!unknown.isEmpty()) {
      throw ErrorResponses.error(ErrorCode.INVALID_REQUEST, "Unknown field(s) " + unknown + "; expected"
          + " transactional_id and transaction_timeout_ms");
    }
    if (!(asked.getValue("transactional_id") instanceof String id)) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "transactional_id must be a string");
    }
    Object timeout = asked.getValue("transaction_timeout_ms", DEFAULT_TRANSACTION_TIMEOUT_MS);
    if (!(timeout instanceof Number n) || n.doubleValue() != n.longValue()) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "transaction_timeout_ms must be an integer");
    }
    transactions.initTransactions(Callers.of(ctx), id, n.longValue())
        .onSuccess(p -> Replies.json(ctx, 200, new JsonObject().put("producer_id", p.producerId())
            .put("producer_epoch", p.producerEpoch())))
        .onFailure(ctx::fail);
  }
}
