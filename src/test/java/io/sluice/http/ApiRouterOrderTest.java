package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The producer's and the reader's requests ({@code POST /batches}, {@code POST /fetch}) are matched before any route
 * with a path parameter: vertx-web builds a regex Matcher for every such route it tries, per request.
 */
class ApiRouterOrderTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void theHotPathsComeBeforeEveryRouteWithAPathParameter() {
    Router router = ApiRouter.create(vertx, new ApiRouter.Deps(new InMemoryBroker(vertx, null),
        HttpApiConfig.defaults("127.0.0.1", 0), () -> true, Buffer.buffer("{}"), null));
    List<Route> routes = router.getRoutes();
    int firstWithParameter = indexOf(routes, r -> r.getPath() != null && r.getPath().contains(":"));
    int lastHot = -1;
    for (int i = 0; i < routes.size(); i++) {
      Route r = routes.get(i);
      if (r.methods() != null && r.methods().contains(HttpMethod.POST)
          && (PartitionBatchesEndpoint.PATH.equals(r.getPath()) || MultiFetchEndpoint.PATH.equals(r.getPath()))) {
        lastHot = i;
      }
    }
    assertThat(firstWithParameter).isPositive();
    assertThat(lastHot).as("POST /batches and /fetch are mounted").isGreaterThanOrEqualTo(3);
    assertThat(lastHot).isLessThan(firstWithParameter);
  }

  private static int indexOf(List<Route> routes, java.util.function.Predicate<Route> p) {
    for (int i = 0; i < routes.size(); i++) {
      if (p.test(routes.get(i))) {
        return i;
      }
    }
    return -1;
  }
}
