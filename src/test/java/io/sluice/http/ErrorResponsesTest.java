package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.DecodeException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How failures become answers: a client mistake keeps its code and message; a JSON decode failure that is not a
 * request body's (every body goes through StrictJson, which names what it read) is the broker's own fault, a 500. It
 * was answered 400 "Request body is not valid JSON" whatever had failed to decode, a valid request included.
 */
class ErrorResponsesTest {
  private Vertx vertx;
  private WebClient client;
  private int port;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    Router router = Router.router(vertx);
    router.get("/client-mistake").handler(ctx -> {
      throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "'x' must be an integer");
    });
    router.get("/stored-data").handler(ctx -> {
      throw new DecodeException("Failed to decode: Unexpected end-of-input"); // as decoding a stored value would
    });
    router.get("/echo").handler(ctx -> {
      throw new SluiceException(ErrorCode.MALFORMED_REQUEST, "bad value '" + "v\n\u202e".repeat(30_000) + "'");
    });
    router.get("/nothing/*").handler(ctx -> ctx.fail(404)); // as ApiRouter's error handler for no route
    router.route().failureHandler(ErrorResponses.failureHandler(1 << 20));
    HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
        .toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    port = server.actualPort();
    client = WebClient.create(vertx);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private HttpResponse<Buffer> get(String path) throws Exception {
    return client.get(port, "127.0.0.1", path).send().toCompletionStage().toCompletableFuture()
        .get(20, TimeUnit.SECONDS);
  }

  @Test
  void aClientMistakeKeepsItsCodeAndMessage() throws Exception {
    HttpResponse<Buffer> r = get("/client-mistake");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.bodyAsJsonObject().getString("message")).isEqualTo("'x' must be an integer");
  }

  @Test
  void aDecodeFailureThatIsNotTheRequestBodysIsTheBrokersFault() throws Exception {
    HttpResponse<Buffer> r = get("/stored-data");
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(r.bodyAsJsonObject().getInteger("error_code")).isEqualTo(ErrorCode.UNKNOWN_SERVER_ERROR.code());
    assertThat(r.bodyAsJsonObject().getString("message")).doesNotContain("Request body");
  }

  /** A message repeating a client's input whole carried 90 KB and raw line breaks back: every message is bounded. */
  @Test
  void everyMessageIsBoundedAndItsInvisibleCharactersEscaped() throws Exception {
    HttpResponse<Buffer> r = get("/echo");
    assertThat(r.statusCode()).isEqualTo(400);
    String message = r.bodyAsJsonObject().getString("message");
    assertThat(message).startsWith("bad value 'v\\u000a\\u202ev").doesNotContain("\n").doesNotContain("\u202e")
        .hasSizeLessThan(io.sluice.errors.Echo.MAX_MESSAGE_CHARS + 100);
  }

  @Test
  void anUnknownPathIsNamedQuotedAndCut() throws Exception {
    HttpResponse<Buffer> r = get("/nothing/" + "p".repeat(3_000));
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.bodyAsJsonObject().getString("message")).startsWith("No resource at '/nothing/ppp")
        .contains("of 3009 characters").hasSizeLessThan(200);
  }
}
