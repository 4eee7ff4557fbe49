package io.sluice.broker;

import io.sluice.config.BrokerConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.sluice.storage.TopicPartition;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * TEMPORARY STAND-IN for {@code io.sluice.http.HttpServerVerticle}, so the broker can be started and tested end to
 * end before the HTTP API lands; it is replaced at merge (see {@link Broker#DEFAULT_HTTP_FRONT_END}). A handful of
 * routes with raw v2 batches as bodies:
 *
 * <pre>
 * POST   /topics                               {"name", "partitions", "replication_factor", "configs"}
 * GET    /topics/{t}
 * DELETE /topics/{t}
 * POST   /topics/{t}/partitions/{p}/records?acks=1       body: v2 batches; answers {"offsets": [...]}
 * GET    /topics/{t}/partitions/{p}/records?offset=&amp;max_bytes=&amp;min_bytes=&amp;max_wait_ms=   body: v2 batches
 * </pre>
 */
public final class StandInHttpFrontEnd implements HttpFrontEnd {

  @Override
  public Future<Deployed> deploy(Vertx vertx, BrokerService service, BrokerConfig config) {
    StandInVerticle verticle = new StandInVerticle(service, config);
    return vertx.deployVerticle(verticle).map(id -> new Deployed(id, verticle.server.actualPort()));
  }

  private static final class StandInVerticle extends VerticleBase {
    private final BrokerService service;
    private final BrokerConfig config;
    private HttpServer server;

    StandInVerticle(BrokerService service, BrokerConfig config) {
      this.service = service;
      this.config = config;
    }

    @Override
    public Future<?> start() {
      Router router = Router.router(vertx);
      router.route().handler(BodyHandler.create().setBodyLimit(config.httpMaxBodyBytes()));
      router.post("/topics").handler(this::createTopic);
      router.get("/topics/:topic").handler(ctx -> reply(ctx, 200, service.describeTopic(ctx.pathParam("topic"))
          .map(StandInVerticle::toJson)));
      router.delete("/topics/:topic").handler(ctx -> reply(ctx, 204, service.deleteTopic(ctx.pathParam("topic"))));
      router.post("/topics/:topic/partitions/:p/records").handler(this::produce);
      router.get("/topics/:topic/partitions/:p/records").handler(this::fetch);
      server = vertx.createHttpServer(new HttpServerOptions().setHost(config.httpHost()).setPort(config.httpPort()));
      return server.requestHandler(router).listen();
    }

    @Override
    public Future<?> stop() {
      return server.shutdown(10, TimeUnit.SECONDS);
    }

    private void createTopic(RoutingContext ctx) {
      JsonObject body = ctx.body().asJsonObject();
      JsonObject configs = body.getJsonObject("configs", new JsonObject());
      Map<String, String> cfg = new java.util.TreeMap<>();
      configs.forEach(e -> cfg.put(e.getKey(), String.valueOf(e.getValue())));
      reply(ctx, 201, service.createTopic(new NewTopic(body.getString("name"), body.getInteger("partitions", -1),
          body.getInteger("replication_factor", -1), cfg)).map(StandInVerticle::toJson));
    }

    private void produce(RoutingContext ctx) {
      TopicPartition tp = tp(ctx);
      Acks acks = Acks.parse(ctx.queryParams().get("acks") == null ? "1" : ctx.queryParams().get("acks"));
      reply(ctx, 200, service.produce(tp, java.nio.ByteBuffer.wrap(ctx.body().buffer().getBytes()), acks)
          .map(r -> new JsonObject().put("offsets", new JsonArray(r.batchBaseOffsets()))));
    }

    private void fetch(RoutingContext ctx) {
      FetchRequest req = new FetchRequest(tp(ctx), Long.parseLong(ctx.queryParams().get("offset")),
          intParam(ctx, "max_bytes", 1 << 20), intParam(ctx, "min_bytes", 1), intParam(ctx, "max_wait_ms", 0));
      service.fetch(req).onComplete(r -> {
        Buffer body = r.bytes() != null ? r.bytes() : Buffer.buffer(r.slice().readBytes().array());
        ctx.response().putHeader("Sluice-High-Watermark", Long.toString(r.highWatermark()))
            .putHeader("content-type", "application/octet-stream").end(body);
      }, t -> error(ctx, t));
    }

    private static JsonObject toJson(TopicMetadata m) {
      JsonArray parts = new JsonArray();
      m.partitions().forEach(p -> parts.add(new JsonObject().put("partition", p.partition()).put("leader", p.leader())
          .put("leader_epoch", p.leaderEpoch())));
      return new JsonObject().put("name", m.name()).put("configs", new JsonObject(Map.copyOf(m.configs())))
          .put("partitions", parts);
    }

    private static TopicPartition tp(RoutingContext ctx) {
      return new TopicPartition(ctx.pathParam("topic"), Integer.parseInt(ctx.pathParam("p")));
    }

    private static int intParam(RoutingContext ctx, String name, int dflt) {
      String v = ctx.queryParams().get(name);
      return v == null ? dflt : Integer.parseInt(v);
    }

    private static void reply(RoutingContext ctx, int status, Future<?> result) {
      result.onComplete(v -> {
        ctx.response().setStatusCode(status);
        if (v == null) {
          ctx.response().end();
        } else {
          ctx.response().putHeader("content-type", "application/json").end(v.toString());
        }
      }, t -> error(ctx, t));
    }

    private static void error(RoutingContext ctx, Throwable t) {
      ErrorCode code = t instanceof SluiceException se ? se.errorCode() : ErrorCode.UNKNOWN_SERVER_ERROR;
      ctx.response().setStatusCode(code.httpStatus()).putHeader("content-type", "application/json")
          .end(new JsonObject().put("error_code", code.code()).put("message", String.valueOf(t.getMessage()))
              .encode());
    }
  }
}
