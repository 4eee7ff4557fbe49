package io.sluice.broker;

import io.sluice.config.BrokerConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * How the broker starts its HTTP API: the seam between the broker core and {@code io.sluice.http}. The broker
 * calls {@link #deploy} once its partitions are open and undeploys the returned deployment first on shutdown (the
 * verticle's {@code stop()} should let requests in flight finish).
 *
 * <p>The real front end is {@code new HttpServerVerticle(BrokerService, BrokerConfig)} deployed with a
 * {@code Supplier} for {@code http.instances} instances; see {@link Broker#DEFAULT_HTTP_FRONT_END}.
 */
@FunctionalInterface
public interface HttpFrontEnd {

  /** Deploys the HTTP API; completes with the deployment and the port actually bound. */
  Future<Deployed> deploy(Vertx vertx, BrokerService service, BrokerConfig config);

  /**
   * A deployed front end.
   *
   * @param deploymentId the Vert.x deployment to undeploy on shutdown
   * @param port the port bound (the OS's choice when {@code http.port} is 0)
   */
  record Deployed(String deploymentId, int port) {
  }
}
