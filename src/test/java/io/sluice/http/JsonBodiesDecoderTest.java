package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A route's decoder ({@link JsonBodies#reader(Function)}) turns a large body into its request on the worker that
 * parsed it, before the handler runs, and a small one where the handler runs (its event loop): counted per thread,
 * not timed. Its refusal is the handler's own 400.
 */
class JsonBodiesDecoderTest {
  private static final String POOL = "json-bodies-decoder-test";
  private final Vertx vertx = Vertx.vertx();
  /** The thread of each decode. */
  private final List<String> decodes = new CopyOnWriteArrayList<>();
  private HttpServer server;
  private WebClient client;

  /** The number of entries of "items", refusing an entry that is not a number. */
  private final Function<JsonObject, Integer> decoder = body -> {
    decodes.add(Thread.currentThread().getName());
    JsonArray items = body.getJsonArray("items");
    if (items.stream().anyMatch(i -> !(i instanceof Number))) {
      throw ErrorResponses.error(ErrorCode.MALFORMED_REQUEST, "items must be numbers");
    }
    return items.size();
  };

  @BeforeEach
  void start() throws Exception {
    WorkerExecutor workers = vertx.createSharedWorkerExecutor(POOL, 2);
    JsonBodies bodies = new JsonBodies(1 << 20, workers);
    Router router = Router.router(vertx);
    router.post("/items").handler(bodies.reader(decoder)).handler(ctx -> ctx.response()
        .end(String.valueOf(JsonBodies.decoded(ctx, decoder))));
    router.route().failureHandler(ErrorResponses.failureHandler(1 << 20));
    server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    client = WebClient.create(vertx);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private HttpResponse<Buffer> post(int items, Object last) throws Exception {
    JsonArray array = new JsonArray();
    for (int i = 0; i < items - 1; i++) {
      array.add(i);
    }
    array.add(last);
    return client.post(server.actualPort(), "127.0.0.1", "/items")
        .sendBuffer(new JsonObject().put("items", array).toBuffer()).await(10, TimeUnit.SECONDS);
  }

  @Test
  void aLargeBodyIsDecodedOnTheWorkerThatParsedIt() throws Exception {
    HttpResponse<Buffer> large = post(30_000, 1); // about 180 KB
    assertThat(large.statusCode()).as(large.bodyAsString()).isEqualTo(200);
    assertThat(large.bodyAsString()).isEqualTo("30000");
    assertThat(decodes).singleElement().satisfies(thread -> assertThat(thread).startsWith(POOL));

    decodes.clear();
    HttpResponse<Buffer> small = post(10, 1);
    assertThat(small.bodyAsString()).isEqualTo("10");
    assertThat(decodes).singleElement().satisfies(thread -> assertThat(thread).startsWith("vert.x-eventloop"));
  }

  @Test
  void aLargeBodyTheDecoderRefusesIsTheHandlers400() throws Exception {
    HttpResponse<Buffer> refused = post(30_000, "x");
    assertThat(refused.statusCode()).as(refused.bodyAsString()).isEqualTo(400);
    assertThat(refused.bodyAsJsonObject().getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    assertThat(refused.bodyAsJsonObject().getString("message")).isEqualTo("items must be numbers");
    assertThat(decodes).singleElement().satisfies(thread -> assertThat(thread).startsWith(POOL));
  }
}
