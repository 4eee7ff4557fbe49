package io.sluice.http;

import io.sluice.api.BrokerService;
import io.sluice.errors.ErrorCode;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Liveness and readiness for load balancers and orchestrators.
 *
 * <pre>
 * GET /health  200 {"status": "UP", "services": {"connect": "STARTING"}} while the HTTP server answers at all
 * GET /ready   200 {"status": "READY", "services": {...}} when the readiness supplier and the broker say so, else
 *              503 SERVICE_UNAVAILABLE with the broker's reason (no ZooKeeper session, no controller, ...)
 * </pre>
 *
 * <p>Ready means the broker serves topics, records and groups. Services beside them that start in the background
 * (the connect worker) are listed with their state (STARTING, UP, FAILED; see {@link ExtensionStarts}) and answer
 * 503 on their own routes until UP.
 */
final class HealthEndpoint {
  private final BooleanSupplier readiness;
  private final BrokerService service;
  private final ExtensionStarts starts;

  HealthEndpoint(BooleanSupplier readiness, BrokerService service, ExtensionStarts starts) {
    this.readiness = readiness;
    this.service = service;
    this.starts = starts;
  }

  void mount(Router router) {
    router.get("/health").handler(this::health);
    router.get("/ready").handler(this::ready);
  }

  private void health(RoutingContext ctx) {
    reply(ctx, withServices(new JsonObject().put("status", "UP")));
  }

  private void ready(RoutingContext ctx) {
    if (!readiness.getAsBoolean()) {
      throw ErrorResponses.error(ErrorCode.SERVICE_UNAVAILABLE, "The broker is not ready to serve requests");
    }
    Optional<String> reason = service.notReadyReason();
    if (reason.isPresent()) {
      throw ErrorResponses.error(ErrorCode.SERVICE_UNAVAILABLE, "The broker is not ready to serve requests: "
          + reason.get());
    }
    reply(ctx, withServices(new JsonObject().put("status", "READY")));
  }

  /** Lists the background services when there are any. */
  private JsonObject withServices(JsonObject status) {
    JsonObject services = starts.states();
    return services.isEmpty() ? status : status.put("services", services);
  }

  private static void reply(RoutingContext ctx, JsonObject body) {
    ctx.response().putHeader("Content-Type", MediaTypes.JSON).end(body.toBuffer());
  }
}
