package io.sluice.http;

import io.sluice.api.RequestContext;

import io.sluice.api.BrokerService;
import io.sluice.api.ConsumerService;
import io.sluice.errors.Echo;
import io.sluice.errors.ErrorCode;
import io.sluice.api.TopicPartition;
import io.sluice.api.GroupIds;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Arrays;
import java.util.List;

/**
 * WebSocket routes; the frames are specified in {@code docs/streaming.md}.
 *
 * <pre>
 * GET /ws/consume?topic=T&partition=P[&offset=O][&format=json|binary]
 * GET /ws/consume?group=G&topics=A,B[&auto.offset.reset=earliest|latest][&format=json|binary]
 * GET /ws/produce?topic=T[&format=json|binary]
 * </pre>
 *
 * The upgrade headers and the parameters are checked (and the topic looked up) before the upgrade, so a missing
 * upgrade or a bad parameter is an ordinary 4xx JSON error.
 */
final class StreamingEndpoint {
  private final BrokerService service;
  private final ConsumerService consumers;
  private final HttpApiConfig cfg;
  private final WorkerExecutor workers;
  private final AnswerMemory answers;
  /** Null when the broker has no client quotas. */
  private final StreamQuota quota;

  StreamingEndpoint(BrokerService service, ConsumerService consumers, HttpApiConfig cfg, WorkerExecutor workers,
      SessionCounts sessions, AnswerMemory answers, StreamQuota quota) {
    this.answers = answers;
    this.quota = quota;
    this.sessions = sessions;
    this.service = service;
    this.consumers = consumers;
    this.cfg = cfg;
    this.workers = workers;
  }

  private final SessionCounts sessions;

  void mount(Router router) {
    router.get("/ws/consume").handler(this::consume);
    router.get("/ws/produce").handler(this::produce);
  }

  /**
   * Upgrades, or fails in the API's error shape when the request is a plain GET: left to {@code toWebSocket()},
   * Vert.x would answer it itself with a plain-text 400.
   */
  private static Future<ServerWebSocket> upgrade(RoutingContext ctx) {
    if (!ctx.request().canUpgradeToWebSocket()) {
      return Future.failedFuture(ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, ctx.request().path()
          + " is a WebSocket endpoint: send 'Connection: Upgrade', 'Upgrade: websocket' and the WebSocket key and"
          + " version headers"));
    }
    return ctx.request().toWebSocket().onSuccess(ws -> AuthGate.closeAtExpiry(ctx, () -> {
      java.util.function.BooleanSupplier current = AuthGate.credentialsCurrent(ctx);
      if (!ws.isClosed() && !current.getAsBoolean()) {
        ws.close(AuthGate.REVOKED_CLOSE_STATUS, AuthGate.revoked(current));
      }
    }));
  }

  static EmbeddedFormat format(String param) {
    if (param == null || param.equals("json")) {
      return EmbeddedFormat.JSON;
    }
    if (param.equals("binary")) {
      return EmbeddedFormat.BINARY;
    }
    throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "'format' must be json or binary, got "
        + Echo.quoted(param));
  }

  private void consume(RoutingContext ctx) {
    // The upgrade happens after an asynchronous check; a paused request is still unread then.
    ctx.request().pause();
    EmbeddedFormat format = format(ctx.request().getParam("format"));
    String group = ctx.request().getParam("group");
    String topic = ctx.request().getParam("topic");
    if ((group == null) == (topic == null)) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST,
          "Give either topic and partition (with an optional offset), or group and topics");
    }
    if (topic != null) {
      long partition = Params.requiredQueryLong(ctx, "partition", 0, Integer.MAX_VALUE);
      long offset = Params.queryLong(ctx, "offset", -1, 0, Long.MAX_VALUE);
      TopicPartition tp = new TopicPartition(topic, (int) partition);
      service.offsets(Callers.of(ctx), tp)
          .compose(range -> upgrade(ctx).map(ws -> sessions.upgraded(ctx, ws)).map(ws -> {
            WsConsumeSession.forPartition(ws, Callers.of(ctx, ws), service, workers, format, tp,
                offset >= 0 ? offset : range.endOffset(), cfg, answers, quota)
                .start(ConnectionWatch.of(ctx.request()), AuthGate.credentialsCurrent(ctx));
            return null;
          }))
          .onFailure(t -> failUnlessUpgraded(ctx, t));
      return;
    }
    GroupIds.validate(group);
    String topics = ctx.request().getParam("topics");
    List<String> names = topics == null ? List.of()
        : Arrays.stream(topics.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    if (names.isEmpty()) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "'topics' must name at least one topic (A,B,...)");
    }
    String reset = ctx.request().getParam("auto.offset.reset", "latest");
    if (!reset.equals("earliest") && !reset.equals("latest")) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "'auto.offset.reset' must be earliest or latest");
    }
    JsonObject settings = new JsonObject().put("auto.offset.reset", reset);
    String instanceId = ctx.request().getParam("group.instance.id");
    if (instanceId != null) {
      settings.put("group.instance.id", instanceId);
    }
    Future.all(names.stream().map(n -> service.describeTopic(Callers.of(ctx), n)).toList())
        .compose(all -> upgrade(ctx)).map(ws -> sessions.upgraded(ctx, ws))
        .onSuccess(ws -> WsConsumeSession.forGroup(ws, Callers.of(ctx, ws), consumers, workers, format, group, names,
            settings, cfg, answers, quota)
            .start(ConnectionWatch.of(ctx.request()), AuthGate.credentialsCurrent(ctx)))
        .onFailure(t -> failUnlessUpgraded(ctx, t));
  }

  private void produce(RoutingContext ctx) {
    ctx.request().pause();
    EmbeddedFormat format = format(ctx.request().getParam("format"));
    String topic = ctx.request().getParam("topic");
    if (topic == null || topic.isEmpty()) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "Query parameter 'topic' is required");
    }
    service.metadataForProduce(Callers.of(ctx), topic)
        .compose(metadata -> upgrade(ctx)).map(ws -> sessions.upgraded(ctx, ws))
        .onSuccess(ws -> new WsProduceSession(ws, Callers.of(ctx, ws), service, format, topic, cfg, workers, quota)
            .start(ConnectionWatch.of(ctx.request()), AuthGate.credentialsCurrent(ctx)))
        .onFailure(t -> failUnlessUpgraded(ctx, t));
  }

  private static void failUnlessUpgraded(RoutingContext ctx, Throwable t) {
    if (!ctx.response().closed() && !ctx.response().headWritten()) {
      ctx.fail(t);
    }
  }
}
