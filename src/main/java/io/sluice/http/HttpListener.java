package io.sluice.http;

import io.sluice.api.Authentication;
import io.sluice.api.Listener;
import io.sluice.api.Services;
import io.sluice.config.BrokerConfig;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The HTTP API as a broker listener: {@code http.instances} {@link HttpServerVerticle}s sharing one port, with the
 * broker's limits mapped onto {@link HttpApiConfig}, over the services the broker hands every listener. Stopping it
 * undeploys the verticles, which stop accepting and give requests in flight their grace.
 */
public final class HttpListener implements Listener {
  private static final System.Logger LOG = System.getLogger(HttpListener.class.getName());
  public static final String NAME = Callers.LISTENER;

  private final BrokerConfig config;
  private final List<HttpServerVerticle> instances = new CopyOnWriteArrayList<>();
  private final SessionCounts sessions = new SessionCounts();
  private List<HttpExtension> extensions = List.of();
  private Vertx vertx;
  private String deploymentId;
  private final ExtensionStarts starts = new ExtensionStarts();
  private Future<Void> extensionsStarted = Future.succeededFuture();

  public HttpListener(BrokerConfig config) {
    this.config = config;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Future<Endpoint> start(Vertx vertx, Services services) {
    this.vertx = vertx;
    HttpApiConfig api = apiConfig(config);
    extensions = services.extensions().stream().filter(HttpExtension.class::isInstance)
        .map(HttpExtension.class::cast).toList();
    Authentication authentication = services.extensions().stream().filter(Authentication.class::isInstance)
        .map(Authentication.class::cast).findFirst().orElse(null);
    return vertx.deployVerticle(() -> {
      HttpServerVerticle verticle = new HttpServerVerticle(services.broker(), api, services.ready(),
          services.consumers(), sessions, extensions, starts, config.ssl()).authenticatedBy(authentication);
      instances.add(verticle);
      return verticle;
    }, new DeploymentOptions().setInstances(config.httpInstances())).compose(id -> {
      deploymentId = id;
      startExtensions();
      return Future.succeededFuture(new Endpoint(NAME, "http", advertisedHost(), instances.get(0).actualPort()));
    });
  }

  /**
   * Tells every extension the listener serves, without holding the listener back or one extension behind another
   * (see {@link ExtensionStarts}); {@link #extensionsStarted} completes when all have answered, whatever they
   * answered.
   */
  private void startExtensions() {
    FrontEndView view = view();
    List<Future<Void>> all = new java.util.ArrayList<>();
    for (HttpExtension e : extensions) {
      Future<Void> start;
      try {
        start = e.frontEndStarted(view);
      } catch (RuntimeException ex) {
        start = Future.failedFuture(ex);
      }
      starts.started(e, start);
      start.onFailure(t -> LOG.log(System.Logger.Level.ERROR, "An HTTP extension"
          + (e.name() == null ? "" : " (" + e.name() + ")") + " failed to start", t));
      all.add(start);
    }
    extensionsStarted = Future.join(all).transform(ar -> Future.succeededFuture());
  }

  @Override
  public Future<Void> stop() {
    if (deploymentId == null) {
      return Future.succeededFuture();
    }
    // An extension still starting (a connect worker scanning plugins) stops only once its start is over.
    Future<Void> told = extensionsStarted;
    for (HttpExtension e : extensions) {
      told = told.transform(ar -> e.frontEndStopping());
    }
    return told.transform(ar -> vertx.undeploy(deploymentId));
  }

  private FrontEndView view() {
    return new FrontEndView() {
      @Override
      public int port() {
        return instances.get(0).actualPort();
      }

      @Override
      public int openConnections() {
        return instances.isEmpty() ? 0 : instances.get(0).openConnections();
      }

      @Override
      public int webSocketSessions() {
        return sessions.webSockets();
      }

      @Override
      public int sseSessions() {
        return sessions.sse();
      }
    };
  }

  /** The host other brokers and clients are told: the bound one, or the cluster host for a wildcard address. */
  private String advertisedHost() {
    String host = config.httpHost();
    return host.equals("0.0.0.0") || host.equals("::") ? config.clusterHost() : host;
  }

  static HttpApiConfig apiConfig(BrokerConfig config) {
    long maxWaitMs = config.fetchMaxWaitMs();
    return HttpApiConfig.defaults(config.httpHost(), config.httpPort())
        .withMaxBodyBytes(config.httpMaxBodyBytes())
        .withMaxConnections(config.httpMaxConnections())
        .withMaxRecordsPerRequest(config.httpMaxRecordsPerRequest())
        .withWebSocketLimits(config.httpWsMaxFrameBytes(), config.httpWsMaxMessageBytes())
        .withConnections(new ConnectionLimits(config.httpMaxConnectionsPerIp(), config.httpIdleTimeoutMs(),
            config.httpRequestHeadTimeoutMs(), config.httpMinFreeFileDescriptors(),
            config.getLong(BrokerConfig.HTTP_MAX_INFLIGHT_BODY_BYTES),
            config.getLong(BrokerConfig.HTTP_MAX_INFLIGHT_ANSWER_BYTES)))
        .withFetchWait(Math.min(HttpApiConfig.DEFAULT_FETCH_WAIT_MS, maxWaitMs), maxWaitMs);
  }
}
