package io.sluice.http;

import io.sluice.api.BrokerService;
import io.sluice.api.DelegatingBrokerService;
import io.sluice.api.FetchRequest;
import io.sluice.api.FetchResult;
import io.sluice.api.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.handler.BodyHandler;
import java.lang.reflect.Proxy;
import java.util.concurrent.TimeUnit;

/**
 * {@code POST /fetch} alone on a loopback server, in front of a service whose partition fetches the test scripts:
 * what the endpoint asks of each partition and how it answers what it gets, without a broker behind it.
 */
final class FetchEndpointFixture implements AutoCloseable {
  /** Answers the endpoint's partition fetches; every other call of the service fails. */
  interface Fetches {
    Future<FetchResult> fetch(FetchRequest request);
  }

  final Vertx vertx = Vertx.vertx();
  /** The endpoint's pool for answers it does not send inline. */
  final WorkerExecutor workers;
  private final HttpServer server;
  private final WebClient client;

  FetchEndpointFixture(Fetches fetches) throws Exception {
    this(fetches, VertxOptions.DEFAULT_WORKER_POOL_SIZE);
  }

  FetchEndpointFixture(Fetches fetches, int workerPoolSize) throws Exception {
    workers = vertx.createSharedWorkerExecutor("test-fetch", workerPoolSize);
    Router router = Router.router(vertx);
    new MultiFetchEndpoint(fetchesOnly(fetches), HttpApiConfig.defaults("127.0.0.1", 0), workers)
        .mount(router, BodyHandler.create());
    router.route().failureHandler(ErrorResponses.failureHandler(Long.MAX_VALUE)); // the API's answers to refusals
    server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    client = WebClient.create(vertx);
  }

  /** Posts {@code body} as JSON to the endpoint and waits for its answer. */
  HttpResponse<Buffer> post(JsonObject body) throws Exception {
    return postAsync(body.toBuffer()).await(10, TimeUnit.SECONDS);
  }

  /** Posts {@code body} (JSON, well-formed or not) to the endpoint. */
  Future<HttpResponse<Buffer>> postAsync(Buffer body) {
    return client.post(server.actualPort(), "127.0.0.1", MultiFetchEndpoint.PATH)
        .putHeader("Content-Type", "application/json").sendBuffer(body);
  }

  @Override
  public void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static BrokerService fetchesOnly(Fetches fetches) {
    BrokerService refusing = (BrokerService) Proxy.newProxyInstance(BrokerService.class.getClassLoader(),
        new Class<?>[] {BrokerService.class}, (proxy, method, args) -> {
          throw new UnsupportedOperationException(method.getName());
        });
    return new DelegatingBrokerService(refusing) {
      @Override
      public Future<FetchResult> fetch(RequestContext caller, FetchRequest request) {
        return fetches.fetch(request);
      }
    };
  }
}
