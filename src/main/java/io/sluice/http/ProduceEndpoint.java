package io.sluice.http;

import io.sluice.api.RequestContext;

import io.sluice.api.Acks;
import io.sluice.api.BrokerService;
import io.sluice.api.ProduceResult;
import io.sluice.api.TopicMetadata;
import io.sluice.errors.ErrorCode;
import io.sluice.http.ErrorResponses.ApiError;
import io.sluice.http.ProduceRequest.OutgoingRecord;
import io.sluice.api.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Produce in Kafka REST v2's JSON shapes.
 *
 * <pre>
 * POST /topics/{topic}[?acks=0|1|all]
 * POST /topics/{topic}/partitions/{partition}[?acks=0|1|all]
 *   {"records": [...]}  (see {@link ProduceRequest})
 *   200 {"key_schema_id": null, "value_schema_id": null,
 *        "offsets": [{"partition", "offset", "error_code", "error"}]}   one entry per record, in request order
 * </pre>
 *
 * A record goes to the partition of the path, else its own {@code partition}, else the murmur2 partition of its
 * key, else the next partition round-robin. The records for one partition become one uncompressed batch, so
 * record i of that batch gets offset base + i; the batches of one request are produced concurrently. A
 * partition whose produce fails gives its records {@code error_code} and {@code error} (and a null offset)
 * while the others succeed. With acks=0 offsets are -1: the broker answers before it assigns them.
 */
final class ProduceEndpoint {
  private static final String FORMAT_KEY = "sluice.embeddedFormat";
  private final BrokerService service;
  private final HttpApiConfig cfg;
  /** Round-robin position for records with neither key nor partition; event-loop confined. */
  private int nextUnkeyed;

  ProduceEndpoint(BrokerService service, HttpApiConfig cfg) {
    this.service = service;
    this.cfg = cfg;
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

  private void produce(RoutingContext ctx) {
    String topic = Params.topic(ctx);
    Integer pathPartition = ctx.pathParam("partition") == null ? null : Params.partition(ctx);
    Acks acks = acks(ctx);
    ProduceRequest request = ProduceRequest.parse(Replies.jsonObjectBody(ctx), ctx.get(FORMAT_KEY),
        cfg.maxRecordsPerRequest(), System.currentTimeMillis());
    service.metadataForProduce(Callers.of(ctx), topic)
        .map(metadata -> assign(metadata, pathPartition, request.records()))
        .compose(partitionOf -> produceAll(ctx, topic, request.records(), partitionOf, acks))
        .onSuccess(offsets -> Replies.json(ctx, 200, new JsonObject()
            .putNull("key_schema_id").putNull("value_schema_id").put("offsets", offsets)))
        .onFailure(ctx::fail);
  }

  /** The partition of each record, by index; a partition the topic lacks fails the whole request. */
  private int[] assign(TopicMetadata metadata, Integer pathPartition, List<OutgoingRecord> records) {
    int partitions = metadata.partitionCount();
    int[] partitionOf = new int[records.size()];
    for (int i = 0; i < records.size(); i++) {
      OutgoingRecord r = records.get(i);
      if (pathPartition != null && r.partition() != null && !r.partition().equals(pathPartition)) {
        throw ErrorResponses.error(ErrorCode.INVALID_RECORD, "records[" + i + "].partition " + r.partition()
            + " contradicts partition " + pathPartition + " of the path");
      }
      int p = pathPartition != null ? pathPartition
          : r.partition() != null ? r.partition()
          : r.key() != null ? RecordCodec.partitionForKey(r.key(), partitions)
          : Math.floorMod(nextUnkeyed++, partitions);
      if (p >= partitions) {
        throw ErrorResponses.error(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            "Topic '" + metadata.name() + "' has " + partitions + " partitions, there is no partition " + p);
      }
      partitionOf[i] = p;
    }
    return partitionOf;
  }

  private Future<JsonArray> produceAll(RoutingContext ctx, String topic, List<OutgoingRecord> records,
      int[] partitionOf, Acks acks) {
    Map<Integer, List<Integer>> indexesByPartition = new LinkedHashMap<>();
    for (int i = 0; i < partitionOf.length; i++) {
      indexesByPartition.computeIfAbsent(partitionOf[i], p -> new ArrayList<>()).add(i);
    }
    Map<Integer, Future<JsonObject[]>> outcomes = new LinkedHashMap<>();
    indexesByPartition.forEach((partition, indexes) ->
        outcomes.put(partition, produceOne(ctx, new TopicPartition(topic, partition), records, indexes, acks)));
    return Future.all(new ArrayList<>(outcomes.values())).map(all -> {
      JsonObject[] entries = new JsonObject[records.size()];
      outcomes.forEach((partition, outcome) -> {
        List<Integer> indexes = indexesByPartition.get(partition);
        for (int j = 0; j < indexes.size(); j++) {
          entries[indexes.get(j)] = outcome.result()[j];
        }
      });
      return new JsonArray(List.of((Object[]) entries));
    });
  }

  /** Produces one partition's batch; never fails: a failure becomes error entries for its records. */
  private Future<JsonObject[]> produceOne(RoutingContext ctx, TopicPartition tp, List<OutgoingRecord> records,
      List<Integer> indexes, Acks acks) {
    List<OutgoingRecord> batch = new ArrayList<>(indexes.size());
    indexes.forEach(i -> batch.add(records.get(i)));
    return service.produce(Callers.of(ctx), tp, RecordCodec.encode(batch), acks)
        .map(result -> successEntries(tp.partition(), result, indexes.size()))
        .recover(failure -> Future.succeededFuture(
            errorEntries(tp.partition(), ErrorResponses.toApiError(failure, ctx), indexes.size())));
  }

  private static JsonObject[] successEntries(int partition, ProduceResult result, int count) {
    boolean known = !result.batchBaseOffsets().isEmpty();
    long base = known ? result.batchBaseOffsets().get(0) : -1;
    JsonObject[] entries = new JsonObject[count];
    for (int j = 0; j < count; j++) {
      entries[j] = new JsonObject().put("partition", partition).put("offset", known ? base + j : -1)
          .putNull("error_code").putNull("error");
    }
    return entries;
  }

  private static JsonObject[] errorEntries(int partition, ApiError error, int count) {
    JsonObject[] entries = new JsonObject[count];
    for (int j = 0; j < count; j++) {
      entries[j] = new JsonObject().put("partition", partition).putNull("offset")
          .put("error_code", error.code().code()).put("error", error.message());
    }
    return entries;
  }
}
