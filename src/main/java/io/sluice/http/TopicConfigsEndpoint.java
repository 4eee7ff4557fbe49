package io.sluice.http;

import io.sluice.api.BrokerService;
import io.sluice.api.ConfigAlteration;
import io.sluice.api.TopicConfigEntry;
import io.sluice.errors.Echo;
import io.sluice.errors.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A topic's configs, as Kafka REST v3's {@code /topics/{t}/configs} resource (Kafka's DescribeConfigs and
 * IncrementalAlterConfigs). Each config answers as {@code {"name", "value", "is_default", "is_read_only",
 * "is_sensitive", "source", "synonyms": [{"name", "value", "source"}]}}.
 *
 * <pre>
 * GET    /topics/{t}/configs              {"topic", "configs": [every topic config]}
 * GET    /topics/{t}/configs/{name}       one config
 * PUT    /topics/{t}/configs/{name}       {"value": "..."}   200 + the config as it is now
 * DELETE /topics/{t}/configs/{name}       back to the broker default; 200 + the config as it is now
 * POST   /topics/{t}/configs:alter        {"data": [{"name", "value"?, "operation"?: "SET"|"DELETE"}],
 *                                          "validate_only"?: false}   all or nothing; 200 + every config
 * </pre>
 *
 * Unlike REST v3 (204), a change answers the configs as they are then (or would be, with {@code validate_only}).
 */
final class TopicConfigsEndpoint {
  private static final Set<String> SET_FIELDS = Set.of("value");
  private static final Set<String> BATCH_FIELDS = Set.of("data", "validate_only");
  private static final Set<String> CHANGE_FIELDS = Set.of("name", "value", "operation");

  private final BrokerService service;

  TopicConfigsEndpoint(BrokerService service) {
    this.service = service;
  }

  void mount(Router router, Handler<RoutingContext> bodyHandler) {
    router.get("/topics/:topic/configs").handler(this::list);
    router.get("/topics/:topic/configs/:name").handler(this::one);
    router.put("/topics/:topic/configs/:name").handler(bodyHandler).handler(this::set);
    router.delete("/topics/:topic/configs/:name").handler(this::delete);
    router.postWithRegex("/topics/(?<topic>[^/]+)/configs:alter").handler(bodyHandler).handler(this::alter);
  }

  private void list(RoutingContext ctx) {
    service.describeTopicConfigs(Callers.of(ctx), Params.topic(ctx))
        .onSuccess(entries -> Replies.json(ctx, 200, all(Params.topic(ctx), entries)))
        .onFailure(ctx::fail);
  }

  private void one(RoutingContext ctx) {
    answerOne(ctx, service.describeTopicConfigs(Callers.of(ctx), Params.topic(ctx)));
  }

  private void set(RoutingContext ctx) {
    MediaTypes.requireJson(ctx);
    JsonObject body = Replies.jsonObjectBody(ctx);
    TopicsEndpoint.requireKnown(body, SET_FIELDS);
    String name = ctx.pathParam("name");
    ConfigAlteration change = ConfigAlteration.set(name, value(body.getValue("value"), name));
    answerOne(ctx, service.alterTopicConfigs(Callers.of(ctx), Params.topic(ctx), List.of(change), false));
  }

  private void delete(RoutingContext ctx) {
    ConfigAlteration change = ConfigAlteration.delete(ctx.pathParam("name"));
    answerOne(ctx, service.alterTopicConfigs(Callers.of(ctx), Params.topic(ctx), List.of(change), false));
  }

  private void alter(RoutingContext ctx) {
    MediaTypes.requireJson(ctx);
    JsonObject body = Replies.jsonObjectBody(ctx);
    TopicsEndpoint.requireKnown(body, BATCH_FIELDS);
    Object validateOnly = body.getValue("validate_only", false);
    if (!(validateOnly instanceof Boolean validate)) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "'validate_only' must be true or false");
    }
    List<ConfigAlteration> changes = changes(body.getValue("data"));
    service.alterTopicConfigs(Callers.of(ctx), Params.topic(ctx), changes, validate)
        .onSuccess(entries -> Replies.json(ctx, 200, all(Params.topic(ctx), entries)
            .put("validate_only", validate)))
        .onFailure(ctx::fail);
  }

  static List<ConfigAlteration> changes(Object data) {
    if (!(data instanceof JsonArray array) || array.isEmpty()) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "'data' must be a non-empty array of"
          + " {\"name\", \"value\", \"operation\"}");
    }
    List<ConfigAlteration> out = new ArrayList<>(array.size());
    for (Object item : array) {
      if (!(item instanceof JsonObject change)) {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "Each entry of 'data' must be an object");
      }
      TopicsEndpoint.requireKnown(change, CHANGE_FIELDS);
      if (!(change.getValue("name") instanceof String name) || name.isEmpty()) {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "Each entry of 'data' needs a 'name'");
      }
      ConfigAlteration.Op op = operation(change.getValue("operation", "SET"), name);
      if (op == ConfigAlteration.Op.DELETE && change.getValue("value") != null) {
        throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "Config " + Echo.quoted(name)
            + ": DELETE takes no 'value'");
      }
      out.add(op == ConfigAlteration.Op.SET ? ConfigAlteration.set(name, value(change.getValue("value"), name))
          : ConfigAlteration.delete(name));
    }
    return out;
  }

  private static ConfigAlteration.Op operation(Object value, String name) {
    if (value instanceof String s) {
      try {
        return ConfigAlteration.Op.valueOf(s.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        // falls through to the error below
      }
    }
    throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "Config " + Echo.quoted(name)
        + ": 'operation' must be 'SET' or"
        + " 'DELETE', got " + value);
  }

  /** A config value: a string, number or boolean, kept as its text (as at creation). */
  private static String value(Object value, String name) {
    if (!(value instanceof String || value instanceof Number || value instanceof Boolean)) {
      throw ErrorResponses.error(ErrorCode.INVALID_CONFIG, "Config " + Echo.quoted(name) + " needs a 'value': a string,"
          + " number or boolean");
    }
    return value.toString();
  }

  private static void answerOne(RoutingContext ctx, Future<List<TopicConfigEntry>> entries) {
    String name = ctx.pathParam("name");
    entries.onSuccess(list -> {
      TopicConfigEntry entry = list.stream().filter(e -> e.name().equals(name)).findFirst().orElse(null);
      if (entry == null) {
        ctx.fail(ErrorResponses.error(ErrorCode.NOT_FOUND, "Topic '" + Params.topic(ctx) + "' has no config '"
            + name + "'; known configs: " + list.stream().map(TopicConfigEntry::name).toList()));
      } else {
        Replies.json(ctx, 200, TopicJson.config(entry));
      }
    }).onFailure(ctx::fail);
  }

  private static JsonObject all(String topic, List<TopicConfigEntry> entries) {
    JsonArray configs = new JsonArray();
    entries.forEach(e -> configs.add(TopicJson.config(e)));
    return new JsonObject().put("topic", topic).put("configs", configs);
  }
}
