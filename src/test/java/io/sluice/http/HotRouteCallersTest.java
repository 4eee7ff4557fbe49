package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.RequestContext;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import org.junit.jupiter.api.Test;

/**
 * The caller the hot routes ({@code POST /batches}, {@code POST /fetch}) hand the broker: the connection's peer as
 * its address (read from the connection, not through vertx-web's forwarded-header parser), the client id header,
 * and no trust in forwarded headers.
 */
class HotRouteCallersTest extends HttpApiTestBase {

  @Test
  void produceAndFetchCarryThePeersAddressAndClientIdAndIgnoreForwardedHeaders() {
    createTopic("t", 1);
    broker.callers.clear();
    HttpClient http = vertx.createHttpClient();
    try {
      SocketAddress produced = send(http, HttpMethod.POST, PartitionBatchesEndpoint.PATH,
          MediaTypes.SLUICE_PARTITION_BATCHES, PartitionBatchesEndpointTest.section("t", 0, batch(0, "v")));
      SocketAddress fetched = send(http, HttpMethod.POST, MultiFetchEndpoint.PATH, "application/json",
          new JsonObject().put("partitions", new JsonArray().add(new JsonObject().put("topic", "t")
              .put("partition", 0).put("offset", 0))).toBuffer());

      assertThat(broker.callers).extracting(RequestContext::clientAddress)
          .containsExactly("127.0.0.1:" + produced.port(), "127.0.0.1:" + fetched.port());
      assertThat(broker.callers).allSatisfy(caller -> {
        assertThat(caller.clientId()).isEqualTo("hot-route-test");
        assertThat(caller.listener()).isEqualTo(Callers.LISTENER);
      });
    } finally {
      await(http.close());
    }
  }

  /** Sends one request with forwarded headers naming another host; answers the client side's local address. */
  private SocketAddress send(HttpClient http, HttpMethod method, String path, String contentType, Buffer body) {
    HttpClientRequest request = await(http.request(new RequestOptions().setMethod(method).setHost("127.0.0.1")
        .setPort(verticle.actualPort()).setURI(path)));
    request.putHeader("Content-Type", contentType).putHeader(RequestContext.CLIENT_ID_HEADER, "hot-route-test")
        .putHeader("X-Forwarded-For", "10.9.8.7").putHeader("Forwarded", "for=10.9.8.7;host=elsewhere:1");
    int status = await(request.send(body).compose(r -> r.body().map(b -> r.statusCode())));
    assertThat(status).isEqualTo(200);
    return request.connection().localAddress();
  }
}
