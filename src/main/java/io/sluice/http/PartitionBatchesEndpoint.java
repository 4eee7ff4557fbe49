package io.sluice.http;

import io.netty.buffer.ByteBuf;
import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.sluice.record.PartitionSections;
import io.sluice.record.PartitionSections.ProduceSection;
import io.sluice.record.RecordBatch;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.Handler;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The multi-partition binary produce: one request carries record batches for many partitions, as a Kafka
 * producer's request to one broker does, so a producer writing to many partitions pays one HTTP request per
 * broker rather than one per partition.
 *
 * <pre>
 * POST /batches[?acks=0|1|all][&transactional_id=ID]   (the id: as on the one-partition path)
 *   Content-Type: application/vnd.sluice.partition-batches, body: sections (PartitionSections), one per partition
 *   200 {"partitions": [one entry per section, in request order:
 *         {"topic", "partition", "offsets": [{"offset", "record_count"}]}          appended: one entry per batch
 *       | {"topic", "partition", "error_code", "message"}]}                         this partition refused
 * </pre>
 *
 * Each partition is appended exactly as {@code POST /topics/{t}/partitions/{p}/batches} would append it (same
 * checks, acks, idempotence and forwarding to its leader), independently of the others: one partition's error
 * does not fail the rest, and with acks=all an entry with offsets is acknowledged. A malformed framing (a cut
 * section, a partition named twice, an empty body) refuses the whole request with 400 before anything is written.
 */
final class PartitionBatchesEndpoint {
  static final String PATH = "/batches";
  private final BrokerService service;

  PartitionBatchesEndpoint(BrokerService service) {
    this.service = service;
  }

  void mount(Router router, Handler<RoutingContext> bodyHandler) {
    router.post(PATH).handler(PartitionBatchesEndpoint::negotiate);
    router.post(PATH).handler(bodyHandler).handler(this::produce);
  }

  private static void negotiate(RoutingContext ctx) {
    MediaTypes.requireContentType(ctx, MediaTypes.SLUICE_PARTITION_BATCHES);
    ProduceEndpoint.acks(ctx);
    ProduceEndpoint.transactionalId(ctx);
    ctx.next();
  }

  private void produce(RoutingContext ctx) {
    Acks acks = ProduceEndpoint.acks(ctx);
    String transactionalId = ProduceEndpoint.transactionalId(ctx);
    List<ProduceSection> sections;
    try {
      sections = PartitionSections.parseProduce(bodyBytes(ctx.body().buffer()));
    } catch (IllegalArgumentException e) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, e.getMessage());
    }
    RequestContext caller = Callers.of(ctx);
    if (sections.size() == 1) { // every one-at-a-time record: its answer without a join of one future
      produce(ctx, caller, sections.get(0), acks, transactionalId).onComplete(ar -> answer(ctx, List.of(ar.result())));
      return;
    }
    List<Future<BatchesAnswer.Entry>> answers = new ArrayList<>(sections.size());
    for (ProduceSection section : sections) {
      answers.add(produce(ctx, caller, section, acks, transactionalId));
    }
    Future.join(answers).onComplete(ar -> {
      List<BatchesAnswer.Entry> entries = new ArrayList<>(answers.size());
      answers.forEach(a -> entries.add(a.result()));
      answer(ctx, entries);
    });
  }

  private static void answer(RoutingContext ctx, List<BatchesAnswer.Entry> entries) {
    if (!ctx.response().closed()) {
      ctx.response().setStatusCode(200).putHeader("Content-Type", MediaTypes.KAFKA_V2_JSON)
          .end(BatchesAnswer.encode(entries));
    }
  }

  /**
   * The body's bytes without copying them when it is one heap array (the body handler's buffer, which nothing else
   * holds once the request is read): the appended batches are slices of it, as they were of the copy.
   */
  static ByteBuffer bodyBytes(Buffer body) {
    if (body == null) {
      return ByteBuffer.allocate(0);
    }
    ByteBuf buf = ((BufferInternal) body).getByteBuf();
    if (!buf.hasArray()) {
      return ByteBuffer.wrap(body.getBytes());
    }
    return ByteBuffer.wrap(buf.array(), buf.arrayOffset() + buf.readerIndex(), buf.readableBytes()).slice();
  }

  /** One partition's append; never fails: a refusal becomes its entry's error. */
  private Future<BatchesAnswer.Entry> produce(RoutingContext ctx, RequestContext caller, ProduceSection section,
      Acks acks, String transactionalId) {
    try {
      if (section.partition() < 0) {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "Partition " + section.partition()
            + " of topic " + section.topic() + " is negative");
      }
      if (!section.batches().hasRemaining()) {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "The section of " + section.topic() + "-"
            + section.partition() + " must hold at least one record batch");
      }
      // Counted before handing over: the broker may rewrite headers in place as it assigns offsets.
      List<Integer> counts = counts(BatchFrames.split(section.batches()));
      TopicPartition tp = new TopicPartition(section.topic(), section.partition());
      return service.produce(caller, tp, section.batches(), acks, transactionalId)
          .map(result -> BatchesAnswer.Entry.appended(section.topic(), section.partition(), counts,
              result.batchBaseOffsets(), result.logAppendTimeMs()))
          .otherwise(failure -> refused(section, failure, ctx));
    } catch (RuntimeException e) {
      return Future.succeededFuture(refused(section, e, ctx));
    }
  }

  /** Each batch's record count (a loop, not a stream: once per section of every produce request). */
  private static List<Integer> counts(List<RecordBatch> batches) {
    Integer[] counts = new Integer[batches.size()];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = batches.get(i).recordCount();
    }
    return List.of(counts);
  }

  private static BatchesAnswer.Entry refused(ProduceSection section, Throwable failure, RoutingContext ctx) {
    ErrorResponses.ApiError error = ErrorResponses.toApiError(failure, ctx);
    return BatchesAnswer.Entry.refused(section.topic(), section.partition(), error.code().code(), error.message());
  }
}
