package io.sluice.http;

import io.sluice.api.RequestContext;

import io.sluice.api.BrokerService;
import io.sluice.api.OffsetRange;
import io.sluice.api.TopicMetadata;
import io.sluice.api.TopicMetadata.PartitionMetadata;
import io.sluice.errors.ErrorCode;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.OptionalLong;

/**
 * A topic's partitions and their offsets.
 *
 * <pre>
 * GET /topics/{topic}/partitions                          [{"partition", "leader", "replicas"}]
 * GET /topics/{topic}/partitions/{partition}              {"partition", "leader", "replicas"}
 * GET /topics/{topic}/partitions/{partition}/offsets      {"beginning_offset", "end_offset"}
 * GET .../offsets?timestamp=MS                            {"timestamp", "offset", "beginning_offset", "end_offset"}
 * DELETE /topics/{topic}/partitions/{partition}/records?offset=N   {"partition", "low_watermark"}
 * </pre>
 *
 * With {@code timestamp}, {@code offset} is the first offset whose record timestamp is at or after it, or null
 * when no record is that recent (a consumer would then start at {@code end_offset}).
 *
 * <p>The DELETE is Kafka's DeleteRecords ({@code kafka-delete-records.sh}): every record below {@code offset} goes
 * (-1: below the high watermark); {@code offset} is required, so a request that forgot it deletes nothing.
 */
final class PartitionsEndpoint {
  private final BrokerService service;

  PartitionsEndpoint(BrokerService service) {
    this.service = service;
  }

  void mount(Router router) {
    router.get("/topics/:topic/partitions").handler(this::list);
    router.get("/topics/:topic/partitions/:partition").handler(this::describe);
    router.get("/topics/:topic/partitions/:partition/offsets").handler(this::offsets);
    router.delete("/topics/:topic/partitions/:partition/records").handler(this::deleteRecords);
  }

  private void deleteRecords(RoutingContext ctx) {
    TopicPartition tp = Params.topicPartition(ctx);
    long offset = Params.requiredQueryLong(ctx, "offset", -1, Long.MAX_VALUE);
    service.deleteRecords(Callers.of(ctx), tp, offset)
        .onSuccess(low -> Replies.json(ctx, 200, new JsonObject().put("partition", tp.partition())
            .put("low_watermark", low)))
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    service.describeTopic(Callers.of(ctx), Params.topic(ctx))
        .onSuccess(topic -> {
          JsonArray partitions = new JsonArray();
          topic.partitions().forEach(p -> partitions.add(TopicJson.partition(p)));
          Replies.json(ctx, 200, partitions);
        })
        .onFailure(ctx::fail);
  }

  private void describe(RoutingContext ctx) {
    TopicPartition tp = Params.topicPartition(ctx);
    service.describeTopic(Callers.of(ctx), tp.topic())
        .map(topic -> partitionOf(topic, tp.partition()))
        .onSuccess(partition -> Replies.json(ctx, 200, TopicJson.partition(partition)))
        .onFailure(ctx::fail);
  }

  private void offsets(RoutingContext ctx) {
    TopicPartition tp = Params.topicPartition(ctx);
    String timestamp = ctx.request().getParam("timestamp");
    if (timestamp == null) {
      service.offsets(Callers.of(ctx), tp)
          .onSuccess(range -> Replies.json(ctx, 200, TopicJson.offsets(range)))
          .onFailure(ctx::fail);
      return;
    }
    long timestampMs = Params.parseLong("timestamp", timestamp, 0, Long.MAX_VALUE);
    Future<OffsetRange> range = service.offsets(Callers.of(ctx), tp);
    Future<OptionalLong> found = service.offsetForTimestamp(Callers.of(ctx), tp, timestampMs);
    Future.all(range, found)
        .onSuccess(all -> Replies.json(ctx, 200, timestampAnswer(timestampMs, found.result(), range.result())))
        .onFailure(ctx::fail);
  }

  private static JsonObject timestampAnswer(long timestampMs, OptionalLong offset, OffsetRange range) {
    return new JsonObject()
        .put("timestamp", timestampMs)
        .put("offset", offset.isPresent() ? offset.getAsLong() : null)
        .mergeIn(TopicJson.offsets(range));
  }

  static PartitionMetadata partitionOf(TopicMetadata topic, int partition) {
    return topic.partitions().stream()
        .filter(p -> p.partition() == partition)
        .findFirst()
        .orElseThrow(() -> ErrorResponses.error(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            "Topic '" + topic.name() + "' has no partition " + partition));
  }
}
