package io.sluice.streams;

import io.sluice.api.RequestContext;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.http.RequestBodies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * {@code /streams}: create, list, describe (with per-task status), update, pause, resume, restart, delete, and
 * preview ({@link StreamPreview}). Errors are {@code {"error_code", "message"}}: a definition that does not compile
 * is a 400 naming the step and the position, and nothing is stored. With the authorizer on, each call needs what
 * {@link StreamAccess} names on the stream's topics, and refusals do not tell whether a stream exists.
 */
final class StreamsEndpoint {
  private static final String TO_DESCRIBE = "describe stream {} (Describe is needed on every topic it reads and writes)";
  private static final String TO_CHANGE = "change stream {} (Read is needed on every topic it reads, Write on every "
      + "topic it writes)";
  private static final String TO_DELETE = "delete stream {} (Read is needed on every topic it reads, Write on every "
      + "topic it writes, and with delete_topics Delete on its dead-letter, repartition and changelog topics)";
  private final StreamsService service;
  private final TopologyCache topologies = new TopologyCache();

  StreamsEndpoint(StreamsService service) {
    this.service = service;
  }

  void mount(Router router, io.vertx.core.Handler<RoutingContext> body) {
    router.post("/streams/preview").handler(body).handler(guard(this::preview));
    router.post("/streams").handler(body).handler(guard(this::create));
    router.get("/streams").handler(guard(this::list));
    router.get("/streams/:name").handler(guard(this::describe));
    router.get("/streams/:name/topology").handler(guard(this::topology));
    router.put("/streams/:name").handler(body).handler(guard(this::update));
    router.delete("/streams/:name").handler(guard(this::delete));
    router.post("/streams/:name/pause").handler(guard(ctx -> change(ctx, r -> r.put("paused", true))));
    router.post("/streams/:name/resume").handler(guard(ctx -> change(ctx, r -> r.put("paused", false))));
    router.get("/streams/:name/stores/:store/keys/:key").handler(guard(this::queryKey));
    router.get("/streams/:name/stores/:store/keys").handler(guard(this::scan));
    router.post("/streams/:name/restart").handler(guard(ctx -> change(ctx, r -> r.put("restarts",
        r.getLong("restarts", 0L) + 1))));
  }

  private interface Handler {
    void handle(RoutingContext ctx) throws Exception;
  }

  private io.vertx.core.Handler<RoutingContext> guard(Handler h) {
    return ctx -> {
      try {
        service.store();
        h.handle(ctx);
      } catch (ClassCastException e) { // a field of the wrong type that the definition's checks did not name
        ctx.fail(wrongType(ctx, e));
      } catch (Exception e) {
        ctx.fail(e);
      }
    };
  }

  /**
   * Fails the request with {@code t}; a cast failure of the work done on the pool (where definitions are parsed) is
   * the same 400 as one in the route itself, not the failure handler's 500.
   */
  private static void fail(RoutingContext ctx, Throwable t) {
    ctx.fail(t instanceof ClassCastException e ? wrongType(ctx, e) : t);
  }

