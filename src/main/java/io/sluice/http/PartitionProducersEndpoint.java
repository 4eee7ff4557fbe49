package io.sluice.http;

import io.sluice.api.BrokerService;
import io.sluice.api.ProducerState;
import io.sluice.api.TopicPartition;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.Handler;
import java.util.Set;

/**
 * Kafka's tools for hanging transactions (KIP-664) on one partition, answered by its leader (any broker forwards):
 *
 * <pre>
 * GET  /topics/{topic}/partitions/{partition}/producers           {"partition", "producers": [{"producer_id",
 *      "producer_epoch", "last_sequence", "last_append_time_ms", "current_transaction_start_offset",
 *      "coordinator_epoch"}]}  (coordinator_epoch: of the producer's last transaction marker here, -1 before one)
 *      (DescribeProducers: Read on the topic)
 * POST /topics/{topic}/partitions/{partition}/abort-transaction   {"producer_id", "producer_epoch"[,
 *      "coordinator_epoch"]}  204 once the ABORT marker is written on every in-sync replica
 *      (Admin.abortTransaction, a WriteTxnMarkers: Alter or ClusterAction on the cluster)
 * </pre>
 *
 * A producer whose {@code current_transaction_start_offset} is the partition's last stable offset and whose
 * transaction its coordinator does not know (or has long ended) is hanging; aborting it lets read_committed readers
 * past it. An epoch older than the producer's newest is refused (INVALID_PRODUCER_EPOCH), so a stale abort cannot
 * end a newer transaction.
 */
final class PartitionProducersEndpoint {
  private static final Set<String> ABORT_FIELDS = Set.of("producer_id", "producer_epoch", "coordinator_epoch");
  private final BrokerService service;

  PartitionProducersEndpoint(BrokerService service) {
    this.service = service;
  }

  void mount(Router router, Handler<RoutingContext> body) {
    router.get("/topics/:topic/partitions/:partition/producers").handler(this::describe);
    router.post("/topics/:topic/partitions/:partition/abort-transaction").handler(body).handler(this::abort);
  }

  private void describe(RoutingContext ctx) {
    TopicPartition tp = Params.topicPartition(ctx);
    service.describeProducers(Callers.of(ctx), tp).onSuccess(all -> {
      JsonArray out = new JsonArray();
      all.forEach(p -> out.add(json(p)));
      Replies.json(ctx, 200, new JsonObject().put("partition", tp.partition()).put("producers", out));
    }).onFailure(ctx::fail);
  }

  static JsonObject json(ProducerState p) {
    return new JsonObject().put("producer_id", p.producerId()).put("producer_epoch", p.producerEpoch())
        .put("last_sequence", p.lastSequence()).put("last_append_time_ms", p.lastAppendTimeMs())
        .put("current_transaction_start_offset", p.currentTransactionStartOffset())
        .put("coordinator_epoch", p.coordinatorEpoch());
  }

  private void abort(RoutingContext ctx) {
    TopicPartition tp = Params.topicPartition(ctx);
    JsonObject o = TransactionsEndpoint.body(ctx, ABORT_FIELDS);
    int coordinatorEpoch = o.containsKey("coordinator_epoch")
        ? (int) TransactionsEndpoint.number(o, "coordinator_epoch", 0, Integer.MAX_VALUE) : 0;
    service.abortTransaction(Callers.of(ctx), tp, TransactionsEndpoint.producer(o), coordinatorEpoch)
        .onSuccess(v -> Replies.noContent(ctx)).onFailure(ctx::fail);
  }
}
