package io.sluice.connect;

import io.smallrye.mutiny.Uni;
import io.sluice.client.PartitionLag;
import io.sluice.connect.ConnectState.TargetState;
import io.sluice.connect.Plugins.Kind;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.api.RequestContext;
import io.sluice.http.Callers;
import io.sluice.http.RequestBodies;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Kafka Connect's REST API (paths, JSON shapes and status codes of Kafka Connect 4.1), served by every broker from
 * its copy of the internal topics. Changes are written to {@code __connect_configs} and answered once this broker
 * has read them back. Errors are {@code {"error_code", "message"}} with Sluice's codes and Kafka Connect's statuses.
 */
final class ConnectEndpoint {
  /** The fields of {@code POST /connectors}, Kafka Connect's {@code CreateConnectorRequest}. */
  private static final List<String> CREATE_FIELDS = List.of("name", "config", "initial_state");

  private final ConnectService service;

  ConnectEndpoint(ConnectService service) {
    this.service = service;
  }

  void mount(Router router, io.vertx.core.Handler<RoutingContext> body) {
    // Before every route on one connector: what the caller needs on the topics it names (ConnectAccess).
    // (An unnamed group: a filter for every method, not an operation the OpenAPI document lists.)
    router.routeWithRegex("/connectors/([^/]+)(/.*)?").handler(guard(this::access));
    router.get("/connectors").handler(guard(this::list));
    router.post("/connectors").handler(body).handler(guard(this::create));
    router.get("/connector-plugins").handler(guard(this::plugins));
    router.put("/connector-plugins/:type/config/validate").handler(body).handler(guard(this::validate));
    router.get("/connectors/:name").handler(guard(this::info));
    router.delete("/connectors/:name").handler(guard(this::delete));
    router.get("/connectors/:name/config").handler(guard(this::getConfig));
    router.put("/connectors/:name/config").handler(body).handler(guard(this::putConfig));
    router.get("/connectors/:name/status").handler(guard(this::status));
    router.get("/connectors/:name/tasks").handler(guard(this::tasks));
    router.get("/connectors/:name/tasks/:task/status").handler(guard(this::taskStatus));
    router.post("/connectors/:name/tasks/:task/restart").handler(guard(this::restartTask));
    router.put("/connectors/:name/pause").handler(guard(ctx -> target(ctx, TargetState.PAUSED)));
    router.put("/connectors/:name/resume").handler(guard(ctx -> target(ctx, TargetState.STARTED)));
    router.put("/connectors/:name/stop").handler(guard(ctx -> target(ctx, TargetState.STOPPED)));
    router.post("/connectors/:name/restart").handler(guard(this::restart));
    router.get("/connectors/:name/offsets").handler(guard(this::getOffsets));
    router.patch("/connectors/:name/offsets").handler(body).handler(guard(this::alterOffsets));
    router.delete("/connectors/:name/offsets").handler(guard(this::resetOffsets));
    router.get("/connectors/:name/topics").handler(guard(this::topics));
    router.put("/connectors/:name/topics/reset").handler(guard(this::resetTopics));
  }

  private interface Handler {
    void handle(RoutingContext ctx) throws Exception;
  }

  private io.vertx.core.Handler<RoutingContext> guard(Handler h) {
    return ctx -> {
      if (!service.enabled()) {
        ctx.fail(new SluiceException(ErrorCode.NOT_FOUND, "The connect service is disabled (connect.enabled=false)"));
        return;
      }
      if (!service.ready()) {
        ctx.fail(new SluiceException(ErrorCode.SERVICE_UNAVAILABLE, "The connect service is starting"));
        return;
      }
      try {
        h.handle(ctx);
      } catch (Exception e) {
        ctx.fail(e);
      }
    };
  }

  private ConnectState state() {
    return service.state();
  }

  private static <T> Future<T> future(Uni<T> uni) {
    return Future.fromCompletionStage(uni.subscribeAsCompletionStage());
  }

