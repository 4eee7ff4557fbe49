package io.sluice.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.errors.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /metrics} (Prometheus' text format, rendered on a worker: a scrape walks every meter),
 * {@code GET /metrics/history} ({@code scope=cluster} by default, or {@code local}; {@code since} a time in ms to get
 * only later samples) and {@code GET /metrics/replicas} (every replica's
 * sizes and offsets, {@code topic} to choose one) and {@code GET /metrics/history/events}, a Server-Sent Events stream of the same JSON: the
 * whole history first, then every interval the samples since the previous event (the last bucket again, as later
 * brokers' samples may have joined it).
 */
final class MetricsRoutes {
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry;
  private final ClusterHistory history;
  private final WorkerExecutor workers;
  private final long intervalMs;
  private final Runnable beforeScrape;

  MetricsRoutes(PrometheusMeterRegistry registry, ClusterHistory history, WorkerExecutor workers, long intervalMs,
      Runnable beforeScrape) {
    this.registry = registry;
    this.history = history;
    this.workers = workers;
    this.intervalMs = intervalMs;
    this.beforeScrape = beforeScrape;
  }

  /** Mounts the routes; with {@code routes} null (metrics off) they answer 404 saying so. */
  static void mount(Router router, MetricsRoutes routes, int brokerId) {
    for (String path : new String[] {"/metrics", "/metrics/history", "/metrics/history/events", "/metrics/replicas"}) {
      router.get(path).handler(ctx -> {
        if (routes == null) {
          error(ctx, ErrorCode.NOT_FOUND, "Metrics are turned off on broker " + brokerId + " (metrics.enable=false)");
        } else if (path.equals("/metrics")) {
          routes.scrape(ctx);
        } else if (path.equals("/metrics/replicas")) {
          routes.replicas(ctx);
        } else if (path.equals("/metrics/history")) {
          routes.history(ctx);
        } else {
          routes.events(ctx);
        }
      });
    }
  }

  private void scrape(RoutingContext ctx) {
    workers.executeBlocking(() -> {
      beforeScrape.run();
      return registry.scrape();
    }, false).onSuccess(text -> ctx.response().putHeader("Content-Type", PROMETHEUS_TEXT)
        .putHeader("Cache-Control", "no-store").end(text)).onFailure(ctx::fail);
  }

  private void history(RoutingContext ctx) {
    Query q = query(ctx);
    if (q == null) {
      return;
    }
    select(q.cluster, q.sinceMs).onSuccess(json -> ctx.response().putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store").end(json.toBuffer())).onFailure(ctx::fail);
  }

  private void replicas(RoutingContext ctx) {
    Query q = query(ctx);
    if (q == null) {
      return;
    }
    String topic = ctx.request().getParam("topic");
    (q.cluster ? history.clusterReplicas(topic) : Future.succeededFuture(history.localReplicas(topic)))
        .onSuccess(json -> ctx.response().putHeader("Content-Type", "application/json")
            .putHeader("Cache-Control", "no-store").end(json.toBuffer())).onFailure(ctx::fail);
  }

  private void events(RoutingContext ctx) {
    Query q = query(ctx);
    if (q == null) {
      return;
    }
    HttpServerResponse response = ctx.response().setChunked(true).putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache").putHeader("X-Accel-Buffering", "no");
    response.write("retry: 2000\n\n");
    long[] since = {q.sinceMs};
    boolean[] busy = {false};
    Runnable push = () -> {
      if (busy[0] || response.closed() || response.writeQueueFull()) {
        return;
      }
      busy[0] = true;
      select(q.cluster, since[0]).onComplete(ar -> {
        busy[0] = false;
        if (ar.failed() || response.closed()) {
          return;
        }
        JsonObject json = ar.result();
        var times = json.getJsonArray("times");
        if (!times.isEmpty()) {
          since[0] = times.getLong(times.size() - 1) - 1 - (q.cluster ? intervalMs : 0);
        }
        response.write("data: " + json.encode() + "\n\n");
      });
    };
    push.run();
    long timer = ctx.vertx().setPeriodic(intervalMs, id -> push.run());
    response.closeHandler(v -> ctx.vertx().cancelTimer(timer));
  }

  private Future<JsonObject> select(boolean cluster, long sinceMs) {
    return cluster ? history.cluster(sinceMs) : Future.succeededFuture(history.local(sinceMs));
  }

  private record Query(boolean cluster, long sinceMs) {
  }

  /** The query parameters, or null once a 400 was sent for a bad one. */
  private static Query query(RoutingContext ctx) {
    String scope = ctx.request().getParam("scope", "cluster");
    if (!scope.equals("cluster") && !scope.equals("local")) {
      error(ctx, ErrorCode.MALFORMED_REQUEST, "'scope' must be cluster or local, got '" + scope + "'");
      return null;
    }
    String since = ctx.request().getParam("since", "-1");
    try {
      long sinceMs = Long.parseLong(since);
      if (sinceMs < -1) {
        throw new NumberFormatException();
      }
      return new Query(scope.equals("cluster"), sinceMs);
    } catch (NumberFormatException e) {
      error(ctx, ErrorCode.MALFORMED_REQUEST, "'since' must be a time in milliseconds (0 or more), got '"
          + since + "'");
      return null;
    }
  }

  private static void error(RoutingContext ctx, ErrorCode code, String message) {
    ctx.response().setStatusCode(code.httpStatus()).putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("error_code", code.code()).put("message", message).toBuffer());
  }
}
