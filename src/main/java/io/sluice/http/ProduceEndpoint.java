package io.sluice.http;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.TransactionalIds;
import io.vertx.core.Handler;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Produce in Kafka REST v2's JSON shapes.
 *
 * <pre>
 * POST /topics/{topic}[?acks=0|1|all]
 * POST /topics/{topic}/partitions/{partition}[?acks=0|1|all]
 *   {"records": [...]}  (see {@link ProduceRequest})
 *   200 {"key_schema_id": null, "value_schema_id": null,
 *        "offsets": [{"partition", "offset", "error_code", "error"}]}   one entry per record, in request order
 *   4xx/5xx {"error_code", "message", "key_schema_id", "value_schema_id", "offsets": [...]}   no record written
 * </pre>
 *
 * Partitioning, batching and the status rule (200 when any record was written, else the error's status) are
 * {@link JsonRecordsProducer}'s, shared with WebSocket produce. A large body is decoded on the HTTP worker pool
 * ({@link BodyDecoding}).
 */
final class ProduceEndpoint {
  private static final String FORMAT_KEY = "sluice.embeddedFormat";
  private final JsonRecordsProducer producer;
  private final HttpApiConfig cfg;
  private final WorkerExecutor workers;

  ProduceEndpoint(BrokerService service, HttpApiConfig cfg, WorkerExecutor workers) {
    this.producer = new JsonRecordsProducer(service);
    this.cfg = cfg;
    this.workers = workers;
  }

  void mount(Router router, Handler<RoutingContext> bodyHandler) {
    for (String path : new String[] {"/topics/:topic", "/topics/:topic/partitions/:partition"}) {
      // vertx-web wants a body handler first on its route, so the checks that precede it get a route of their own.
      router.post(path).handler(ProduceEndpoint::negotiate);
      router.post(path).handler(bodyHandler).handler(this::produce);
    }
  }

  /** Checks Content-Type and acks before the body is read, so a wrong request fails without buffering it. */
  private static void negotiate(RoutingContext ctx) {
    ctx.put(FORMAT_KEY, MediaTypes.produceFormat(ctx));
    acks(ctx);
    ctx.next();
  }

  static Acks acks(RoutingContext ctx) {
    String acks = ctx.request().getParam("acks");
    return acks == null ? Acks.ALL : Acks.parse(acks);
  }

  /**
   * The binary produce paths' {@code transactional_id} query parameter (Kafka's ProduceRequest.transactionalId), or
   * null: the id whose coordinator a leader asks before the first transactional batch of a transaction (KIP-890).
   * INVALID_REQUEST for an id no transaction could have.
   */
  static String transactionalId(RoutingContext ctx) {
    String id = ctx.request().getParam("transactional_id");
    if (id != null) {
      TransactionalIds.validate(id);
    }
    return id;
  }

  private void produce(RoutingContext ctx) {
    String topic = Params.topic(ctx);
    Integer pathPartition = ctx.pathParam("partition") == null ? null : Params.partition(ctx);
    Acks acks = acks(ctx);
    EmbeddedFormat format = ctx.get(FORMAT_KEY);
    Buffer body = ctx.body().buffer();
    int bodyBytes = body == null ? 0 : body.length();
    BodyDecoding.decode(bodyBytes, workers, () -> ProduceRequest.parseBody(Replies.jsonObjectBody(body), format,
            cfg.maxRecordsPerRequest(), System.currentTimeMillis()))
        .compose(request -> producer.produce(Callers.of(ctx), topic, pathPartition, request.records(), acks,
            t -> ErrorResponses.toApiError(t, ctx)))
        .onSuccess(outcome -> Replies.json(ctx, outcome.status(), outcome.toJson(new JsonObject()
            .putNull("key_schema_id").putNull("value_schema_id"))))
        .onFailure(ctx::fail);
  }
}
