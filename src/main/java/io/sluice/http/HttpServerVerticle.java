package io.sluice.http;

import io.netty.channel.Channel;
import io.sluice.api.Authentication;
import io.sluice.api.BrokerService;
import io.sluice.api.ConsumerService;
import io.sluice.config.ListenerTls;
import io.sluice.config.SslConfig;
import io.sluice.errors.ErrorCode;
import io.sluice.http.ErrorResponses.ApiError;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.Http1xServerConnection;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
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
 * <p>Every connection is counted at accept (through {@link AcceptHook}), before it sends a byte. Connections beyond
 * {@link HttpApiConfig#maxConnections()} (counted across the instances) are answered 503 SERVICE_UNAVAILABLE with
 * {@code Connection: close} on their first request, or closed at the request-head deadline if they send none.
 * Connections beyond {@link ConnectionLimits#maxConnectionsPerIp()}, and any while the process is short of file
 * descriptors, are closed at accept. {@link ConnectionWatch} closes idle and slow connections. The OpenAPI document
 * is read from the class path during {@link #start()}.
 */
public class HttpServerVerticle extends VerticleBase {
  static final String FETCH_POOL_NAME = "sluice-http-fetch";
  private static final System.Logger LOG = System.getLogger(HttpServerVerticle.class.getName());
  private static final long REFUSAL_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final BrokerService service;
  private final HttpApiConfig cfg;
  private final BooleanSupplier readiness;
  private final ConsumerService consumers;
  private final SessionCounts sessions;
  private final List<HttpExtension> extensions;
  private final ExtensionStarts starts;
  private Authentication authentication;
  private final SslConfig ssl;
  private SharedServerState shared;
  private WorkerExecutor fetchWorkers;
  private HttpServer server;
  /** Stops following the listener's certificate rotations; a no-op without TLS. */
  private Runnable unfollowTls = () -> { };
  private long samplerTimer = -1;
  /** Accept-time refusals are logged at most every 10 s per instance; touched only on this instance's loop. */
  private long lastRefusalLogNanos;

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
    this(service, cfg, readiness, consumers, new SessionCounts(), List.of(), ExtensionStarts.NONE, null);
  }

  /**
   * An API with {@code extensions} mounted beside it, counting its streaming sessions in {@code sessions}, over TLS
   * when {@code ssl} says so ({@code http.ssl.enable}; null: plain HTTP).
   */
  HttpServerVerticle(BrokerService service, HttpApiConfig cfg, BooleanSupplier readiness,
      ConsumerService consumers, SessionCounts sessions, List<HttpExtension> extensions, ExtensionStarts starts,
      SslConfig ssl) {
    this.ssl = ssl != null && ssl.http() ? ssl : null;
    this.sessions = sessions;
    this.starts = starts;
    this.extensions = List.copyOf(extensions);
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
    samplerTimer = vertx.setPeriodic(FileDescriptorGauge.SAMPLE_INTERVAL_MS, id -> sampleDescriptors());
    // The first sample is taken before the socket listens: until a gauge has one it refuses nothing, and a burst of
    // connections right after a start would otherwise all be admitted before the timer's first tick.
    return firstDescriptorSample().compose(v -> vertx.fileSystem().readFile(OpenApiEndpoint.RESOURCE))
        .map(openApi -> {
          Router router = ApiRouter.create(vertx,
              new ApiRouter.Deps(service, cfg, readiness, openApi, fetchWorkers, consumers, sessions, extensions, starts,
                  shared.answerMemory(), authentication));
          shared.bodyMemory().mount(router);
          return router;
        })
        .compose(this::listen);
  }

  /** Callers authenticate through {@code authentication} when it is enabled, and manage users' credentials. */
  HttpServerVerticle authenticatedBy(Authentication authentication) {
    this.authentication = authentication;
    return this;
  }

  private Future<HttpServer> listen(Router router) {
    HttpServerOptions options = new HttpServerOptions()
        .setHost(cfg.host())
        // Compression would disable sendFile's zero-copy path.
        .setCompressionSupported(false)
        .setMaxWebSocketFrameSize(cfg.wsMaxFrameBytes())
        .setMaxWebSocketMessageSize(cfg.wsMaxMessageBytes());
    SslConfig built = ssl == null ? null : ssl.listener(SslConfig.HTTP_LISTENER).current();
    if (built != null) {
      // Over TLS a fetch's file slices are copied through the TLS engine: sendFile's zero-copy path is plain only.
      serverTls(built, options);
      if (ssl.clientAuth() != ClientAuth.NONE) {
        CertificatePrincipals.inUse();
      }
    }
    server = AcceptHook.createHttpServer(vertx, options, this::admit)
        .connectionHandler(connection -> {
          ConnectionWatch watch = ConnectionWatch.of(channel(connection));
          if (watch != null) {
            watch.httpConnected(channel(connection), connection instanceof Http1xServerConnection);
          }
        })
        .invalidRequestHandler(MalformedRequests::invalid)
        .requestHandler(request -> {
          ConnectionWatch watch = ConnectionWatch.of(channel(request.connection()));
          if (watch != null && watch.overLimit()) {
            refuse(request);
          } else if (!MalformedRequests.refuseUndecodableUri(request)) {
            router.handle(request);
          }
        });
    if (built != null) {
      followTls(ssl.listener(SslConfig.HTTP_LISTENER), built);
    }
    return server.listen(shared.listenPort(), cfg.host());
  }

  /**
   * New connections get the listener's stores as rotated; a rotation that came between building the options with
   * {@code built} and following is applied at once.
   */
  private void followTls(ListenerTls tls, SslConfig built) {
    unfollowTls = tls.follow(next -> server.updateSSLOptions(serverTls(next, new HttpServerOptions()).getSslOptions(),
        true));
    SslConfig now = tls.current();
    if (now != built) {
      server.updateSSLOptions(serverTls(now, new HttpServerOptions()).getSslOptions(), true);
    }
  }

  private static HttpServerOptions serverTls(SslConfig tls, HttpServerOptions options) {
    return tls.apply(options).setClientAuth(tls.clientAuth());
  }

  /**
   * Runs at accept, before the connection has sent a byte, on its event loop. Closes it at once when the process is
   * short of file descriptors or its address holds its limit; otherwise counts it (a connection over the overall
   * limit is kept to answer its first request 503) and watches its timeouts. The counts are released by the Netty
   * channel's close future, which fires exactly once whatever protocol the connection ended in: Vert.x does not call
   * an HTTP connection's close handler once it was upgraded to a WebSocket.
   */
  private boolean admit(Channel channel) {
    if (shared.descriptors().tooFewFree()) {
      logRefusal("fewer than " + cfg.connections().minFreeFileDescriptors() + " file descriptors are free");
      return false;
    }
    InetAddress address = channel.remoteAddress() instanceof InetSocketAddress inet ? inet.getAddress() : null;
    if (address != null && !shared.tryAcquireForAddress(address)) {
      logRefusal(address.getHostAddress() + " holds " + cfg.connections().maxConnectionsPerIp()
          + " connections (http.max.connections.per.ip)");
      return false;
    }
    boolean counted = shared.tryAcquireConnection();
    shared.descriptors().admitted();
    channel.closeFuture().addListener(f -> {
      if (address != null) {
        shared.releaseForAddress(address);
      }
      if (counted) {
        shared.releaseConnection();
      }
    });
    ConnectionWatch.install(channel, cfg.connections(), !counted, shared.bodyMemory(), cfg.wsMaxFrameBytes());
    return true;
  }

  private void logRefusal(String why) {
    long now = System.nanoTime();
    if (lastRefusalLogNanos == 0 || now - lastRefusalLogNanos > REFUSAL_LOG_INTERVAL_NANOS) {
      lastRefusalLogNanos = now;
      LOG.log(System.Logger.Level.WARNING, "Closing new HTTP connections at accept: " + why
          + " (logged at most every 10 s)");
    }
  }

  private static Channel channel(HttpConnection connection) {
    return ((ConnectionBase) connection).channel();
  }

  private Future<Void> firstDescriptorSample() {
    FileDescriptorGauge gauge = shared.descriptors();
    return gauge.startSample() ? vertx.executeBlocking(() -> {
      gauge.sample();
      return null;
    }, false) : Future.succeededFuture();
  }

  private void sampleDescriptors() {
    FileDescriptorGauge gauge = shared.descriptors();
    if (gauge.startSample()) {
      vertx.executeBlocking(() -> {
        gauge.sample();
        return null;
      }, false);
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
    vertx.cancelTimer(samplerTimer);
    unfollowTls.run();
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

  /** The heap answers in flight may hold, shared by the instances sharing this server; null before the start. */
  AnswerMemory answerMemory() {
    return shared != null ? shared.answerMemory() : null;
  }

  /** Bytes reserved by request bodies in flight, across the instances sharing this server. */
  long bodyMemoryUsed() {
    return shared != null ? shared.bodyMemory().used() : 0;
  }
}
