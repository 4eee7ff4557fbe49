package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.api.ConsumerService;
import io.sluice.connect.ConnectService;
import io.sluice.errors.ErrorCode;
import io.sluice.quota.QuotaService;
import io.sluice.streams.StreamsService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A large JSON body is parsed on the HTTP worker pool, not on the event loop it came on, and a consumer instance's
 * requests still reach the coordinator in the order they came. The worker pool is held on purpose, so the parse
 * is seen waiting in its queue (a count, not a time) while the event loop answers other requests.
 */
class JsonBodiesTest {
  /** Partitions in the large seek: about 1 MB of JSON, well over {@link BodyDecoding#INLINE_MAX_BYTES}. */
  private static final int PARTITIONS = 20_000;
  private static final String BASE = "/consumers/g/instances/";
  private final List<String> calls = new CopyOnWriteArrayList<>();
  private Vertx vertx;
  private WebClient client;
  private HeldWorkers held;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    HttpApiConfig cfg = HttpApiConfig.defaults("127.0.0.1", 0).withMaxBodyBytes(2 << 20);
    // The extensions whose routes take a JSON object, as a broker mounts them (null services: refused before used).
    List<HttpExtension> extensions = List.of(new TransactionsEndpoint(null), new BrokerConfigsEndpoint(null),
        QuotaService.standaloneHttpExtension(), ConnectService.disabled().httpExtension(),
        StreamsService.disabledHttpExtension());
    HttpServerVerticle verticle = new HttpServerVerticle(new InMemoryBroker(vertx, null), cfg, () -> true,
        recordingConsumers(), new SessionCounts(), extensions, ExtensionStarts.NONE, null);
    HttpApiTestBase.await(vertx.deployVerticle(verticle));
    client = io.sluice.broker.testing.TestClients.web(verticle.actualPort());
    held = HeldWorkers.hold(vertx, cfg);
  }

  @AfterEach
  void stop() {
    held.release();
    client.close();
    HttpApiTestBase.await(vertx.close());
  }

  /** Records each seek and commit as "method instance size" and succeeds; other calls succeed with nothing. */
  private ConsumerService recordingConsumers() {
    return (ConsumerService) Proxy.newProxyInstance(ConsumerService.class.getClassLoader(),
        new Class<?>[] {ConsumerService.class}, (proxy, method, args) -> {
          if (List.of("seek", "commit", "delete").contains(method.getName())) {
            Object positions = args[3] instanceof Map<?, ?> m ? m : null;
            calls.add(method.getName() + " " + args[2] + " " + (positions == null ? 0 : ((Map<?, ?>) positions).size()));
          }
          return method.getReturnType() == Future.class ? Future.succeededFuture() : null;
        });
  }

  private static JsonObject seek(int partitions) {
    JsonArray offsets = new JsonArray();
    for (int i = 0; i < partitions; i++) {
      offsets.add(new JsonObject().put("topic", "t").put("partition", i).put("offset", 7));
    }
    return new JsonObject().put("offsets", offsets);
  }

  private Future<HttpResponse<Buffer>> post(String path, JsonObject body) {
    return client.post(path).putHeader("Content-Type", MediaTypes.KAFKA_V2_JSON).sendBuffer(body.toBuffer());
  }

  /** Waits until the large body's parse is queued behind the held workers; fails if it was answered instead. */
  private void awaitParseQueued(Future<HttpResponse<Buffer>> large) {
    await().atMost(Duration.ofSeconds(30)).until(() -> large.isComplete() || !held.queue().isEmpty());
    assertThat(large.isComplete()).as("the large body was answered without the workers: parsed on the event loop")
        .isFalse();
    assertThat(held.queue()).hasSize(1);
  }

  @Test
  void aLargeBodyIsParsedOnTheWorkersWhileTheEventLoopAnswersOtherRequests() {
    Future<HttpResponse<Buffer>> large = post(BASE + "a/positions", seek(PARTITIONS));
    awaitParseQueued(large);

    assertThat(HttpApiTestBase.await(client.get("/health").send()).statusCode()).isEqualTo(200);
    HttpResponse<Buffer> small = HttpApiTestBase.await(post(BASE + "b/positions", seek(3)));
    assertThat(small.statusCode()).as(small.bodyAsString()).isEqualTo(204);
    assertThat(large.isComplete()).isFalse();
    assertThat(calls).containsExactly("seek b 3");

    held.release();
    HttpResponse<Buffer> answered = HttpApiTestBase.await(large);
    assertThat(answered.statusCode()).as(answered.bodyAsString()).isEqualTo(204);
    assertThat(calls).containsExactly("seek b 3", "seek a " + PARTITIONS);
  }

  @Test
  void anInstancesLaterRequestWaitsForItsLargeBodyBeingParsed() {
    Future<HttpResponse<Buffer>> large = post(BASE + "a/positions", seek(PARTITIONS));
    awaitParseQueued(large);
    Future<HttpResponse<Buffer>> commit = post(BASE + "a/offsets", new JsonObject().put("offsets",
        new JsonArray().add(new JsonObject().put("topic", "t").put("partition", 0).put("offset", 3))));
    Future<HttpResponse<Buffer>> subscription = client.get(BASE + "a/subscription").send();
    Future<HttpResponse<Buffer>> deleted = client.delete(BASE + "a").send();
    // Another instance is not held up by it.
    assertThat(HttpApiTestBase.await(post(BASE + "b/positions", seek(1))).statusCode()).isEqualTo(204);
    assertThat(commit.isComplete()).isFalse();
    assertThat(subscription.isComplete()).isFalse();
    assertThat(deleted.isComplete()).isFalse();

    held.release();
    assertThat(HttpApiTestBase.await(large).statusCode()).isEqualTo(204);
    assertThat(HttpApiTestBase.await(commit).statusCode()).isEqualTo(204);
    assertThat(HttpApiTestBase.await(subscription).statusCode()).isEqualTo(200);
    assertThat(HttpApiTestBase.await(deleted).statusCode()).isEqualTo(204);
    // The commit and the delete came after the seek; between them, in whichever order their heads arrived.
    assertThat(calls).hasSize(4);
    assertThat(calls.subList(0, 2)).containsExactly("seek b 1", "seek a " + PARTITIONS);
    assertThat(calls.subList(2, 4)).containsExactlyInAnyOrder("commit a 1", "delete a 0");
  }

  @Test
  void aLargeMalformedBodyIsRefusedWithItsParseErrorAndABodyOverTheLimitWith413() {
    String bad = seek(PARTITIONS).encode().replace("\"offsets\":", "\"offsets\":,");
    Future<HttpResponse<Buffer>> malformed = client.post(BASE + "a/positions")
        .putHeader("Content-Type", MediaTypes.KAFKA_V2_JSON).sendBuffer(Buffer.buffer(bad));
    awaitParseQueued(malformed);
    held.release();
    HttpResponse<Buffer> refused = HttpApiTestBase.await(malformed);
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(refused.bodyAsJsonObject().getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    assertThat(refused.bodyAsJsonObject().getString("message")).contains("Request body");

    HttpResponse<Buffer> tooLarge = HttpApiTestBase.await(post(BASE + "a/positions", seek(PARTITIONS * 3)));
    assertThat(tooLarge.statusCode()).isEqualTo(413);
    assertThat(tooLarge.bodyAsJsonObject().getInteger("error_code")).isNotNull();
    assertThat(calls).isEmpty();
  }

  /** A large malformed body, as {@code aLargeMalformedBodyIsRefused...} sends: a stray comma in a 1 MB object. */
  private static Buffer largeMalformed() {
    return Buffer.buffer(seek(PARTITIONS).encode().replace("\"offsets\":", "\"offsets\":,"));
  }

  /**
   * The routes broker services add read their bodies as the API's own: a large one parsed on the workers (queued
   * behind the held ones, not answered from the event loop), its parse error then the route's 400. Connect and
   * streams are off here, so once parsed their guards answer 404 first.
   */
  @ParameterizedTest
  @CsvSource({"POST, /transactions/t/commit, 400", "POST, /client-quotas:alter, 400",
      "POST, /brokers/0/configs:alter, 400", "POST, /connectors, 404", "PUT, /streams/s, 404"})
  void anExtensionsLargeBodyIsParsedOnTheWorkers(String method, String path, int status) {
    Future<HttpResponse<Buffer>> large = client.request(HttpMethod.valueOf(method), path)
        .putHeader("Content-Type", MediaTypes.KAFKA_V2_JSON).sendBuffer(largeMalformed());
    awaitParseQueued(large);
    assertThat(HttpApiTestBase.await(client.get("/health").send()).statusCode()).isEqualTo(200);

    held.release();
    HttpResponse<Buffer> answered = HttpApiTestBase.await(large);
    assertThat(answered.statusCode()).as(answered.bodyAsString()).isEqualTo(status);
    if (status == 400) {
      assertThat(answered.bodyAsJsonObject().getInteger("error_code")).isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
      assertThat(answered.bodyAsJsonObject().getString("message")).contains("Request body");
    }
  }

  /**
   * Small bodies are still parsed where they arrive, with the same 400; a body over http.max.body.bytes is refused
   * by its length with 413 naming that limit, before any parse (none is queued on the held workers).
   */
  @ParameterizedTest
  @CsvSource({"POST, /transactions/t/commit", "POST, /client-quotas:alter", "POST, /brokers/0/configs:alter",
      "POST, /connectors", "PUT, /streams/s"})
  void anExtensionsMalformedBodyIs400AndOneOverTheLimit413(String method, String path) {
    HttpResponse<Buffer> malformed = HttpApiTestBase.await(client.request(HttpMethod.valueOf(method), path)
        .putHeader("Content-Type", MediaTypes.KAFKA_V2_JSON).sendBuffer(Buffer.buffer("{\"a\": 1,}")));
    if (!path.startsWith("/connectors") && !path.startsWith("/streams")) { // off: their guards answer 404 first
      assertThat(malformed.statusCode()).as(malformed.bodyAsString()).isEqualTo(400);
      assertThat(malformed.bodyAsJsonObject().getInteger("error_code"))
          .isEqualTo(ErrorCode.MALFORMED_REQUEST.code());
    }

    HttpResponse<Buffer> tooLarge = HttpApiTestBase.await(client.request(HttpMethod.valueOf(method), path)
        .putHeader("Content-Type", MediaTypes.KAFKA_V2_JSON).sendBuffer(seek(PARTITIONS * 3).toBuffer()));
    assertThat(tooLarge.statusCode()).isEqualTo(413);
    assertThat(tooLarge.bodyAsJsonObject().getInteger("error_code")).isEqualTo(ErrorCode.REQUEST_TOO_LARGE.code());
    assertThat(tooLarge.bodyAsJsonObject().getString("message")).contains("http.max.body.bytes " + (2 << 20));
    assertThat(held.queue()).isEmpty();
  }
}
