package io.sluice.http;

import io.sluice.api.BrokerService;
import io.sluice.api.ElectionResult;
import io.sluice.api.ElectionType;
import io.sluice.api.PartitionReassignmentInfo;
import io.sluice.api.TopicPartition;
import io.sluice.errors.ErrorCode;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Partition reassignment (Kafka's AlterPartitionReassignments / ListPartitionReassignments, KIP-455) and leader
 * elections (ElectLeaders). A reassignment answers {@code {"topic", "partition", "replicas", "adding_replicas",
 * "removing_replicas"}}; an election result {@code {"topic", "partition", "leader", "error_code", "message"}}.
 *
 * <pre>
 * PUT    /topics/{t}/partitions/{p}/reassignment     {"replicas": [2, 3]}   starts (or replaces) one; 200
 * DELETE /topics/{t}/partitions/{p}/reassignment     cancels it (back to the original replicas); 200
 * GET    /topics/{t}/partitions/{p}/reassignment     the partition's replicas and reassignment (empty lists: none)
 * GET    /reassignments                              {"reassignments": [every one in progress]}
 * POST   /topics/{t}/partitions/{p}/leader-election  {"type": "PREFERRED"|"UNCLEAN"}   200 or the election's error
 * POST   /leader-election                            {"type", "partitions"?: [{"topic", "partition"}]}  (none: all)
 *                                                    200 {"results": [one per partition]}
 * </pre>
 */
final class ReassignmentsEndpoint {
  private static final Set<String> REASSIGN_FIELDS = Set.of("replicas");
  private static final Set<String> ELECT_ONE_FIELDS = Set.of("type");
  private static final Set<String> ELECT_FIELDS = Set.of("type", "partitions");
  private static final Set<String> PARTITION_FIELDS = Set.of("topic", "partition");

  private final BrokerService service;

  ReassignmentsEndpoint(BrokerService service) {
    this.service = service;
  }

  void mount(Router router, Handler<RoutingContext> bodyHandler) {
    router.get("/reassignments").handler(this::list);
    router.get("/topics/:topic/partitions/:partition/reassignment").handler(this::describe);
    router.put("/topics/:topic/partitions/:partition/reassignment").handler(bodyHandler).handler(this::reassign);
    router.delete("/topics/:topic/partitions/:partition/reassignment").handler(this::cancel);
    router.post("/topics/:topic/partitions/:partition/leader-election").handler(bodyHandler)
        .handler(this::electOne);
    router.post("/leader-election").handler(bodyHandler).handler(this::elect);
  }

  private void list(RoutingContext ctx) {
    service.listPartitionReassignments(Callers.of(ctx)).onSuccess(all -> {
      JsonArray out = new JsonArray();
      all.forEach(r -> out.add(json(r)));
      Replies.json(ctx, 200, new JsonObject().put("reassignments", out));
    }).onFailure(ctx::fail);
  }

  private void describe(RoutingContext ctx) {
    TopicPartition tp = Params.topicPartition(ctx);
    service.listPartitionReassignments(Callers.of(ctx)).compose(all -> {
      PartitionReassignmentInfo ongoing = all.stream().filter(r -> r.partition().equals(tp)).findFirst().orElse(null);
      return ongoing != null ? io.vertx.core.Future.succeededFuture(ongoing)
          : service.describeTopic(Callers.of(ctx), tp.topic()).map(topic -> new PartitionReassignmentInfo(tp,
              PartitionsEndpoint.partitionOf(topic, tp.partition()).replicas().stream()
                  .map(io.sluice.api.TopicMetadata.ReplicaInfo::broker).toList(), List.of(), List.of()));
    }).onSuccess(r -> Replies.json(ctx, 200, json(r))).onFailure(ctx::fail);
  }

  private void reassign(RoutingContext ctx) {
    MediaTypes.requireJson(ctx);
    JsonObject body = Replies.jsonObjectBody(ctx);
    TopicsEndpoint.requireKnown(body, REASSIGN_FIELDS);
    if (!(body.getValue("replicas") instanceof JsonArray replicas)) {
      throw ErrorResponses.error(ErrorCode.INVALID_REPLICA_ASSIGNMENT, "'replicas' must be an array of broker ids,"
          + " the preferred leader first");
    }
    List<Integer> target = new ArrayList<>();
    for (Object b : replicas) {
      if (!(b instanceof Integer id)) {
        throw ErrorResponses.error(ErrorCode.INVALID_REPLICA_ASSIGNMENT, "'replicas' must hold broker ids"
            + " (integers), got " + b);
      }
      target.add(id);
    }
    service.alterPartitionReassignment(Callers.of(ctx), Params.topicPartition(ctx), target)
        .onSuccess(r -> Replies.json(ctx, 200, json(r))).onFailure(ctx::fail);
  }

  private void cancel(RoutingContext ctx) {
    service.alterPartitionReassignment(Callers.of(ctx), Params.topicPartition(ctx), null)
        .onSuccess(r -> Replies.json(ctx, 200, json(r))).onFailure(ctx::fail);
  }

  private void electOne(RoutingContext ctx) {
    MediaTypes.requireJson(ctx);
    JsonObject body = Replies.jsonObjectBody(ctx);
    TopicsEndpoint.requireKnown(body, ELECT_ONE_FIELDS);
    service.electLeaders(Callers.of(ctx), type(body), List.of(Params.topicPartition(ctx))).onSuccess(results -> {
      ElectionResult r = results.get(0);
      if (r.errorCode() != 0) {
        ctx.fail(ErrorResponses.error(codeOf(r.errorCode()), r.message()));
      } else {
        Replies.json(ctx, 200, json(r));
      }
    }).onFailure(ctx::fail);
  }

  private void elect(RoutingContext ctx) {
    MediaTypes.requireJson(ctx);
    JsonObject body = Replies.jsonObjectBody(ctx);
    TopicsEndpoint.requireKnown(body, ELECT_FIELDS);
    service.electLeaders(Callers.of(ctx), type(body), partitions(body.getValue("partitions"))).onSuccess(results -> {
      JsonArray out = new JsonArray();
      results.forEach(r -> out.add(json(r)));
      Replies.json(ctx, 200, new JsonObject().put("results", out));
    }).onFailure(ctx::fail);
  }

  private static ElectionType type(JsonObject body) {
    Object type = body.getValue("type");
    if (type instanceof String s) {
      try {
        return ElectionType.valueOf(s.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        // falls through to the error below
      }
    }
    throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "'type' must be 'PREFERRED' or 'UNCLEAN', got " + type);
  }

  private static List<TopicPartition> partitions(Object value) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array) || array.isEmpty()) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "'partitions' must be a non-empty array of"
          + " {\"topic\", \"partition\"} (leave it out for every partition)");
    }
    List<TopicPartition> out = new ArrayList<>();
    for (Object item : array) {
      if (!(item instanceof JsonObject p) || !(p.getValue("topic") instanceof String topic)
          || !(p.getValue("partition") instanceof Integer partition) || partition < 0) {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "Each entry of 'partitions' must be"
            + " {\"topic\": string, \"partition\": a non-negative integer}");
      }
      TopicsEndpoint.requireKnown(p, PARTITION_FIELDS);
      out.add(new TopicPartition(topic, partition));
    }
    return out;
  }

  private static ErrorCode codeOf(int code) {
    return Arrays.stream(ErrorCode.values()).filter(c -> c.code() == code).findFirst()
        .orElse(ErrorCode.UNKNOWN_SERVER_ERROR);
  }

  static JsonObject json(PartitionReassignmentInfo r) {
    return new JsonObject().put("topic", r.partition().topic()).put("partition", r.partition().partition())
        .put("replicas", new JsonArray(r.replicas())).put("adding_replicas", new JsonArray(r.addingReplicas()))
        .put("removing_replicas", new JsonArray(r.removingReplicas()));
  }

  private static JsonObject json(ElectionResult r) {
    JsonObject out = new JsonObject().put("topic", r.partition().topic()).put("partition", r.partition().partition())
        .put("leader", r.leader()).put("error_code", r.errorCode());
    return r.message() == null ? out : out.put("message", r.message());
  }
}
