package io.sluice.http;

import io.sluice.api.BrokerService;
import io.sluice.api.ConsumerService;
import io.sluice.errors.ErrorCode;
import io.sluice.http.ErrorResponses.ApiError;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Sluice's HTTP API (Kafka REST v2 conventions) over a {@link BrokerService}. Deploy one instance per event loop
 * you want serving HTTP with a supplier, e.g. {@code vertx.deployVerticle(() -> new HttpServerVerticle(service,
 * cfg, ready), new DeploymentOptions().setInstances(n))}; the instances share the listening port.
 *
 * <p>With port 0 the instances share one port the OS picks, so every instance reports the same
 * {@link #actualPort()}.
 *
 * <p>Connections beyond {@link HttpApiConfig#maxConnections()} (counted across the instances) are answered
 * 503 SERVICE_UNAVAILABLE with {@code Connection: close} on their first request, or closed after a grace period
 * if they send none. The OpenAPI document is read from the class path during {@link #start()}.
 */
public class HttpServerVerticle extends VerticleBase {
  static final String FETCH_POOL_NAME = "sluice-http-fetch";
  private static final long REJECTED_CONNECTION_GRACE_MS = 5_000;

  private final BrokerService service;
  private final HttpApiConfig cfg;
  private final BooleanSupplier readiness;
  private final ConsumerService consumers;
  /** Over-limit connections of this instance's server, awaiting their 503; event-loop confined. */
  private final Set<HttpConnection> rejected = Collections.newSetFromMap(new IdentityHashMap<>());
  private SharedServerState shared;
  private WorkerExecutor fetchWorkers;
  private HttpServer server;

  /** An API that reports ready as soon as it is started. */
  public HttpServerVerticle(BrokerService service, HttpApiConfig cfg) {
    this(service, cfg, () -> true);
  }

  /** An API whose {@code GET /ready} answers 200 only while {@code readiness} is true. */
  public HttpServerVerticle(BrokerService service, HttpApiConfig cfg, BooleanSupplier readiness) {
    this(service, cfg, readiness, null);
  }

  /** An API that also serves consumer groups through {@code consumers} (null: those routes answer 503). */
  public HttpServerVerticle(BrokerService service, HttpApiConfig cfg, BooleanSupplier readiness,
      ConsumerService consumers) {
    this.service = Objects.requireNonNull(service, "service");
    this.cfg = Objects.requireNonNull(cfg, "cfg");
    this.readiness = Objects.requireNonNull(readiness, "readiness");
    this.consumers = consumers;
  }

  @Override
  public Future<?> start() {
    // The named pool is shared by every instance with this name; it is closed when the last one closes it.
    fetchWorkers = vertx.createSharedWorkerExecutor(FETCH_POOL_NAME, cfg.fetchWorkerPoolSize());
    shared = SharedServerState.acquire(vertx, cfg, deploymentID());
    return vertx.fileSystem().readFile(OpenApiEndpoint.RESOURCE)
        .map(openApi -> ApiRouter.create(vertx,
            new ApiRouter.Deps(service, cfg, readiness, openApi, fetchWorkers, consumers)))
        .compose(this::listen);
  }

  private Future<HttpServer> listen(Router router) {
    server = vertx.createHttpServer(new HttpServerOptions()
            .setHost(cfg.host())
            .setMaxWebSocketFrameSize(cfg.wsMaxFrameBytes())
            .setMaxWebSocketMessageSize(cfg.wsMaxMessageBytes())
            // Compression would disable sendFile's zero-copy path.
            .setCompressionSupported(false))
        .connectionHandler(this::admit)
        .invalidRequestHandler(MalformedRequests::invalid)
        .requestHandler(request -> {
          if (!rejected.isEmpty() && rejected.contains(request.connection())) {
            refuse(request);
          } else if (!MalformedRequests.refuseUndecodableUri(request)) {
            router.handle(request);
          }
        });
    return server.listen(shared.listenPort(), cfg.host());
  }

  private void admit(HttpConnection connection) {
    if (shared.tryAcquireConnection()) {
      whenClosed(connection, shared::releaseConnection);
      return;
    }
    rejected.add(connection);
    connection.closeHandler(v -> rejected.remove(connection));
    vertx.setTimer(REJECTED_CONNECTION_GRACE_MS, id -> connection.close());
  }

  /**
   * Runs {@code action} once when the connection's socket closes. Vert.x does not call an HTTP connection's close
   * handler once the connection was upgraded to a WebSocket (the upgrade swaps the connection object on the
   * channel), so a counted connection would leak from the limit with every WebSocket; the Netty channel outlives
   * the upgrade, and its close future fires exactly once whatever protocol it ended in.
   */
  private static void whenClosed(HttpConnection connection, Runnable action) {
    if (connection instanceof ConnectionBase base) {
      base.channel().closeFuture().addListener(f -> action.run());
    } else {
      connection.closeHandler(v -> action.run());
    }
  }

  private void refuse(HttpServerRequest request) {
    ApiError error = new ApiError(ErrorCode.SERVICE_UNAVAILABLE,
        "Too many connections (limit " + cfg.maxConnections() + "); retry later");
    request.response()
        .setStatusCode(error.code().httpStatus())
        .putHeader("Content-Type", MediaTypes.KAFKA_V2_JSON)
        .putHeader("Connection", "close")
        .end(error.toJson().toBuffer())
        .onComplete(ar -> request.connection().close());
  }

  @Override
  public Future<?> stop() {
    // Stops accepting at once; requests in flight get the grace period, then their connections are closed.
    Future<Void> closed = server != null ? server.shutdown(cfg.shutdownGraceMs(), TimeUnit.MILLISECONDS)
        : Future.succeededFuture();
    return closed.eventually(() -> {
      SharedServerState.release(vertx, cfg, deploymentID());
      return fetchWorkers.close();
    });
  }

  /** The port the server listens on (the OS's pick when configured with 0); -1 before it started. */
  public int actualPort() {
    return server != null ? server.actualPort() : -1;
  }

  /** Open connections counted against the limit, across the instances sharing this server's host and port. */
  public int openConnections() {
    return shared != null ? shared.openConnections() : 0;
  }
}
