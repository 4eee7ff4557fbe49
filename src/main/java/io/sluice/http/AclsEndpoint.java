package io.sluice.http;

import io.sluice.api.BrokerService;
import io.sluice.api.acl.AclBinding;
import io.sluice.api.acl.AclBindingFilter;
import io.sluice.api.acl.AclJson;
import io.sluice.api.acl.AclOperation;
import io.sluice.api.acl.AclPermission;
import io.sluice.api.acl.PatternType;
import io.sluice.api.acl.ResourceType;
import io.sluice.errors.Echo;
import io.sluice.errors.ErrorCode;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Router;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The cluster's ACLs, in Kafka REST v3's shape (its {@code /v3/clusters/{id}/acls} without the cluster in the path):
 * a binding is {@code {"resource_type", "resource_name", "pattern_type", "principal", "host", "operation",
 * "permission"}} (see {@link AclJson}); filters are the same names as query parameters.
 *
 * <pre>
 * GET    /acls?resource_type=TOPIC&amp;...        {"data": [bindings]}            (Cluster Describe)
 * POST   /acls  a binding, or {"data": [...]}    201 {"data": [bindings created]} (Cluster Alter)
 * DELETE /acls?resource_type=...&amp;...          {"data": [bindings deleted]}    (Cluster Alter)
 * </pre>
 *
 * A bad binding or filter is refused whole with 400 (42) naming the field; a DELETE must name resource_type (ANY for
 * every type), so a bare DELETE cannot drop every ACL by accident.
 */
final class AclsEndpoint {
  private static final Set<String> BATCH_FIELDS = Set.of("data");
  private final BrokerService service;

  AclsEndpoint(BrokerService service) {
    this.service = service;
  }

  void mount(Router router, Handler<RoutingContext> bodyHandler) {
    router.get("/acls").handler(this::list);
    router.post("/acls").handler(bodyHandler).handler(this::create);
    router.delete("/acls").handler(this::delete);
  }

  private void list(RoutingContext ctx) {
    AclBindingFilter filter = filter(ctx);
    service.describeAcls(Callers.of(ctx), filter).onSuccess(b -> Replies.json(ctx, 200, data(b)))
        .onFailure(ctx::fail);
  }

  private void create(RoutingContext ctx) {
    MediaTypes.requireJson(ctx);
    JsonObject body = Replies.jsonObjectBody(ctx);
    List<AclBinding> bindings = new ArrayList<>();
    if (body.containsKey("data")) {
      TopicsEndpoint.requireKnown(body, BATCH_FIELDS);
      if (!(body.getValue("data") instanceof JsonArray data) || data.isEmpty()) {
        throw ErrorResponses.error(ErrorCode.INVALID_REQUEST, "data must be a non-empty array of bindings");
      }
      for (int i = 0; i < data.size(); i++) {
        if (!(data.getValue(i) instanceof JsonObject o)) {
          throw ErrorResponses.error(ErrorCode.INVALID_REQUEST, "data[" + i + "] must be a binding object");
        }
        bindings.add(binding(o, "data[" + i + "]."));
      }
    } else {
      bindings.add(binding(body, ""));
    }
    service.createAcls(Callers.of(ctx), bindings).onSuccess(v -> Replies.json(ctx, 201, data(bindings)))
        .onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    if (ctx.queryParam("resource_type").isEmpty()) {
      throw ErrorResponses.error(ErrorCode.INVALID_REQUEST, "resource_type is required (ANY deletes of every type)");
    }
    AclBindingFilter filter = filter(ctx);
    service.deleteAcls(Callers.of(ctx), filter).onSuccess(b -> Replies.json(ctx, 200, data(b))).onFailure(ctx::fail);
  }

  private static AclBinding binding(JsonObject o, String where) {
    TopicsEndpoint.requireKnown(o, AclJson.FIELDS);
    try {
      return AclJson.binding(o);
    } catch (IllegalArgumentException e) {
      throw ErrorResponses.error(ErrorCode.INVALID_REQUEST, where + e.getMessage());
    }
  }

  private static AclBindingFilter filter(RoutingContext ctx) {
    for (String name : ctx.queryParams().names()) {
      if (!AclJson.FIELDS.contains(name)) {
        throw ErrorResponses.error(ErrorCode.INVALID_REQUEST, "Unknown parameter " + Echo.quoted(name) + "; known: "
            + new java.util.TreeSet<>(AclJson.FIELDS));
      }
    }
    try {
      return new AclBindingFilter(param(ctx, "resource_type", t -> ResourceType.parse("resource_type", t)),
          param(ctx, "resource_name", Function.identity()),
          param(ctx, "pattern_type", t -> PatternType.parse("pattern_type", t)),
          param(ctx, "principal", Function.identity()), param(ctx, "host", Function.identity()),
          param(ctx, "operation", t -> AclOperation.parse("operation", t)),
          param(ctx, "permission", t -> AclPermission.parse("permission", t)));
    } catch (IllegalArgumentException e) {
      throw ErrorResponses.error(ErrorCode.INVALID_REQUEST, e.getMessage());
    }
  }

  private static <T> T param(RoutingContext ctx, String name, Function<String, T> parse) {
    List<String> values = ctx.queryParam(name);
    if (values.size() > 1) {
      throw ErrorResponses.error(ErrorCode.INVALID_REQUEST, name + " is given more than once");
    }
    return values.isEmpty() ? null : parse.apply(values.get(0));
  }

  private static JsonObject data(List<AclBinding> bindings) {
    JsonArray out = new JsonArray();
    bindings.forEach(b -> out.add(AclJson.json(b)));
    return new JsonObject().put("data", out);
  }
}
