package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class HttpServerVerticleTest extends HttpApiTestBase {
  private final AtomicBoolean ready = new AtomicBoolean(true);

  @Override
  HttpApiConfig config() {
    return HttpApiConfig.defaults("127.0.0.1", 0).withMaxConnections(2);
  }

  @Override
  boolean ready() {
    return ready.get();
  }

  @Test
  void boundPortIsReported() {
    assertThat(verticle.actualPort()).isPositive();
  }

  @Test
  void healthIsUp() {
    HttpResponse<Buffer> r = get("/health");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject()).isEqualTo(new JsonObject().put("status", "UP"));
  }

  @Test
  void readinessFollowsTheSupplier() {
    assertThat(get("/ready").statusCode()).isEqualTo(200);
    ready.set(false);
    assertError(get("/ready"), 503, ErrorCode.SERVICE_UNAVAILABLE);
  }

  @Test
  void openApiDocumentIsServed() {
    HttpResponse<Buffer> r = get("/openapi");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getString("openapi")).isEqualTo("3.1.0");
  }

  @Test
  void unknownRouteIsJsonNotFound() {
    assertError(get("/no/such/thing"), 404, ErrorCode.NOT_FOUND);
    assertError(get("/topics/t/partitions/0/nothing"), 404, ErrorCode.NOT_FOUND);
  }

  @Test
  void wrongMethodIsJsonMethodNotAllowed() {
    assertError(await(client.put("/topics").send()), 405, ErrorCode.METHOD_NOT_ALLOWED);
    assertError(await(client.delete("/health").send()), 405, ErrorCode.METHOD_NOT_ALLOWED);
    assertError(await(client.patch("/topics/t/partitions/0/records").send()), 405, ErrorCode.METHOD_NOT_ALLOWED);
  }

  @Test
  void brokenPercentEscapesInPathOrQueryAreJsonBadRequests() {
    assertError(get("/topics/%ZZ"), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(get("/topics/t/partitions/%G0/records?offset=0"), 400, ErrorCode.MALFORMED_REQUEST);
    assertError(get("/topics/t/partitions/0/records?offset=%ZZ"), 400, ErrorCode.MALFORMED_REQUEST);
    assertThat(get("/health").statusCode()).isEqualTo(200);
  }

  @Test
  void requestLinesAndHeadersOverTheCodecLimitsAreJson414And431() {
    HttpResponse<Buffer> longUri = get("/topics/" + "a".repeat(10_000));
    assertError(longUri, 414, ErrorCode.URI_TOO_LONG);
    HttpResponse<Buffer> bigHeader = await(client.get("/topics").putHeader("X-Big", "b".repeat(20_000)).send());
    assertError(bigHeader, 431, ErrorCode.HEADERS_TOO_LARGE);
    assertThat(get("/health").statusCode()).isEqualTo(200);
  }

  @Test
  void serverFaultIsA500WithoutStackTrace() {
    broker.unexpected = new IllegalStateException("database exploded at io.sluice.Secret");
    HttpResponse<Buffer> r = get("/topics");
    assertError(r, 500, ErrorCode.UNKNOWN_SERVER_ERROR);
    assertThat(r.bodyAsString()).doesNotContain("exploded", "Secret");
  }

  @Test
  void connectionsBeyondTheLimitAreRefusedWith503() {
    HttpClientAgent http = oneConnectionClient();
    HttpClientAgent second = oneConnectionClient();
    HttpClientAgent third = oneConnectionClient();
    try {
      assertThat(status(http)).isEqualTo(200);
      assertThat(status(second)).isEqualTo(200);
      JsonObject refused = await(third.request(HttpMethod.GET, "/health").compose(req -> req.send())
          .compose(resp -> resp.body().map(body -> new JsonObject()
              .put("status", resp.statusCode()).put("connection", resp.getHeader("Connection"))
              .put("body", new JsonObject(body)))));
      assertThat(refused.getInteger("status")).isEqualTo(503);
      assertThat(refused.getString("connection")).isEqualTo("close");
      assertThat(refused.getJsonObject("body").getInteger("error_code"))
          .isEqualTo(ErrorCode.SERVICE_UNAVAILABLE.code());
      assertThat(verticle.openConnections()).isEqualTo(2);
    } finally {
      await(http.close());
      await(second.close());
      await(third.close());
    }
  }

  @Test
  void aClosedWebSocketGivesItsConnectionBackToTheLimit() throws InterruptedException {
    createTopic("ws-limit", 1);
    int before = verticle.openConnections();
    WebSocketClient ws = vertx.createWebSocketClient();
    try {
      for (int i = 0; i < 3; i++) {
        WebSocket socket = await(ws.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
            .setPort(verticle.actualPort()).setURI("/ws/produce?topic=ws-limit")));
        assertThat(verticle.openConnections()).isEqualTo(before + 1);
        await(socket.close());
        FetchEndpointTest.eventually(() -> verticle.openConnections() == before);
      }
    } finally {
      await(ws.close());
    }
  }

  /**
   * A client of one kept-alive connection, on the tests' one-loop Vert.x (TestClients) as the house rule has it: a
   * request made from the test thread on a many-loop Vert.x can land on another loop than its connection.
   */
  private HttpClientAgent oneConnectionClient() {
    return io.sluice.broker.testing.TestClients.vertx().createHttpClient(new HttpClientOptions().setKeepAlive(true)
        .setDefaultHost("127.0.0.1").setDefaultPort(verticle.actualPort()), new PoolOptions().setHttp1MaxSize(1));
  }

  private static int status(HttpClientAgent http) {
    return await(http.request(HttpMethod.GET, "/health").compose(req -> req.send())
        .compose(resp -> resp.body().map(body -> resp.statusCode())));
  }
}
