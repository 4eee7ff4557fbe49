package io.sluice.http;

import io.sluice.broker.BrokerService;
import io.sluice.broker.HttpFrontEnd;
import io.sluice.config.BrokerConfig;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Deploys the HTTP API for a broker: {@code http.instances} {@link HttpServerVerticle}s sharing one port, with
 * the broker's limits mapped onto {@link HttpApiConfig}.
 */
public final class HttpApiFrontEnd implements HttpFrontEnd {

  @Override
  public Future<Deployed> deploy(Vertx vertx, BrokerService service, BrokerConfig config) {
    HttpApiConfig api = apiConfig(config);
    List<HttpServerVerticle> instances = new CopyOnWriteArrayList<>();
    return vertx.deployVerticle(() -> {
      HttpServerVerticle verticle = new HttpServerVerticle(service, api);
      instances.add(verticle);
      return verticle;
    }, new DeploymentOptions().setInstances(config.httpInstances()))
        .map(id -> new Deployed(id, instances.get(0).actualPort()));
  }

  static HttpApiConfig apiConfig(BrokerConfig config) {
    long maxWaitMs = config.fetchMaxWaitMs();
    return HttpApiConfig.defaults(config.httpHost(), config.httpPort())
        .withMaxBodyBytes(config.httpMaxBodyBytes())
        .withMaxConnections(config.httpMaxConnections())
        .withMaxRecordsPerRequest(config.httpMaxRecordsPerRequest())
        .withFetchWait(Math.min(HttpApiConfig.DEFAULT_FETCH_WAIT_MS, maxWaitMs), maxWaitMs);
  }
}
