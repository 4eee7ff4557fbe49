package io.sluice.http;

import io.sluice.broker.BrokerService;
import io.sluice.broker.FrontEndView;
import io.sluice.broker.HttpExtension;
import io.sluice.consumer.ConsumerService;
import io.sluice.broker.HttpFrontEnd;
import io.sluice.config.BrokerConfig;
import io.sluice.connect.ConnectService;
import io.sluice.consumer.ConsumerForwardServer;
import io.sluice.consumer.LocalConsumerService;
import io.sluice.consumer.RoutingConsumerService;
import io.sluice.group.GroupConfig;
import io.sluice.group.GroupCoordinator;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Deploys the HTTP API for a broker: the group coordinator and its consumer service, then {@code http.instances}
 * {@link HttpServerVerticle}s sharing one port, with the broker's limits mapped onto {@link HttpApiConfig}. One
 * parent deployment holds them: undeploying it stops the HTTP servers (children go first), then the coordinator.
 */
public final class HttpApiFrontEnd implements HttpFrontEnd {

  @Override
  public Future<Deployed> deploy(Vertx vertx, BrokerService service, BrokerConfig config) {
    return deploy(vertx, service, config, List.of());
  }

  @Override
  public Future<Deployed> deploy(Vertx vertx, BrokerService service, BrokerConfig config,
      List<HttpExtension> extensions) {
    ApiDeployment parent = new ApiDeployment(service, config, extensions);
    return vertx.deployVerticle(parent).map(id -> new Deployed(id, parent.instances.get(0).actualPort()));
  }

  static HttpApiConfig apiConfig(BrokerConfig config) {
    long maxWaitMs = config.fetchMaxWaitMs();
    return HttpApiConfig.defaults(config.httpHost(), config.httpPort())
        .withMaxBodyBytes(config.httpMaxBodyBytes())
        .withMaxConnections(config.httpMaxConnections())
        .withMaxRecordsPerRequest(config.httpMaxRecordsPerRequest())
        .withConnections(new ConnectionLimits(config.httpMaxConnectionsPerIp(), config.httpIdleTimeoutMs(),
            config.httpRequestHeadTimeoutMs(), config.httpMinFreeFileDescriptors()))
        .withWebSocketLimits(config.httpWsMaxFrameBytes(), config.httpWsMaxMessageBytes())
        .withFetchWait(Math.min(HttpApiConfig.DEFAULT_FETCH_WAIT_MS, maxWaitMs), maxWaitMs);
  }

  /** Starts the consumer service, then the HTTP instances as child deployments. */
  private static final class ApiDeployment extends VerticleBase {
    private final BrokerService service;
    private final BrokerConfig config;
    private final List<HttpExtension> extensions;
    private final SessionCounts sessions = new SessionCounts();
    final List<HttpServerVerticle> instances = new CopyOnWriteArrayList<>();
    private LocalConsumerService consumers;
    private RoutingConsumerService router;
    private ConsumerForwardServer forwardServer;
    private ConnectService connect;

    ApiDeployment(BrokerService service, BrokerConfig config, List<HttpExtension> extensions) {
      this.extensions = List.copyOf(extensions);
      this.service = service;
      this.config = config;
    }

    @Override
    public Future<?> start() {
      HttpApiConfig api = apiConfig(config);
      GroupCoordinator coordinator = new GroupCoordinator(vertx, service, GroupConfig.from(config),
          System::currentTimeMillis);
      // In a cluster every group has one coordinator, the leader of its offsets topic partition; any broker routes.
      coordinator.followLeadership(config.brokerId());
      consumers = new LocalConsumerService(coordinator);
      router = new RoutingConsumerService(vertx, config.brokerId(), service, consumers);
      forwardServer = new ConsumerForwardServer(vertx, config.brokerId(), consumers);
      // Hook: the connect service (io.sluice.connect) is mounted on the routers and starts once the port is bound.
      connect = new ConnectService(vertx, service, config);
      return consumers.start().compose(v -> forwardServer.start()).compose(v -> vertx.deployVerticle(() -> {
        HttpServerVerticle verticle = new HttpServerVerticle(service, api, () -> true, router, sessions, extensions,
            connect);
        instances.add(verticle);
        return verticle;
      }, new DeploymentOptions().setInstances(config.httpInstances())))
          .compose(id -> connect.start(instances.get(0).actualPort()).map(id))
          .onSuccess(id -> extensions.forEach(e -> e.frontEndStarted(view())));
    }

    private FrontEndView view() {
      return new FrontEndView() {
        @Override
        public ConsumerService localGroups() {
          return consumers;
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

    @Override
    public Future<?> stop() {
      Future<Void> connectStopped = connect != null ? connect.stop() : Future.succeededFuture();
      if (router != null) {
        router.close();
      }
      Future<Void> unregistered = forwardServer != null ? forwardServer.stop() : Future.succeededFuture();
      return connectStopped.transform(c -> unregistered)
          .transform(ar -> consumers != null ? consumers.close() : Future.succeededFuture());
    }
  }
}
