package io.sluice.http;

import io.sluice.api.ProducerIdentity;
import io.sluice.api.TopicPartition;
import io.sluice.api.TransactionDescription;
import io.sluice.api.TransactionFilter;
import io.sluice.api.TransactionService;
import io.sluice.api.TxnOffsets;
import io.sluice.api.OffsetCommit;
import io.sluice.errors.ErrorCode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.Handler;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Kafka's transactions over HTTP, with its request names as the shape (Kafka REST has none). A transactional producer
 * starts with {@code POST /producers {"transactional_id": t, "transaction_timeout_ms": ms}} ({@link ProducersEndpoint},
 * Kafka's InitProducerId), then per transaction:
 *
 * <pre>
 * POST /transactions/{id}/partitions  {"producer_id", "producer_epoch", "partitions": [{"topic", "partition"}]}  204
 *      (AddPartitionsToTxn: before the first batch to each partition)
 * POST /transactions/{id}/offsets     {"producer_id", "producer_epoch", "group_id"[, "member_id", "generation_id"],
 *                                      "offsets": [{"topic", "partition", "offset"[, "metadata"]}]}  204
 *      (sendOffsetsToTransaction: AddOffsetsToTxn then TxnOffsetCommit; "offset" is Kafka's, the next to read;
 *       visible to the group's offset fetches once the transaction commits)
 * POST /transactions/{id}/commit      {"producer_id", "producer_epoch"[, "transaction_version": 2]}
 *                                     204 once every COMMIT marker is written; with transaction_version 2 (KIP-890
 *                                     part 2: the end bumps the epoch) 200 {"producer_id", "producer_epoch"}, the
 *                                     producer of the next transaction
 * POST /transactions/{id}/abort       as commit, with ABORT markers
 * GET  /transactions[?state=Ongoing][&producer_id=n][&duration_ms=ms]
 *                                     {"transactions": [{"transactional_id", "producer_id", "transaction_state",
 *                                      "coordinator_id"}]}                (ListTransactions; filters repeatable,
 *                                      duration_ms: open at least that long, KIP-994)
 * GET  /transactions/{id}             DescribeTransactions' fields
 * </pre>
 *
 * A broker service's routes (the transaction coordinator runs beside the group coordinator), so mounted as an
 * {@link HttpExtension}; any broker answers, the service routes to the id's coordinator.
 */
public final class TransactionsEndpoint implements HttpExtension {
  /** Kafka's transaction state names, as a listing's {@code state} filter takes them. */
  private static final Set<String> STATES = new TreeSet<>(List.of("Empty", "Ongoing", "PrepareCommit",
      "PrepareAbort", "CompleteCommit", "CompleteAbort", "PrepareEpochFence", "Dead"));
  private static final Set<String> END_FIELDS = Set.of("producer_id", "producer_epoch", "transaction_version");
  private static final Set<String> ADD_FIELDS = Set.of("producer_id", "producer_epoch", "partitions");
  private static final Set<String> OFFSETS_FIELDS = Set.of("producer_id", "producer_epoch", "group_id", "member_id",
      "generation_id", "offsets");

  private final TransactionService service;

  public TransactionsEndpoint(TransactionService service) {
    this.service = service;
  }

  /** For {@link ProducersEndpoint}: the same service answers a transactional {@code POST /producers}. */
  TransactionService service() {
    return service;
  }

  @Override
  public void mount(Router router, Handler<RoutingContext> body) {
    router.get("/transactions").handler(this::list);
    router.get("/transactions/:transactional_id").handler(this::describe);
    router.post("/transactions/:transactional_id/partitions").handler(body).handler(this::addPartitions);
    router.post("/transactions/:transactional_id/offsets").handler(body).handler(this::sendOffsets);
    router.post("/transactions/:transactional_id/commit").handler(body).handler(ctx -> end(ctx, true));
    router.post("/transactions/:transactional_id/abort").handler(body).handler(ctx -> end(ctx, false));
  }

  private void addPartitions(RoutingContext ctx) {
    JsonObject o = body(ctx, ADD_FIELDS);
    service.addPartitions(Callers.of(ctx), ctx.pathParam("transactional_id"), producer(o), partitions(o))
        .onSuccess(v -> Replies.noContent(ctx)).onFailure(ctx::fail);
  }

  private void sendOffsets(RoutingContext ctx) {
    JsonObject o = body(ctx, OFFSETS_FIELDS);
    if (!(o.getValue("group_id") instanceof String group) || group.isEmpty()
        || (o.containsKey("member_id") && !(o.getValue("member_id") instanceof String))) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "group_id must be a non-empty string (member_id, when"
          + " given, a string)");
    }
    int generation = o.containsKey("generation_id") ? (int) number(o, "generation_id", -1, Integer.MAX_VALUE) : -1;
    TxnOffsets sent = new TxnOffsets(group, o.getString("member_id"), generation, offsets(o));
    service.sendOffsetsToTransaction(Callers.of(ctx), ctx.pathParam("transactional_id"), producer(o), sent)
        .onSuccess(v -> Replies.noContent(ctx)).onFailure(ctx::fail);
  }

  private static Map<TopicPartition, OffsetCommit> offsets(JsonObject o) {
    Object v = o.getValue("offsets");
    if (!(v instanceof JsonArray a) || a.isEmpty()) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "offsets must be a non-empty array of {\"topic\","
          + " \"partition\", \"offset\"[, \"metadata\"]}");
    }
    Map<TopicPartition, OffsetCommit> out = new LinkedHashMap<>();
    for (Object e : a) {
      if (!(e instanceof JsonObject p) || !(p.getValue("topic") instanceof String topic)
          || (p.containsKey("metadata") && !(p.getValue("metadata") instanceof String))) {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "Each of offsets must be {\"topic\": name,"
            + " \"partition\": n, \"offset\": next offset to read[, \"metadata\": string]}");
      }
      out.put(new TopicPartition(topic, (int) number(p, "partition", 0, Integer.MAX_VALUE)),
          new OffsetCommit(number(p, "offset", 0, Long.MAX_VALUE), p.getString("metadata", "")));
    }
    return out;
  }

  private void end(RoutingContext ctx, boolean commit) {
    JsonObject o = body(ctx, END_FIELDS);
    // Kafka's transaction version: 2 is an EndTxn from a client that takes the bumped epoch from the answer; a client
    // of version 1 (the default, answered 204 as before) would be fenced at its next transaction.
    boolean bump = o.containsKey("transaction_version") && number(o, "transaction_version", 1, 2) == 2;
    service.endTransaction(Callers.of(ctx), ctx.pathParam("transactional_id"), producer(o), commit, bump)
        .onSuccess(next -> {
          if (bump) {
            Replies.json(ctx, 200, new JsonObject().put("producer_id", next.producerId())
                .put("producer_epoch", next.producerEpoch()));
          } else {
            Replies.noContent(ctx);
          }
        }).onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    service.list(Callers.of(ctx), filter(ctx)).onSuccess(all -> {
      JsonArray out = new JsonArray();
      all.forEach(t -> out.add(new JsonObject()
          .put("transactional_id", t.transactionalId()).put("producer_id", t.producerId())
          .put("transaction_state", t.state()).put("coordinator_id", t.coordinatorId())));
      Replies.json(ctx, 200, new JsonObject().put("transactions", out));
    }).onFailure(ctx::fail);
  }

  /** Kafka's ListTransactions filters: {@code state} and {@code producer_id} (each repeatable), {@code duration_ms}. */
  private static TransactionFilter filter(RoutingContext ctx) {
    Set<String> states = new TreeSet<>(ctx.queryParam("state"));
    Set<String> unknown = new TreeSet<>(states);
    unknown.removeAll(STATES);
    if (!unknown.isEmpty()) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "Unknown transaction state(s) " + unknown + "; one of "
          + STATES);
    }
    Set<Long> producers = new TreeSet<>();
    ctx.queryParam("producer_id").forEach(v -> producers.add(Params.parseLong("producer_id", v, 0, Long.MAX_VALUE)));
    return new TransactionFilter(states, producers, Params.queryLong(ctx, "duration_ms", 0, 0, Long.MAX_VALUE));
  }

  private void describe(RoutingContext ctx) {
    service.describe(Callers.of(ctx), ctx.pathParam("transactional_id")).onSuccess(t -> Replies.json(ctx, 200, json(t)))
        .onFailure(ctx::fail);
  }

  static JsonObject json(TransactionDescription t) {
    Map<String, JsonArray> topics = new LinkedHashMap<>();
    t.partitions().forEach(tp -> topics.computeIfAbsent(tp.topic(), k -> new JsonArray()).add(tp.partition()));
    JsonArray out = new JsonArray();
    topics.forEach((topic, parts) -> out.add(new JsonObject().put("topic", topic).put("partitions", parts)));
    return new JsonObject().put("transactional_id", t.transactionalId()).put("coordinator_id", t.coordinatorId())
        .put("transaction_state", t.state()).put("transaction_timeout_ms", t.transactionTimeoutMs())
        .put("transaction_start_time_ms", t.transactionStartTimeMs()).put("producer_id", t.producerId())
        .put("producer_epoch", t.producerEpoch()).put("topics", out);
  }

  /** The JSON object body, refusing fields not in {@code fields} (400). */
  static JsonObject body(RoutingContext ctx, Set<String> fields) {
    MediaTypes.requireJson(ctx);
    JsonObject o = Replies.jsonObjectBody(ctx);
    Set<String> unknown = new TreeSet<>(o.fieldNames());
    unknown.removeAll(fields);
    if (!unknown.isEmpty()) {
      throw ErrorResponses.error(ErrorCode.INVALID_REQUEST, "Unknown field(s) " + unknown + "; expected " + new TreeSet<>(
          fields));
    }
    return o;
  }

  static ProducerIdentity producer(JsonObject o) {
    long id = number(o, "producer_id", 0, Long.MAX_VALUE);
    long epoch = number(o, "producer_epoch", 0, Short.MAX_VALUE);
    return new ProducerIdentity(id, (short) epoch);
  }

  static long number(JsonObject o, String field, long min, long max) {
    Object v = o.getValue(field);
    if (!(v instanceof Number n) || n.doubleValue() != n.longValue() || n.longValue() < min || n.longValue() > max) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, field + " must be an integer in [" + min + ", " + max
          + "]");
    }
    return n.longValue();
  }

  private static List<TopicPartition> partitions(JsonObject o) {
    Object v = o.getValue("partitions");
    if (!(v instanceof JsonArray a) || a.isEmpty()) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "partitions must be a non-empty array of"
          + " {\"topic\", \"partition\"}");
    }
    List<TopicPartition> out = new ArrayList<>();
    for (Object e : a) {
      if (!(e instanceof JsonObject p) || !(p.getValue("topic") instanceof String topic) || p.size() != 2) {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "Each of partitions must be {\"topic\": name,"
            + " \"partition\": n}");
      }
      out.add(new TopicPartition(topic, (int) number(p, "partition", 0, Integer.MAX_VALUE)));
    }
    return out;
  }
}
