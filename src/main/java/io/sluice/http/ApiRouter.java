package io.sluice.http;

import io.sluice.api.Authentication;
import io.sluice.api.BrokerService;
import io.sluice.api.ConsumerService;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Builds the API's router: every endpoint mounted, request bodies limited, and every failure or unmatched
 * request answered by {@link ErrorResponses}. Kept apart from the verticle so tests can list its routes.
 */
final class ApiRouter {
  private ApiRouter() {
  }

  /** What the endpoints need besides the broker: limits, readiness, the OpenAPI text, the fetch workers. */
  record Deps(BrokerService service, HttpApiConfig cfg, BooleanSupplier readiness, Buffer openApi,
      WorkerExecutor fetchWorkers, ConsumerService consumers, SessionCounts sessions, List<HttpExtension> extensions,
      ExtensionStarts starts, AnswerMemory answers, Authentication authentication) {

    /** Without authentication: every caller anonymous, {@code /users} answers 404. */
    Deps(BrokerService service, HttpApiConfig cfg, BooleanSupplier readiness, Buffer openApi,
        WorkerExecutor fetchWorkers, ConsumerService consumers, SessionCounts sessions, List<HttpExtension> extensions,
        ExtensionStarts starts, AnswerMemory answers) {
      this(service, cfg, readiness, openApi, fetchWorkers, consumers, sessions, extensions, starts, answers, null);
    }

    /** With answers' memory of its own, as configured. */
    Deps(BrokerService service, HttpApiConfig cfg, BooleanSupplier readiness, Buffer openApi,
        WorkerExecutor fetchWorkers, ConsumerService consumers, SessionCounts sessions, List<HttpExtension> extensions,
        ExtensionStarts starts) {
      this(service, cfg, readiness, openApi, fetchWorkers, consumers, sessions, extensions, starts,
          new AnswerMemory(AnswerMemory.capacity(cfg.connections().maxInflightAnswerBytes(), cfg.maxFetchBytes())));
    }

    /** Without extension starts to report. */
    Deps(BrokerService service, HttpApiConfig cfg, BooleanSupplier readiness, Buffer openApi,
        WorkerExecutor fetchWorkers, ConsumerService consumers, SessionCounts sessions, List<HttpExtension> extensions) {
      this(service, cfg, readiness, openApi, fetchWorkers, consumers, sessions, extensions, ExtensionStarts.NONE);
    }

    /** Without extensions. */
    Deps(BrokerService service, HttpApiConfig cfg, BooleanSupplier readiness, Buffer openApi,
        WorkerExecutor fetchWorkers, ConsumerService consumers) {
      this(service, cfg, readiness, openApi, fetchWorkers, consumers, new SessionCounts(), List.of());
    }

    /** Without consumer groups: their routes exist but answer 503. */
    Deps(BrokerService service, HttpApiConfig cfg, BooleanSupplier readiness, Buffer openApi,
        WorkerExecutor fetchWorkers) {
      this(service, cfg, readiness, openApi, fetchWorkers, null);
    }
  }

  static Router create(Vertx vertx, Deps deps) {
    Router router = Router.router(vertx);
    // First of all routes when authentication is on (its order puts it there); not mounted at all when off.
    AuthGate.mount(router, deps.authentication());
    // No file uploads: they would create a directory on disk; bodies stay in memory under the limit.
    // Preallocated: a body with a Content-Length gets a buffer of that size (vertx-web caps it at 64 KiB), where
    // otherwise every body started in a 1 KiB one, the largest single allocation of a small produce or fetch.
    BodyHandler produceBody = BodyHandler.create(false).setBodyLimit(deps.cfg().maxBodyBytes())
        .setPreallocateBodyBuffer(true);
    // Every other route that takes a JSON object: read at its length, parsed on the workers when large.
    JsonBodies bodies = new JsonBodies(deps.cfg().maxBodyBytes(), deps.fetchWorkers());
    Handler<RoutingContext> body = bodies.reader();
    // The hot paths first: vertx-web tries routes in order and every route with a path parameter it passes builds a
    // regex Matcher, which was 17% of the broker's allocation in perf e2e with these two mounted after 30 others.
    // Their paths are exact and no other route takes them, so the order changes no answer.
    // Their bodies are read at their Content-Length in one buffer (SizedBody), not grown from 64 KiB.
    SizedBody sized = new SizedBody(deps.cfg().maxBodyBytes());
    new PartitionBatchesEndpoint(deps.service()).mount(router, sized);
    new MultiFetchEndpoint(deps.service(), deps.cfg(), deps.fetchWorkers()).mount(router, sized);
    deps.sessions().countEventStreams(router, "/topics/:topic/partitions/:partition/events");
    new HealthEndpoint(deps.readiness(), deps.service(), deps.starts()).mount(router);
    new OpenApiEndpoint(deps.openApi()).mount(router);
    new ClusterEndpoint(deps.service()).mount(router);
    new AclsEndpoint(deps.service()).mount(router, body);
    new TopicsEndpoint(deps.service()).mount(router, body);
    new TopicConfigsEndpoint(deps.service()).mount(router, body);
    new PartitionsEndpoint(deps.service()).mount(router);
    new PartitionProducersEndpoint(deps.service()).mount(router, body);
    new ReassignmentsEndpoint(deps.service()).mount(router, body);
    // Its records are decoded with their JSON, on the workers when large (BodyDecoding).
    new ProduceEndpoint(deps.service(), deps.cfg(), deps.fetchWorkers()).mount(router, produceBody);
    new BatchesEndpoint(deps.service()).mount(router, sized);
    new FetchEndpoint(deps.service(), deps.cfg(), deps.fetchWorkers(), deps.answers()).mount(router);
    ConsumerService consumers = deps.consumers() != null ? deps.consumers() : Unavailable.consumers();
    new ConsumersEndpoint(consumers, deps.cfg(), deps.fetchWorkers(), deps.answers()).mount(router, bodies);
    new ConsumerGroupsEndpoint(consumers).mount(router, body);
    // Streams count what they carry against the client quotas themselves (the gate sees only their first request).
    StreamQuota quota = StreamQuota.of(deps.extensions());
    new SseEndpoint(deps.service(), deps.fetchWorkers(), deps.answers(), quota).mount(router);
    new StreamingEndpoint(deps.service(), consumers, deps.cfg(), deps.fetchWorkers(), deps.sessions(), deps.answers(),
        quota).mount(router);
    // The transaction coordinator's routes come as an extension; a transactional POST /producers is its InitProducerId.
    new ProducersEndpoint(deps.service(), deps.extensions().stream().filter(TransactionsEndpoint.class::isInstance)
        .findFirst().map(e -> ((TransactionsEndpoint) e).service()).orElse(null)).mount(router, body);
    new ManagementGuard(deps.service()).mount(router);
    new UsersEndpoint(deps.authentication()).mount(router, body);
    deps.extensions().forEach(e -> e.mount(router, body));
    Handler<RoutingContext> failures = ErrorResponses.failureHandler(deps.cfg().maxBodyBytes());
    router.route().failureHandler(failures);
    for (int status : new int[] {400, 404, 405, 406, 413, 415, 500}) {
      router.errorHandler(status, failures);
    }
    return router;
  }
}
