package io.sluice.http;

import io.sluice.api.RequestContext;

import io.sluice.api.BrokerService;
import io.sluice.api.NewTopic;
import io.sluice.errors.Echo;
import io.sluice.errors.ErrorCode;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The topics resource: list, create, describe and delete.
 *
 * <pre>
 * GET    /topics          ["a", "b"]
 * POST   /topics          {"name", "partitions"?, "replication_factor"?, "configs"?}  201 + description
 * GET    /topics/{topic}  {"name", "configs", "partitions": [...]}
 * DELETE /topics/{topic}  204
 * POST   /topics/{topic}/partitions  {"count": n}  200 + description (grows the topic to n partitions)
 * </pre>
 *
 * Absent partitions or replication_factor take the broker's defaults (-1 means the same).
 */
final class TopicsEndpoint {
  private final BrokerService service;

  TopicsEndpoint(BrokerService service) {
    this.service = service;
  }

  void mount(Router router, Handler<RoutingContext> bodyHandler) {
    router.get("/topics").handler(this::list);
    router.post("/topics").handler(bodyHandler).handler(this::create);
    router.get("/topics/:topic").handler(this::describe);
    router.delete("/topics/:topic").handler(this::delete);
    router.post("/topics/:topic/partitions").handler(bodyHandler).handler(this::createPartitions);
  }

  private void list(RoutingContext ctx) {
    service.listTopics(Callers.of(ctx))
        .onSuccess(names -> Replies.json(ctx, 200, new JsonArray(names)))
        .onFailure(ctx::fail);
  }

  private static final Set<String> CREATE_FIELDS = Set.of("name", "partitions", "replication_factor", "configs");
  private static final Set<String> GROW_FIELDS = Set.of("count");

  private void create(RoutingContext ctx) {
    MediaTypes.requireJson(ctx);
    NewTopic request = parseNewTopic(Replies.jsonObjectBody(ctx));
    service.createTopic(Callers.of(ctx), request)
        .onSuccess(topic -> {
          ctx.response().putHeader("Location", UriPaths.of("topics", topic.name()));
          Replies.json(ctx, 201, TopicJson.topic(topic));
        })
        .onFailure(ctx::fail);
  }

  private void describe(RoutingContext ctx) {
    service.describeTopic(Callers.of(ctx), Params.topic(ctx))
        .onSuccess(topic -> Replies.json(ctx, 200, TopicJson.topic(topic)))
        .onFailure(ctx::fail);
  }

  private void createPartitions(RoutingContext ctx) {
    MediaTypes.requireJson(ctx);
    JsonObject body = Replies.jsonObjectBody(ctx);
    requireKnown(body, GROW_FIELDS);
    Object count = body.getValue("count");
    if (!(count instanceof Integer n)) {
      throw ErrorResponses.error(ErrorCode.INVALID_PARTITIONS, "'count' must be an integer, the new partition count");
    }
    service.createPartitions(Callers.of(ctx), Params.topic(ctx), n)
        .onSuccess(topic -> Replies.json(ctx, 200, TopicJson.topic(topic)))
        .onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    service.deleteTopic(Callers.of(ctx), Params.topic(ctx))
        .onSuccess(v -> Replies.noContent(ctx))
        .onFailure(ctx::fail);
  }

  /**
   * Refuses a field the request would otherwise ignore: {@code "config"} for {@code "configs"} created the topic with
   * the defaults, a {@code "replica_assignment"} was not followed, both without a word.
   */
  static void requireKnown(JsonObject body, Set<String> known) {
    for (String field : body.fieldNames()) {
      if (!known.contains(field)) {
        throw ErrorResponses.error(ErrorCode.INVALID_REQUEST, "Unknown field " + Echo.quoted(field) + "; known fields: "
            + new java.util.TreeSet<>(known));
      }
    }
  }

  static NewTopic parseNewTopic(JsonObject body) {
    requireKnown(body, CREATE_FIELDS);
    if (!(body.getValue("name") instanceof String name) || name.isEmpty()) {
      throw ErrorResponses.error(ErrorCode.INVALID_TOPIC_EXCEPTION, "'name' must be a non-empty string");
    }
    int partitions = count(body, "partitions", ErrorCode.INVALID_PARTITIONS);
    int replicationFactor = count(body, "replication_factor", ErrorCode.INVALID_REPLICATION_FACTOR);
    return new NewTopic(name, partitions, replicationFactor, configs(body.getValue("configs")));
  }

  /** A positive count, or -1 (broker default) when absent. */
  private static int count(JsonObject body, String field, ErrorCode invalid) {
    Object value = body.getValue(field);
    if (value == null) {
      return -1;
    }
    if (!(value instanceof Integer count) || (count < 1 && count != -1)) {
      throw ErrorResponses.error(invalid, Echo.quoted(field) + " must be a positive integer or -1, got " + value);
    }
    return count;
  }

  /** Topic config overrides; values may be strings, numbers or booleans and are kept as their text. */
  private static Map<String, String> configs(Object value) {
    if (value == null) {
      return Map.of();
    }
    if (!(value instanceof JsonObject object)) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "'configs' must be a JSON object");
    }
    Map<String, String> configs = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : object) {
      Object v = e.getValue();
      if (!(v instanceof String || v instanceof Number || v instanceof Boolean)) {
        throw ErrorResponses.error(ErrorCode.INVALID_REQUEST,
            "config '" + e.getKey() + "' must be a string, number or boolean");
      }
      configs.put(e.getKey(), v.toString());
    }
    return configs;
  }
}