  private static void json(RoutingContext ctx, int status, Object body) {
    String text = body instanceof JsonObject o ? o.encode() : ((JsonArray) body).encode();
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(text);
  }

  private String existing(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if (state().config(name) == null) {
      throw new SluiceException(ErrorCode.CONNECTOR_NOT_FOUND, "Connector " + name + " not found");
    }
    return name;
  }

  /**
   * Runs {@code change} under the cluster's config lock once the configs are read to their end, if connector {@code
   * name} still exists (404 otherwise). A delete, a restart request or a target state written outside it raced the
   * others: a PUT that had found the connector wrote its config after the delete's tombstone and brought it back
   * (answered 200 "updated", its target state and statuses gone), and a restart or pause written after a delete
   * left a record of a connector that no longer existed in the compacted configs topic.
   */
  private <T> Future<T> whileExisting(String name, java.util.function.Supplier<Future<T>> change) {
    return service.configLock().holding(() -> future(state().configs.readToEnd()).compose(x -> {
      if (state().config(name) == null) {
        return Future.failedFuture(new SluiceException(ErrorCode.CONNECTOR_NOT_FOUND, "Connector " + name
            + " not found"));
      }
      return change.get();
    }));
  }

  /**
   * Lets a request on one connector through when the caller may see it (a GET: Describe on its topics) or change it
   * (Read and Write on them, as {@link ConnectAccess#mayRun}); refused and unknown connectors answer the same 403. A
   * PUT of the config of an unknown connector creates it: {@link #putConfig} checks the new config. The topics a
   * {@code topics.regex} matches are checked when the config is written, not here: one created since that its creator
   * may not read would make the connector unmanageable, and its tasks skip it ({@link OwnerRights#readable}).
   */
  private void access(RoutingContext ctx) {
    String name = ctx.pathParam("param0");
    Map<String, String> config = state().config(name);
    HttpMethod method = ctx.request().method();
    if (config == null && method == HttpMethod.PUT && ctx.normalizedPath().endsWith("/config")) {
      ctx.next();
      return;
    }
    boolean reading = method == HttpMethod.GET || method == HttpMethod.HEAD;
    RequestContext caller = Callers.of(ctx);
    boolean sink = config != null && "sink".equals(type(config));
    ConnectAccess.checked(service.policy(), caller, name, config, reading ? "describe" : "change",
        () -> reading ? ConnectAccess.mayDescribe(service.policy(), caller, config, sink)
            : ConnectAccess.mayRun(service.policy(), caller, config, sink, () -> Future.succeededFuture(List.of())))
        .onSuccess(v -> ctx.next()).onFailure(ctx::fail);
  }

  /** What a new or replaced config needs: no internal topic (400), the caller's rights on its topics (403). */
  private Future<Void> mayRun(RoutingContext ctx, Map<String, String> config) {
    boolean sink = "sink".equals(type(config));
    ConnectAccess.refuseInternal(config, sink);
    RequestContext caller = Callers.of(ctx);
    return validated(config).compose(v -> ConnectAccess.mayRun(service.policy(), caller, config, sink,
        service::allTopics)).compose(v -> ConnectAccess.mayCreateDeadLetterTopic(service.policy(), caller, config, sink,
        service::allTopics));
  }

