package io.sluice.broker;

import io.sluice.config.BrokerConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;

/**
 * How the broker starts its HTTP API: the seam between the broker core and {@code io.sluice.http}. The broker
 * calls {@link #deploy} once its partitions are open and undeploys the returned deployment first on shutdown (the
 * verticle's {@code stop()} should let requests in flight finish).
 *
 * <p>The real front end is {@code io.sluice.http.HttpApiFrontEnd}; the broker package does not depend on the
 * HTTP package, so whoever starts a broker (the CLI, a test) chooses it. {@link #NONE} serves no HTTP.
 */
@FunctionalInterface
public interface HttpFrontEnd {

  /** Serves no HTTP: for brokers driven through {@link BrokerService} alone (tests). */
  HttpFrontEnd NONE = (vertx, service, config) -> Future.succeededFuture(new Deployed(null, -1));

  /** Deploys the HTTP API; completes with the deployment and the port actually bound. */
  Future<Deployed> deploy(Vertx vertx, BrokerService service, BrokerConfig config);

  /** Deploys the HTTP API with {@code extensions} mounted beside it; a front end that cannot ignores them. */
  default Future<Deployed> deploy(Vertx vertx, BrokerService service, BrokerConfig config,
      List<HttpExtension> extensions) {
    return deploy(vertx, service, config);
  }

  /**
   * A deployed front end.
   *
   * @param deploymentId the Vert.x deployment to undeploy on shutdown
   * @param port the port bound (the OS's choice when {@code http.port} is 0)
   */
  record Deployed(String deploymentId, int port) {
  }
}