  /**
   * A 400 for a field of the wrong type that no check named. It said "The request body must be a JSON object" of
   * any body, which sent the user looking at the wrong thing; it now says which JSON types met, from the cast's
   * message ("class java.lang.Integer cannot be cast to class java.lang.String ..."), and on which call.
   */
  static SluiceException wrongType(RoutingContext ctx, ClassCastException e) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("class (\\S+) cannot be cast to class (\\S+)")
        .matcher(String.valueOf(e.getMessage()));
    String types = m.find() ? ": " + jsonType(m.group(1)) + " where " + jsonType(m.group(2)) + " is needed" : "";
    return new SluiceException(ErrorCode.MALFORMED_REQUEST, "A field of the " + (ctx == null ? "request"
        : ctx.request().method() + " " + ctx.request().path()) + " body has the wrong type" + types
        + "; check each field against docs/streams.md (" + e.getMessage() + ")");
  }

  private static String jsonType(String javaClass) {
    return switch (javaClass.substring(javaClass.lastIndexOf('.') + 1)) {
      case "Integer", "Long", "Double", "Float", "BigInteger", "BigDecimal", "Number" -> "a JSON number";
      case "String", "CharSequence" -> "a JSON string";
      case "Boolean" -> "a JSON boolean";
      case "JsonObject", "Map", "LinkedHashMap" -> "a JSON object";
      case "JsonArray", "List", "ArrayList" -> "a JSON array";
      default -> "a " + javaClass;
    };
  }

  static JsonObject body(RoutingContext ctx) {
    JsonObject body = RequestBodies.jsonObjectOrNull(ctx);
    if (body == null) {
      throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "A JSON object body is required");
    }
    return body;
  }

  private static void json(RoutingContext ctx, int status, Object body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(body instanceof JsonObject o ? o.encode() : ((JsonArray) body).encode());
  }

  private void create(RoutingContext ctx) {
    JsonObject json = body(ctx);
    RequestContext caller = io.sluice.http.Callers.of(ctx);
    // Compiling type-checks every expression in a fresh CEL environment: worker work.
    service.blocking(() -> service.parser().parse(json, null)).compose(d -> mayRun(caller, d))
        .compose(service::requireInputs)
        .compose(d -> service.ensureDeadLetterTopic(caller, d).compose(v -> service.blocking(() -> {
          service.store().create(d.name(), json, service.maxDefinitions());
          return d;
        })))
        .compose(d -> describeFuture(d.name()))
        .onSuccess(desc -> {
          service.changed();
          json(ctx, 201, desc);
        })
        .onFailure(t -> fail(ctx, t));
  }

  /** Every stream the caller may describe ({@link StreamAccess}), the others left out as Kafka's listings do. */
  private void list(RoutingContext ctx) {
    RequestContext caller = io.sluice.http.Callers.of(ctx);
    boolean policed = service.policy() != null;
    service.blocking(() -> {
      List<Map.Entry<JsonObject, java.util.Set<String>>> all = new ArrayList<>();
      for (StreamStore.Stored s : service.store().all()) {
        all.add(Map.entry(summary(s, service.store().tasks(s.name())),
            policed ? StreamAccess.named(service, s) : java.util.Set.of()));
      }
      return all;
    }).compose(all -> {
      List<Future<Boolean>> allowed = all.stream().map(e -> StreamAccess.mayDescribe(service.policy(), caller,
          e.getValue()).map(true).otherwise(false)).toList();
      return Future.all(allowed).map(v -> {
        JsonArray out = new JsonArray();
        for (int i = 0; i < all.size(); i++) {
          if (allowed.get(i).result()) {
            out.add(all.get(i).getKey());
          }
        }
        return out;
      });
    }).onSuccess(a -> json(ctx, 200, a)).onFailure(t -> fail(ctx, t));
  }

  /** Describe on each topic the stream names ({@link StreamAccess}). */
  private void describe(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    mayDescribe(ctx, name).compose(v -> describeFuture(name)).onSuccess(d -> json(ctx, 200, d)).onFailure(t -> fail(ctx, t));
  }

  /**
   * The running definition's topology ({@link TopologyDescriber}) with the tasks' figures, or with
   * {@code ?format=text} Kafka's text form of it; the same access as describe.
   */
  private void topology(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    String format = ctx.queryParams().get("format");
    if (format != null && !format.equals("json") && !format.equals("text")) {
      throw new SluiceException(ErrorCode.INVALID_REQUEST, "format must be json or text, not '" + format + "'");
    }
    mayDescribe(ctx, name).compose(v -> service.<Object>blocking(() -> {
          StreamStore.Stored s = service.store().get(name);
          StreamDefinition d = service.compile(s);
          if ("text".equals(format)) {
            return topologies.topology(d).toText();
          }
          JsonObject topology = TopologyDescriber.withFigures(topologies.json(d), service.store().tasks(name));
          return new JsonObject().put("name", name).put("version", s.version()).mergeIn(topology);
        }))
        .onSuccess(r -> {
          if (r instanceof String text) {
            ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8").end(text);
          } else {
            json(ctx, 200, r);
          }
        }).onFailure(t -> fail(ctx, t));
  }

  private Future<StreamStore.Stored> mayDescribe(RoutingContext ctx, String name) {
    RequestContext caller = io.sluice.http.Callers.of(ctx);
    return StreamAccess.checked(service, caller, name, TO_DESCRIBE, s -> service.blocking(() -> StreamAccess.named(
        service, s)).compose(named -> StreamAccess.mayDescribe(service.policy(), caller, named)));
  }

  /** {@code d} once the caller may run it ({@link StreamAccess#mayRun}). */
  private Future<StreamDefinition> mayRun(RequestContext caller, StreamDefinition d) {
    return StreamAccess.mayRun(service.policy(), caller, d).map(d);
  }

  private Future<StreamStore.Stored> mayChange(RoutingContext ctx, String name, boolean deleteTopics) {
    RequestContext caller = io.sluice.http.Callers.of(ctx);
    return StreamAccess.checked(service, caller, name, deleteTopics ? TO_DELETE : TO_CHANGE,
        s -> StreamAccess.mayChange(service, caller, s, deleteTopics));
  }

  private Future<JsonObject> describeFuture(String name) {
    return service.blocking(() -> {
      StreamStore.Stored s = service.store().get(name);
      Map<String, JsonObject> tasks = service.store().tasks(name);
      JsonObject out = summary(s, tasks).put("definition", s.definition());
      JsonArray ts = new JsonArray();
      for (Map.Entry<String, JsonObject> t : tasks.entrySet()) {
        JsonObject status = taskStatus(t.getKey(), t.getValue());
        JsonObject standby = service.store().standby(name, t.getKey());
        if (standby != null) {
          status.put("standby", standby); // {"broker", "position", "lag", "held_back"} of the changelog
        }
        ts.add(status);
      }
      return out.put("tasks", ts);
    });
  }

  private static JsonObject summary(StreamStore.Stored s, Map<String, JsonObject> tasks) {
    String state = s.paused() ? "PAUSED" : "RUNNING";
    long errors = 0;
    for (JsonObject t : tasks.values()) {
      if (!s.paused() && "FAILED".equals(t.getString("state"))) {
        state = "FAILED";
      }
      errors += t.getLong("errors", 0L);
    }
    JsonObject d = s.definition();
    return new JsonObject().put("name", s.name()).put("version", s.version()).put("state", state)
        .put("inputs", d.containsKey("table") ? new io.vertx.core.json.JsonArray().add(d.getValue("table"))
            : d.getValue("inputs")).put("errors", errors);
  }

  private static JsonObject taskStatus(String id, JsonObject t) {
    int dash = id.lastIndexOf('-');
    JsonObject out = new JsonObject().put("task", id).put("topic", id.substring(0, dash))
        .put("partition", Integer.parseInt(id.substring(dash + 1)))
        .put("broker", t.getValue("broker")).put("state", t.getValue("state")).put("version", t.getValue("version"))
        .put("position", t.getValue("offset")).put("high_watermark", t.getValue("high_watermark"))
        .put("lag", t.getValue("lag")).put("records_in", t.getValue("records_in"))
        .put("records_out", t.getValue("records_out")).put("records_in_per_sec", t.getValue("records_in_per_sec"))
        .put("records_out_per_sec", t.getValue("records_out_per_sec")).put("errors", t.getValue("errors"))
        .put("last_error", t.getValue("last_error")).put("restarts", t.getValue("restarts"));
    if (t.containsKey("restore")) {
      out.put("late_records", t.getValue("late_records")).put("expired_entries", t.getLong("expired_entries", 0L))
          .put("restore", t.getValue("restore")); // tasks with state
    }
    return out;
  }

  private void update(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    JsonObject json = body(ctx);
    RequestContext caller = io.sluice.http.Callers.of(ctx);
    // Replacing a stream changes what it ran as much as what it will run: the caller needs both.
    mayChange(ctx, name, false).compose(old -> service.blocking(() -> service.parser().parse(json, name)))
        .compose(d -> mayRun(caller, d)).compose(service::requireInputs)
        .compose(d -> service.ensureDeadLetterTopic(caller, d))
        .compose(v -> service.blocking(() -> {
          StreamStore.Stored s = service.store().get(name);
          if (!service.store().update(s, StreamsService.withVersion(s, json))) {
            throw new SluiceException(ErrorCode.STREAM_UPDATE_CONFLICT, "Stream '" + name
                + "' changed while it was being updated; retry");
          }
          return null;
        }))
        .compose(v -> describeFuture(name))
        .onSuccess(desc -> {
          service.changed();
          json(ctx, 200, desc);
        })
        .onFailure(t -> fail(ctx, t));
  }

  private void change(RoutingContext ctx, UnaryOperator<JsonObject> edit) {
    String name = ctx.pathParam("name");
    mayChange(ctx, name, false).compose(checked -> service.blocking(() -> {
      for (int attempt = 0; attempt < 10; attempt++) {
        StreamStore.Stored s = service.store().get(name);
        if (service.store().update(s, edit.apply(s.record().copy()))) {
          return null;
        }
      }
      throw new SluiceException(ErrorCode.SERVICE_UNAVAILABLE, "Stream '" + name + "' keeps changing; retry");
    })).compose(v -> describeFuture(name)).onSuccess(desc -> {
      service.changed();
      json(ctx, 200, desc);
    }).onFailure(t -> fail(ctx, t));
  }

  private void delete(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    boolean deleteTopics = Boolean.parseBoolean(ctx.queryParams().get("delete_topics"));
    mayChange(ctx, name, deleteTopics).compose(checked -> service.blocking(() -> {
      StreamStore.Stored s = service.store().get(name);
      StreamDefinition d = service.compile(s);
      service.store().delete(name);
      service.changed();
      if (deleteTopics) {
        awaitTasksStopped(name); // a task still running would write to the dead-letter topic again
      }
      List<String> owned = new ArrayList<>();
      owned.add(d.deadLetterTopic());
      if (d.repartitionTopic() != null) {
        owned.add(d.repartitionTopic());
      }
      if (d.changelogTopic() != null) {
        owned.add(d.changelogTopic());
      }
      return owned;
    })).compose(owned -> {
      if (!deleteTopics) {
        return Future.succeededFuture();
      }
      List<Future<?>> deletes = new ArrayList<>();
      owned.forEach(t -> deletes.add(service.cluster().deleteTopic(service.caller(), t)
          .recover(e -> Future.succeededFuture())));
      return Future.all(deletes).mapEmpty();
    })
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(t -> fail(ctx, t));
  }

  private void awaitTasksStopped(String name) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    while (service.store().anyOwned(name)) {
      if (System.currentTimeMillis() > deadline) {
        throw new SluiceException(ErrorCode.SERVICE_UNAVAILABLE, "The tasks of stream '" + name
            + "' are still stopping; its definition is deleted, delete its topics later");
      }
      Thread.sleep(100); // on a worker: polling ZooKeeper until every owner released its task
    }
  }

  private void queryKey(RoutingContext ctx) {
    long from = longParam(ctx, "from", 0);
    long to = longParam(ctx, "to", Long.MAX_VALUE);
    service.queries().key(io.sluice.http.Callers.of(ctx), ctx.pathParam("name"), ctx.pathParam("store"),
            ctx.pathParam("key"), from, to)
        .onSuccess(r -> json(ctx, 200, r)).onFailure(t -> fail(ctx, t));
  }

  private void scan(RoutingContext ctx) {
    long limit = longParam(ctx, "limit", 100);
    if (limit < 1 || limit > 10_000) {
      throw new SluiceException(ErrorCode.INVALID_REQUEST, "limit must be between 1 and 10000, not " + limit);
    }
    String prefix = ctx.queryParams().get("prefix");
    String from = ctx.queryParams().get("from_key");
    String to = ctx.queryParams().get("to_key");
    if (prefix != null && (from != null || to != null)) {
      throw new SluiceException(ErrorCode.INVALID_REQUEST, "Give a prefix, or from_key and to_key, not both");
    }
    service.queries().scan(io.sluice.http.Callers.of(ctx), ctx.pathParam("name"), ctx.pathParam("store"), from, to,
            prefix, (int) limit)
        .onSuccess(r -> json(ctx, 200, r)).onFailure(t -> fail(ctx, t));
  }

  private static long longParam(RoutingContext ctx, String name, long dflt) {
    String v = ctx.queryParams().get(name);
    if (v == null) {
      return dflt;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new SluiceException(ErrorCode.INVALID_REQUEST, name + " must be an integer, not '" + v + "'");
    }
  }

  private void preview(RoutingContext ctx) {
    new StreamPreview(service, io.sluice.http.Callers.of(ctx)).run(body(ctx)).onSuccess(r -> json(ctx, 200, r)).onFailure(t -> fail(ctx, t));
  }
}
