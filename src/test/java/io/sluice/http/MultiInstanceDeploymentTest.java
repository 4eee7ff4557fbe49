package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.ext.web.client.WebClient;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The way the broker deploys the API: several instances from a supplier, sharing one port. */
class MultiInstanceDeploymentTest {

  @Test
  void undeployingLetsAParkedFetchFinish() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      InMemoryBroker broker = new InMemoryBroker(vertx, null);
      HttpServerVerticle verticle = new HttpServerVerticle(broker, HttpApiConfig.defaults("127.0.0.1", 0));
      String id = HttpApiTestBase.await(vertx.deployVerticle(verticle));
      WebClient client = WebClient.create(vertx);
      HttpApiTestBase.await(client.post(verticle.actualPort(), "127.0.0.1", "/topics")
          .sendJsonObject(new io.vertx.core.json.JsonObject().put("name", "t").put("partitions", 1)));
      var pending = client.get(verticle.actualPort(), "127.0.0.1",
          "/topics/t/partitions/0/records?offset=0&timeout=300").send();
      FetchEndpointTest.eventually(() -> broker.fetchesWaiting == 1);

      HttpApiTestBase.await(vertx.undeploy(id));

      var answer = HttpApiTestBase.await(pending);
      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(answer.bodyAsJsonArray()).isEmpty();
      client.close();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void instancesWithPortZeroShareTheOnePortTheOsPicked() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      InMemoryBroker broker = new InMemoryBroker(vertx, null);
      List<HttpServerVerticle> instances = new CopyOnWriteArrayList<>();
      HttpApiTestBase.await(vertx.deployVerticle(() -> {
        HttpServerVerticle v = new HttpServerVerticle(broker, HttpApiConfig.defaults("127.0.0.1", 0));
        instances.add(v);
        return v;
      }, new DeploymentOptions().setInstances(2)));
      int port = instances.get(0).actualPort();
      assertThat(port).isPositive();
      assertThat(instances.get(1).actualPort()).isEqualTo(port);

      HttpServerVerticle otherDeployment = new HttpServerVerticle(broker, HttpApiConfig.defaults("127.0.0.1", 0));
      HttpApiTestBase.await(vertx.deployVerticle(otherDeployment));
      assertThat(otherDeployment.actualPort()).isPositive().isNotEqualTo(port);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void instancesShareOnePortAndOneConnectionLimit() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      InMemoryBroker broker = new InMemoryBroker(vertx, null);
      // A fixed port is what production uses; ask the OS for a free one first.
      int port = HttpApiTestBase.await(vertx.createHttpServer().requestHandler(r -> { }).listen(0)
          .compose(s -> { int p = s.actualPort(); return s.close().map(p); }));
      HttpApiConfig cfg = HttpApiConfig.defaults("127.0.0.1", port);
      List<HttpServerVerticle> instances = new CopyOnWriteArrayList<>();
      String id = HttpApiTestBase.await(vertx.deployVerticle(() -> {
        HttpServerVerticle v = new HttpServerVerticle(broker, cfg);
        instances.add(v);
        return v;
      }, new DeploymentOptions().setInstances(3)));

      assertThat(instances).hasSize(3).allSatisfy(v -> assertThat(v.actualPort()).isEqualTo(port));
      WebClient client = WebClient.create(vertx);
      assertThat(HttpApiTestBase.await(client.get(port, "127.0.0.1", "/health").send()).statusCode()).isEqualTo(200);
      assertThat(instances.get(0).openConnections()).isEqualTo(instances.get(2).openConnections()).isOne();
      client.close();

      HttpApiTestBase.await(vertx.undeploy(id));
      // Undeployed: a redeployment with another limit starts from a fresh limiter.
      HttpServerVerticle again = new HttpServerVerticle(broker, cfg.withMaxConnections(1));
      HttpApiTestBase.await(vertx.deployVerticle(again));
      assertThat(again.openConnections()).isZero();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
