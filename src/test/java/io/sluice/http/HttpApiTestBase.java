package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.policy.PolicyBrokerService;
import io.sluice.record.Header;
import io.sluice.record.RecordBatchBuilder;
import io.sluice.record.CompressionType;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.threadchecker.BlockedThreadEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts a real {@link HttpServerVerticle} on port 0 over an {@link InMemoryBroker}, with a WebClient. Each test
 * fails if an event loop was blocked longer than {@link #MAX_EVENT_LOOP_MS} or if an exception escaped to a
 * Vert.x context.
 */
abstract class HttpApiTestBase {
  /**
   * The suite's one in-process limit ({@link io.sluice.broker.testing.BlockedThreadGuard}'s): 500 ms tripped on a
   * 506 ms descheduling at load 34 (FetchEndpointTest streaming 11 MB), far below any real block's size.
   */
  static final long MAX_EVENT_LOOP_MS = io.sluice.broker.testing.BlockedThreadGuard.MAX_EVENT_LOOP_MS;
  static final String JSON_V2 = MediaTypes.KAFKA_JSON_V2;
  static final String BINARY_V2 = MediaTypes.KAFKA_BINARY_V2;

  @TempDir
  Path tempDir;
  Vertx vertx;
  InMemoryBroker broker;
  WebClient client;
  HttpServerVerticle verticle;
  final List<BlockedThreadEvent> blocked = new CopyOnWriteArrayList<>();
  final List<Throwable> uncaught = new CopyOnWriteArrayList<>();
  /**
   * Set by a test that blocks a loop on purpose: Vert.x's checker reports a loop every 100 ms while it stays blocked,
   * so a report may still arrive after the test has seen one (at load, after any list clearing).
   */
  boolean blocksOnPurpose;

  /** The config tests start with; override to change limits. */
  HttpApiConfig config() {
    return HttpApiConfig.defaults("127.0.0.1", 0);
  }

  /** Whether the broker double answers fetches with file slices (the zero-copy path) rather than bytes. */
  boolean sliceMode() {
    return false;
  }

  @BeforeEach
  void startServer() {
    vertx = Vertx.vertx(new VertxOptions()
        .setMaxEventLoopExecuteTime(MAX_EVENT_LOOP_MS).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setBlockedThreadCheckInterval(100).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS));
    io.sluice.broker.testing.LoopStarvation.watch(vertx);
    ((VertxInternal) vertx).blockedThreadChecker().setThreadBlockedHandler(e -> {
      if (!io.sluice.broker.testing.LoopStarvation.starved(e)) {
        blocked.add(e); // a loop that only waited for a CPU (a loaded machine) is not counted as blocked
      }
    });
    vertx.exceptionHandler(uncaught::add);
    broker = new InMemoryBroker(vertx, sliceMode() ? tempDir : null);
    // As in a broker, the front end gets the policy layer (internal-topic protection) over the service.
    verticle = new HttpServerVerticle(new PolicyBrokerService(broker), config(), this::ready);
    await(vertx.deployVerticle(verticle, new DeploymentOptions()));
    client = io.sluice.broker.testing.TestClients.web(verticle.actualPort());
  }

  boolean ready() {
    return true;
  }

  @AfterEach
  void stopServer() {
    try {
      if (!blocksOnPurpose) {
        assertThat(blocked).as("event loop blocked").isEmpty();
      }
      assertThat(uncaught).as("exceptions escaping to Vert.x").isEmpty();
    } finally {
      client.close();
      await(vertx.close());
    }
  }

  static <T> T await(Future<T> future) {
    return io.sluice.broker.testing.TestFutures.await(future, 20);
  }

  void createTopic(String name, int partitions) {
    HttpResponse<Buffer> r = await(client.post("/topics").sendJsonObject(
        new JsonObject().put("name", name).put("partitions", partitions)));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
  }

  HttpResponse<Buffer> produce(String path, String contentType, JsonArray records) {
    return await(client.post(path).putHeader("Content-Type", contentType)
        .sendBuffer(new JsonObject().put("records", records).toBuffer()));
  }

  HttpResponse<Buffer> post(String path, String contentType, String body) {
    return await(client.post(path).putHeader("Content-Type", contentType).sendBuffer(Buffer.buffer(body)));
  }

  HttpResponse<Buffer> get(String path) {
    return await(client.get(path).send());
  }

  HttpResponse<Buffer> fetch(String topic, int partition, String query, String accept) {
    return await(client.get("/topics/" + topic + "/partitions/" + partition + "/records?" + query)
        .putHeader("Accept", accept).send());
  }

  /** Asserts an error answer: the status, the stable error code, a message, and no stack trace. */
  static void assertError(HttpResponse<Buffer> response, int status, io.sluice.errors.ErrorCode code) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.getInteger("error_code")).as(body.encode()).isEqualTo(code.code());
    assertThat(body.getString("message")).isNotBlank().doesNotContain("at io.", "Exception:");
    assertThat(body.fieldNames()).containsExactlyInAnyOrder("error_code", "message");
  }

  static ByteBuffer batch(long firstTimestamp, String... values) {
    RecordBatchBuilder builder = new RecordBatchBuilder(CompressionType.NONE);
    for (int i = 0; i < values.length; i++) {
      builder.append(firstTimestamp + i, null, values[i].getBytes(), List.<Header>of());
    }
    return builder.build();
  }
}
