package io.sluice.http;

import io.sluice.api.RequestContext;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.ProduceResult;
import io.sluice.errors.ErrorCode;
import io.sluice.record.RecordBatch;
import io.sluice.api.TopicPartition;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The binary fast path: Kafka v2 record batches in, appended as they are.
 *
 * <pre>
 * POST /topics/{topic}/partitions/{partition}/batches[?acks=0|1|all][&transactional_id=ID]
 *   Content-Type: application/vnd.sluice.batch, body: one or more batches back to back
 *   200 {"offsets": [{"partition", "offset", "record_count"}]}   one entry per batch: its assigned base offset
 * </pre>
 *
 * Only the frames are checked here (magic, lengths), to count records; the broker checks CRCs and records and
 * assigns offsets without re-encoding. This path does not auto-create topics. With acks=0 offsets are -1. A transactional producer names its
 * {@code transactional_id}: the leader verifies its transaction with it (KIP-890, {@link BrokerService#produce}).
 */
final class BatchesEndpoint {
  private final BrokerService service;

  BatchesEndpoint(BrokerService service) {
    this.service = service;
  }

  void mount(Router router, Handler<RoutingContext> bodyHandler) {
    String path = "/topics/:topic/partitions/:partition/batches";
    router.post(path).handler(BatchesEndpoint::negotiate);
    router.post(path).handler(bodyHandler).handler(this::produce);
  }

  private static void negotiate(RoutingContext ctx) {
    MediaTypes.requireContentType(ctx, MediaTypes.SLUICE_BATCH);
    ProduceEndpoint.acks(ctx);
    ProduceEndpoint.transactionalId(ctx);
    ctx.next();
  }

  private void produce(RoutingContext ctx) {
    TopicPartition tp = Params.topicPartition(ctx);
    Acks acks = ProduceEndpoint.acks(ctx);
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "The body must hold at least one record batch");
    }
    ByteBuffer batches = PartitionBatchesEndpoint.bodyBytes(body); // not copied: nothing else holds the body
    // Counted before handing over: the broker may rewrite headers in place as it assigns offsets.
    List<Integer> recordCounts = BatchFrames.split(batches).stream().map(RecordBatch::recordCount).toList();
    service.produce(Callers.of(ctx), tp, batches, acks, ProduceEndpoint.transactionalId(ctx))
        .onSuccess(result -> Replies.json(ctx, 200, answer(tp, recordCounts, result)))
        .onFailure(ctx::fail);
  }

  private static JsonObject answer(TopicPartition tp, List<Integer> recordCounts, ProduceResult result) {
    JsonObject answer = new JsonObject().put("offsets", offsets(tp, recordCounts, result));
    return result.logAppendTimeMs() < 0 ? answer : answer.put("log_append_time_ms", result.logAppendTimeMs());
  }

  private static JsonArray offsets(TopicPartition tp, List<Integer> recordCounts, ProduceResult result) {
    List<Long> bases = result.batchBaseOffsets();
    JsonArray offsets = new JsonArray();
    for (int i = 0; i < recordCounts.size(); i++) {
      offsets.add(new JsonObject()
          .put("partition", tp.partition())
          .put("offset", i < bases.size() ? bases.get(i) : -1L)
          .put("record_count", recordCounts.get(i)));
    }
    return offsets;
  }
}