  /** The connectors the caller may see: Describe on every topic each names. */
  private Future<List<String>> visible(RoutingContext ctx, List<String> names) {
    if (service.policy() == null) {
      return Future.succeededFuture(names);
    }
    RequestContext caller = Callers.of(ctx);
    List<Future<Boolean>> allowed = new ArrayList<>();
    for (String name : names) {
      Map<String, String> config = state().config(name);
      allowed.add(config == null ? Future.succeededFuture(false) : ConnectAccess.mayDescribe(service.policy(), caller,
          config, "sink".equals(type(config))).transform(ar -> Future.succeededFuture(ar.succeeded())));
    }
    return Future.all(allowed).map(all -> {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < names.size(); i++) {
        if (allowed.get(i).result()) {
          out.add(names.get(i));
        }
      }
      return out;
    });
  }

  private void list(RoutingContext ctx) {
    visible(ctx, state().connectorNames()).onSuccess(names -> list(ctx, names)).onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx, List<String> names) {
    List<String> expand = ctx.queryParam("expand");
    if (expand.isEmpty()) {
      json(ctx, 200, new JsonArray(new ArrayList<>(names)));
      return;
    }
    JsonObject out = new JsonObject();
    for (String name : names) {
      JsonObject entry = new JsonObject();
      if (expand.contains("status")) {
        entry.put("status", statusJson(name));
      }
      if (expand.contains("info")) {
        entry.put("info", infoJson(name));
      }
      out.put(name, entry);
    }
    json(ctx, 200, out);
  }

  private String type(Map<String, String> config) {
    return service.plugins().find(config.get(ConnectorConfigs.CONNECTOR_CLASS), Kind.SOURCE, Kind.SINK)
        .map(p -> p.kind().restName()).orElse("unknown");
  }

  private JsonObject infoJson(String name) {
    Map<String, String> config = state().config(name);
    JsonArray tasks = new JsonArray();
    for (int i = 0; i < state().taskConfigs(name).size(); i++) {
      tasks.add(new JsonObject().put("connector", name).put("task", i));
    }
    return new JsonObject().put("name", name).put("config", new JsonObject(new LinkedHashMap<>(config)))
        .put("tasks", tasks).put("type", type(config));
  }

  private JsonObject unitStatus(JsonObject recorded, String fallbackState) {
    JsonObject s = new JsonObject().put("state", recorded == null ? fallbackState : recorded.getString("state"))
        .put("worker_id", recorded == null ? null : recorded.getString("worker_id"));
    if (recorded != null && recorded.containsKey("trace") && "FAILED".equals(recorded.getString("state"))) {
      s.put("trace", recorded.getString("trace"));
    }
    return s;
  }

  private JsonObject statusJson(String name) {
    boolean stopped = state().targetState(name) == TargetState.STOPPED;
    JsonObject connector = unitStatus(state().connectorStatus(name), "UNASSIGNED");
    if (stopped) {
      connector.put("state", "STOPPED");
    }
    JsonArray tasks = new JsonArray();
    if (!stopped) {
      for (int i = 0; i < state().taskConfigs(name).size(); i++) {
        tasks.add(new JsonObject().put("id", i).mergeIn(unitStatus(state().taskStatus(name, i), "UNASSIGNED")));
      }
    }
    return new JsonObject().put("name", name).put("connector", connector).put("tasks", tasks)
        .put("type", type(state().config(name)));
  }

  private void info(RoutingContext ctx) {
    json(ctx, 200, infoJson(existing(ctx)));
  }

  /**
   * Kafka Connect's status; a Debezium PostgreSQL connector's also carries its replication slot's lag
   * ({@code connector.replication_slot}), read from the database on the connect pool.
   */
  private void status(RoutingContext ctx) {
    String name = existing(ctx);
    JsonObject status = statusJson(name);
    Map<String, String> config = state().config(name);
    boolean debezium = config != null && service.worker().plugins().find(config.get(ConnectorConfigs.CONNECTOR_CLASS),
        Plugins.Kind.SOURCE).map(p -> p.className().equals(ReplicationSlotProbe.DEBEZIUM_POSTGRES)).orElse(false);
    if (!debezium) {
      json(ctx, 200, status);
      return;
    }
    service.pool().executeBlocking(() -> ReplicationSlotProbe.probe(config), false).onComplete(slot -> {
      status.getJsonObject("connector").put("replication_slot", slot.succeeded() ? slot.result()
          : new JsonObject().put("error", String.valueOf(slot.cause())));
      json(ctx, 200, status);
    });
  }

  private void getConfig(RoutingContext ctx) {
    json(ctx, 200, new JsonObject(new LinkedHashMap<>(state().config(existing(ctx)))));
  }

  private void tasks(RoutingContext ctx) {
    String name = existing(ctx);
    JsonArray out = new JsonArray();
    List<Map<String, String>> configs = state().taskConfigs(name);
    for (int i = 0; i < configs.size(); i++) {
      out.add(new JsonObject().put("id", new JsonObject().put("connector", name).put("task", i))
          .put("config", new JsonObject(new LinkedHashMap<>(configs.get(i)))));
    }
    json(ctx, 200, out);
  }

  private int taskId(RoutingContext ctx, String name) {
    int id;
    try {
      id = Integer.parseInt(ctx.pathParam("task"));
    } catch (NumberFormatException e) {
      throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "Task id '" + ctx.pathParam("task")
          + "' is not a number");
    }
    if (id < 0 || id >= state().taskConfigs(name).size()) {
      throw new SluiceException(ErrorCode.CONNECTOR_TASK_NOT_FOUND, "Task " + name + "-" + id + " not found");
    }
    return id;
  }

  private void taskStatus(RoutingContext ctx) {
    String name = existing(ctx);
    int id = taskId(ctx, name);
    json(ctx, 200, new JsonObject().put("id", id).mergeIn(unitStatus(state().taskStatus(name, id), "UNASSIGNED")));
  }

  private Map<String, String> configBody(JsonObject config, String name) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : config) {
      if (e.getValue() instanceof JsonObject || e.getValue() instanceof JsonArray) {
        throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "Configuration " + e.getKey()
            + " must be a string, number or boolean");
      }
      out.put(e.getKey(), e.getValue() == null ? null : e.getValue().toString());
    }
    String inConfig = out.get(ConnectorConfigs.NAME);
    if (inConfig != null && !inConfig.equals(name)) {
      throw new SluiceException(ErrorCode.INVALID_CONNECTOR_CONFIG, "Connector name configuration (" + inConfig
          + ") doesn't match connector name in the URL (" + name + ")");
    }
    out.put(ConnectorConfigs.NAME, name);
    return out;
  }

  private Future<Void> validated(Map<String, String> config) {
    return service.pool().executeBlocking(() -> ConnectorConfigs.validate(service.plugins(), config, null,
        service.validationWorker()), false)
        .compose(result -> {
          if (result.errorCount() == 0) {
            return Future.succeededFuture();
          }
          String errors = String.join("\n", result.errors());
          String hint = FailureHints.hint(errors, config);
          String message = "Connector configuration is invalid and contains the following " + result.errorCount()
              + " error(s):\n" + errors + (hint == null ? "" : "\nWhat to fix: " + hint)
              + "\nYou can also find the above list of errors at the endpoint"
              + " `/connector-plugins/{connectorType}/config/validate`";
          return Future.failedFuture(new SluiceException(ErrorCode.INVALID_CONNECTOR_CONFIG, message));
        });
  }

  private void create(RoutingContext ctx) {
    JsonObject body = RequestBodies.jsonObjectOrNull(ctx);
    if (body == null || body.getValue("name") == null || body.getString("name").isBlank()) {
      throw new SluiceException(ErrorCode.INVALID_CONNECTOR_CONFIG, "Connector name must be given: {\"name\": ...,"
          + " \"config\": {...}}");
    }
    for (String field : List.of("name", "initial_state")) {
      Object v = body.getValue(field);
      if (v != null && !(v instanceof String)) { // {"name": {"a": 1}} was a connector named {"a":1}
        throw new SluiceException(ErrorCode.MALFORMED_REQUEST, field + " must be a string, not " + v);
      }
    }
    for (String field : body.fieldNames()) {
      if (!CREATE_FIELDS.contains(field)) { // as Kafka Connect: a misspelt initial_state must not start it RUNNING
        throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "Unknown field '" + field + "': a connector is"
            + " created with " + CREATE_FIELDS);
      }
    }
    String name = body.getString("name");
    if (!(body.getValue("config") instanceof JsonObject configJson)) {
      throw new SluiceException(ErrorCode.INVALID_CONNECTOR_CONFIG, "Connector config must be a JSON object");
    }
    String initial = body.getString("initial_state", "RUNNING");
    TargetState target = switch (initial) {
      case "RUNNING" -> TargetState.STARTED;
      case "PAUSED" -> TargetState.PAUSED;
      case "STOPPED" -> TargetState.STOPPED;
      default -> throw new SluiceException(ErrorCode.INVALID_CONNECTOR_CONFIG, "initial_state must be RUNNING,"
          + " PAUSED or STOPPED, not " + initial);
    };
    if (state().config(name) != null) {
      throw new SluiceException(ErrorCode.CONNECTOR_ALREADY_EXISTS, "Connector " + name + " already exists");
    }
    Map<String, String> config = configBody(configJson, name);
    // Checked again under the cluster's lock, against configs read up to the end of the log: another broker may
    // have created the name since the check above.
    mayRun(ctx, config).compose(v -> service.configLock().holding(() -> service.ensureTopics()
            .compose(x -> future(state().configs.readToEnd()))
            .compose(x -> state().config(name) != null
                ? Future.failedFuture(new SluiceException(ErrorCode.CONNECTOR_ALREADY_EXISTS,
                    "Connector " + name + " already exists"))
                : roomForOneMore().compose(y -> write(name, config, target, Callers.of(ctx))))))
        .onSuccess(v -> json(ctx, 201, infoJson(name))).onFailure(ctx::fail);
  }

  /** Writes the config, its target state (null: kept) and {@code caller} as its creator, whose rights it runs with. */
  private Future<Void> write(String name, Map<String, String> config, TargetState target, RequestContext caller) {
    String key = ConnectState.connectorKey(name);
    String value = new JsonObject(new LinkedHashMap<>(config)).encode();
    return service.ensureTopics().compose(v -> service.recordLimit().require(
        ConnectState.CONFIGS_TOPIC, "the config of connector " + name, key, value)).compose(v -> {
      Future<Void> t = target == null ? Future.succeededFuture() : future(state().configs.write(
          ConnectState.targetStateKey(name), new JsonObject().put("state", target.name()).encode())).mapEmpty();
      return t.compose(x -> future(state().configs.write(ConnectState.creatorKey(name),
          ConnectState.creatorJson(caller.principal())))).compose(x -> future(state().configs.writeAndRead(key,
          value)));
    });
  }

  private void putConfig(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    JsonObject body = RequestBodies.jsonObjectOrNull(ctx);
    if (body == null) {
      throw new SluiceException(ErrorCode.INVALID_CONNECTOR_CONFIG, "Connector config must be a JSON object");
    }
    Map<String, String> config = configBody(body, name);
    boolean[] created = new boolean[1];
    mayRun(ctx, config).compose(v -> service.configLock().holding(() -> service.ensureTopics()
            .compose(x -> future(state().configs.readToEnd()))
            .compose(x -> {
              created[0] = state().config(name) == null;
              return (created[0] ? roomForOneMore() : Future.<Void>succeededFuture())
                  .compose(y -> write(name, config, created[0] ? TargetState.STARTED : null, Callers.of(ctx)));
            })))
        .onSuccess(v -> json(ctx, created[0] ? 201 : 200, infoJson(name))).onFailure(ctx::fail);
  }

  /** Under the config lock, read to the end: whether the cluster may have one more connector. */
  private Future<Void> roomForOneMore() {
    int n = state().connectorNames().size();
    return n < service.maxConnectors() ? Future.succeededFuture() : Future.failedFuture(new SluiceException(
        ErrorCode.CONNECTOR_LIMIT_EXCEEDED, "The cluster has " + n + " connectors, its limit"
        + " (connect.max.connectors); delete one first"));
  }

  private void delete(RoutingContext ctx) {
    String name = existing(ctx);
    whileExisting(name, () -> {
      int tasks = state().taskConfigs(name).size();
      List<Uni<Long>> writes = new ArrayList<>();
      for (String key : List.of(ConnectState.targetStateKey(name), ConnectState.tasksKey(name),
          ConnectState.restartKey(name), ConnectState.creatorKey(name))) {
        writes.add(state().configs.write(key, null));
      }
      writes.add(state().status.write(ConnectState.connectorStatusKey(name), null));
      // Kafka Connect resets a deleted connector's active topics (KIP-558): kept, one created again under the name
      // listed topics it never used
      for (String topic : state().activeTopics(name)) {
        writes.add(state().status.write(ConnectState.topicKey(topic, name), null));
      }
      for (int i = 0; i < tasks; i++) {
        writes.add(state().status.write(ConnectState.taskStatusKey(name, i), null));
        writes.add(state().configs.write(ConnectState.restartTaskKey(name, i), null));
      }
      return future(Uni.join().all(writes).andFailFast())
          .compose(v -> future(state().configs.writeAndRead(ConnectState.connectorKey(name), null)));
    }).onSuccess(v -> ctx.response().setStatusCode(204).end()).onFailure(ctx::fail);
  }

  private void target(RoutingContext ctx, TargetState target) {
    String name = existing(ctx);
    whileExisting(name, () -> {
      Future<?> status = target != TargetState.STOPPED ? Future.succeededFuture()
          : future(state().status.write(ConnectState.connectorStatusKey(name), new JsonObject().put("state",
              "STOPPED").put("worker_id", service.worker().workerId()).encode()));
      return status.compose(v -> future(state().configs.writeAndRead(ConnectState.targetStateKey(name),
          new JsonObject().put("state", target.name()).encode())));
    }).onSuccess(v -> ctx.response().setStatusCode(202).end()).onFailure(ctx::fail);
  }

  private void restart(RoutingContext ctx) {
    String name = existing(ctx);
    boolean includeTasks = Boolean.parseBoolean(ctx.queryParams().get("includeTasks"));
    boolean onlyFailed = Boolean.parseBoolean(ctx.queryParams().get("onlyFailed"));
    JsonObject request = new JsonObject().put("request", UUID.randomUUID().toString())
        .put("includeTasks", includeTasks).put("onlyFailed", onlyFailed);
    JsonObject before = statusJson(name);
    whileExisting(name, () -> future(state().configs.writeAndRead(ConnectState.restartKey(name),
        request.encode()))).onSuccess(v -> {
      if (!includeTasks && !onlyFailed) {
        ctx.response().setStatusCode(204).end();
        return;
      }
      JsonObject c = before.getJsonObject("connector");
      if (!onlyFailed || "FAILED".equals(c.getString("state"))) {
        c.put("state", "RESTARTING");
      }
      for (Object o : before.getJsonArray("tasks")) {
        JsonObject t = (JsonObject) o;
        if (includeTasks && (!onlyFailed || "FAILED".equals(t.getString("state")))) {
          t.put("state", "RESTARTING");
        }
      }
      json(ctx, 202, before);
    }).onFailure(ctx::fail);
  }

  private void restartTask(RoutingContext ctx) {
    String name = existing(ctx);
    int id = taskId(ctx, name);
    whileExisting(name, () -> future(state().configs.writeAndRead(ConnectState.restartTaskKey(name, id),
        new JsonObject().put("request", UUID.randomUUID().toString()).encode())))
        .onSuccess(v -> ctx.response().setStatusCode(204).end()).onFailure(ctx::fail);
  }

  private boolean isSink(String name) {
    return "sink".equals(type(state().config(name)));
  }

  private void getOffsets(RoutingContext ctx) {
    String name = existing(ctx);
    if (isSink(name)) {
      future(service.worker().client().admin().groupLags(SinkTaskRunner.groupId(name)))
          .recover(t -> t instanceof SluiceException e && e.errorCode() == ErrorCode.GROUP_ID_NOT_FOUND
              ? Future.succeededFuture(List.of()) : Future.failedFuture(t))
          .onSuccess(lags -> {
            JsonArray out = new JsonArray();
            for (PartitionLag lag : lags) {
              if (lag.committedOffset() != null) {
                out.add(new JsonObject().put("partition", new JsonObject().put("kafka_topic", lag.partition().topic())
                    .put("kafka_partition", lag.partition().partition()))
                    .put("offset", new JsonObject().put("kafka_offset", lag.committedOffset())));
              }
            }
            json(ctx, 200, new JsonObject().put("offsets", out));
          }).onFailure(ctx::fail);
      return;
    }
    JsonArray out = new JsonArray();
    state().sourceOffsets(name).forEach((p, o) -> out.add(new JsonObject().put("partition", p).put("offset", o)));
    json(ctx, 200, new JsonObject().put("offsets", out));
  }

  private String stopped(RoutingContext ctx) {
    String name = existing(ctx);
    if (state().targetState(name) != TargetState.STOPPED) {
      throw new SluiceException(ErrorCode.CONNECTOR_NOT_STOPPED, "Connectors must be in the STOPPED state before"
          + " their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request"
          + " to the '/connectors/" + name + "/stop' endpoint");
    }
    return name;
  }

  private void alterOffsets(RoutingContext ctx) {
    String name = stopped(ctx);
    JsonObject body = RequestBodies.jsonObjectOrNull(ctx);
    if (body == null || !(body.getValue("offsets") instanceof JsonArray offsets) || offsets.isEmpty()) {
      throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "The body must be {\"offsets\": [{\"partition\": {...},"
          + " \"offset\": {...}}, ...]} with at least one entry");
    }
    List<Uni<Object>> writes = new ArrayList<>();
    List<Future<Void>> fit = new ArrayList<>();
    for (Object o : offsets) {
      if (!(o instanceof JsonObject entry) || !(entry.getValue("partition") instanceof JsonObject partition)) {
        throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "Each offsets entry needs a \"partition\" object");
      }
      JsonObject offset = offsetOf(entry);
      if (isSink(name)) {
        writes.add(SinkOffsets.alter(service.worker().client().admin(), name, partition, offset));
        fit.add(future(SinkOffsets.requireInLog(service.worker().client().admin(), name, partition, offset)));
      } else {
        String key = ConnectState.offsetKey(name, OffsetReader.toJson(partition.getMap()));
        String value = offset == null ? null : offset.encode();
        fit.add(service.recordLimit().require(ConnectState.OFFSETS_TOPIC, "the offset of source partition "
            + partition.encode() + " of connector " + name, key, value));
        writes.add(state().offsets.write(key, value).map(x -> (Object) x));
      }
    }
    if (!isSink(name)) {
      dropLedgers(name, writes);
    }
    // Uni writes start when joined: after every record is known to fit, so none is written unless all are.
    service.awaitUnitsStopped(name).compose(s -> Future.all(fit)).compose(s -> future(Uni.join().all(writes)
        .andFailFast()))
        .onSuccess(v -> json(ctx, 200, new JsonObject().put("message",
            "The offsets for this connector have been altered successfully"))).onFailure(ctx::fail);
  }

  /**
   * An entry's {@code "offset"}: an object, or null to forget the partition (KIP-875). Any other value was a 500
   * (a cast in the route), and a field beside the two was ignored.
   */
  private static JsonObject offsetOf(JsonObject entry) {
    for (String field : entry.fieldNames()) {
      if (!field.equals("partition") && !field.equals("offset")) {
        throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "Unknown field '" + field + "' in an offsets entry:"
            + " an entry is {\"partition\": {...}, \"offset\": {...} or null}");
      }
    }
    Object offset = entry.getValue("offset");
    if (offset != null && !(offset instanceof JsonObject)) {
      throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "An offsets entry's \"offset\" must be an object, or"
          + " null to forget the partition, not " + offset);
    }
    return (JsonObject) offset;
  }

  /** Source offsets changed by hand: the exactly-once ledgers no longer describe them. */
  private void dropLedgers(String name, List<Uni<Object>> writes) {
    for (String key : state().offsetKeys(name)) {
      if (key.contains(ConnectState.EXACTLY_ONCE_TASK_FIELD)) {
        writes.add(state().offsets.write(key, null).map(x -> (Object) x));
      }
    }
  }

  private void resetOffsets(RoutingContext ctx) {
    String name = stopped(ctx);
    List<Uni<Object>> writes = new ArrayList<>();
    if (isSink(name)) {
      writes.add(SinkOffsets.reset(service.worker().client().admin(), name));
    } else {
      for (String key : state().offsetKeys(name)) {
        writes.add(state().offsets.write(key, null).map(x -> (Object) x));
      }
    }
    service.awaitUnitsStopped(name).compose(s -> writes.isEmpty() ? Future.succeededFuture()
        : future(Uni.join().all(writes).andFailFast()))
        .onSuccess(v -> json(ctx, 200, new JsonObject().put("message",
            "The offsets for this connector have been reset successfully"))).onFailure(ctx::fail);
  }

  private void topics(RoutingContext ctx) {
    String name = existing(ctx);
    json(ctx, 200, new JsonObject().put(name, new JsonObject().put("topics",
        new JsonArray(new ArrayList<>(state().activeTopics(name))))));
  }

  private void resetTopics(RoutingContext ctx) {
    String name = existing(ctx);
    List<Uni<Long>> writes = new ArrayList<>();
    for (String topic : state().activeTopics(name)) {
      writes.add(state().status.write(ConnectState.topicKey(topic, name), null));
    }
    Future<?> done = writes.isEmpty() ? Future.succeededFuture() : future(Uni.join().all(writes).andFailFast());
    done.onSuccess(v -> ctx.response().setStatusCode(202).end()).onFailure(ctx::fail);
  }

  private void plugins(RoutingContext ctx) {
    boolean connectorsOnly = !"false".equalsIgnoreCase(ctx.queryParams().get("connectorsOnly"));
    JsonArray out = new JsonArray();
    for (Plugins.Plugin p : service.plugins().all()) {
      if (!connectorsOnly || p.kind() == Kind.SOURCE || p.kind() == Kind.SINK) {
        out.add(new JsonObject().put("class", p.className()).put("type", p.kind().restName())
            .put("version", p.version()));
      }
    }
    json(ctx, 200, out);
  }

  private void validate(RoutingContext ctx) {
    String type = ctx.pathParam("type");
    if (service.plugins().find(type, Kind.SOURCE, Kind.SINK).isEmpty()) {
      throw new SluiceException(ErrorCode.CONNECTOR_PLUGIN_NOT_FOUND, "Connector plugin " + type + " not found");
    }
    JsonObject body = RequestBodies.jsonObjectOrNull(ctx);
    if (body == null) {
      throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "The body must be the connector config, a JSON object");
    }
    Map<String, String> config = new LinkedHashMap<>();
    body.forEach(e -> config.put(e.getKey(), e.getValue() == null ? null : e.getValue().toString()));
    service.pool().executeBlocking(() -> ConnectorConfigs.validate(service.plugins(), config, type,
        service.validationWorker()), false)
        .onSuccess(r -> json(ctx, 200, r.toJson())).onFailure(ctx::fail);
  }
}
