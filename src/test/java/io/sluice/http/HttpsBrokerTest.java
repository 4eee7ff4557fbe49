package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.broker.testing.TestCertificates.Authority;
import io.sluice.broker.testing.TestCertificates.Issued;
import io.sluice.broker.testing.TestClients;
import io.sluice.client.ClientOptions;
import io.sluice.client.ConsumerRecord;
import io.sluice.client.ProducerOptions;
import io.sluice.client.ProducerRecord;
import io.sluice.client.ReaderOptions;
import io.sluice.client.SluiceClient;
import io.sluice.client.StartPosition;
import io.sluice.config.BrokerConfig;
import io.sluice.config.SslConfig;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A broker with {@code http.ssl.enable}: the REST API, the binary fetch (no zero-copy over TLS), WebSocket, SSE and
 * the Java client work over TLS for a client trusting the CA; plain HTTP to the port and a client that does not trust
 * the CA get nothing.
 */
class HttpsBrokerTest {
  @RegisterExtension
  static final BlockedThreadGuard GUARD = new BlockedThreadGuard();
  @TempDir
  static Path dir;
  static Authority ca;
  static Broker broker;

  @BeforeAll
  static void start() throws Exception {
    ca = Authority.create("https-ca");
    broker = TestBrokers.start(TestBrokers.config(dir.resolve("data"), tls("broker")), GUARD, HttpListener::new);
  }

  /** TLS on the HTTP listener with a certificate of the test's CA and no trust store. */
  private static Map<String, Object> tls(String name) throws Exception {
    Issued server = ca.issue("CN=localhost");
    Map<String, Object> tls = new HashMap<>();
    tls.put(SslConfig.HTTP_SSL_ENABLE, true);
    tls.put(SslConfig.KEYSTORE_LOCATION, server.keyStore(dir.resolve(name + ".p12"), "PKCS12", "pw", "pw").toString());
    tls.put(SslConfig.KEYSTORE_PASSWORD, "pw");
    tls.put(BrokerConfig.CONNECT_ENABLED, false);
    tls.put(BrokerConfig.STREAMS_ENABLED, false);
    return tls;
  }

  /**
   * The schema registry's client cannot reach a listener whose CA the JVM does not trust; its producer's close used
   * to wait for a producer id it would never get, and the broker's close abandoned the http listener's step.
   */
  @Test
  void aTlsBrokerClosesWithEveryShutdownStepDone() throws Exception {
    Broker closing = TestBrokers.start(TestBrokers.config(dir.resolve("closing"), tls("closing")), GUARD,
        HttpListener::new);
    List<String> warnings = new CopyOnWriteArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
          warnings.add(r.getMessage());
        }
      }

      @Override
      public void flush() {
      }

      @Override
      public void close() {
      }
    };
    Logger logger = Logger.getLogger(Broker.class.getName());
    logger.addHandler(capture);
    try {
      closing.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } finally {
      logger.removeHandler(capture);
    }
    assertThat(warnings).noneMatch(w -> w.startsWith("Shutdown:"));
  }

  @AfterAll
  static void stop() throws Exception {
    TestBrokers.close(broker);
  }

  private static PemTrustOptions trustTheCa() {
    return new PemTrustOptions().addCertValue(Buffer.buffer(ca.certificatePem()));
  }

  private static WebClient https() {
    return WebClient.create(TestClients.vertx(), new WebClientOptions().setDefaultHost("localhost")
        .setDefaultPort(broker.httpPort()).setSsl(true).setTrustOptions(trustTheCa()));
  }

  @Test
  void theRestApiBinaryFetchWebSocketAndSseWorkOverTls() throws Exception {
    WebClient client = https();
    try {
      HttpResponse<Buffer> created = await(client.post("/topics").sendJsonObject(new JsonObject()
          .put("name", "rest").put("partitions", 1)));
      assertThat(created.statusCode()).as(created.bodyAsString()).isEqualTo(201);
      HttpResponse<Buffer> produced = await(client.post("/topics/rest/partitions/0")
          .putHeader("Content-Type", MediaTypes.KAFKA_JSON_V2).sendJsonObject(new JsonObject().put("records",
              new JsonArray().add(new JsonObject().put("value", "over tls")))));
      assertThat(produced.statusCode()).as(produced.bodyAsString()).isEqualTo(200);
      HttpResponse<Buffer> json = await(client.get("/topics/rest/partitions/0/records?offset=0")
          .putHeader("Accept", MediaTypes.KAFKA_JSON_V2).send());
      assertThat(json.bodyAsJsonArray().getJsonObject(0).getString("value")).isEqualTo("over tls");
      // The segment file's bytes, which plain HTTP sends with sendFile, go through the TLS engine here.
      HttpResponse<Buffer> raw = await(client.get("/topics/rest/partitions/0/records?offset=0")
          .putHeader("Accept", "application/vnd.sluice.batch").send());
      assertThat(raw.statusCode()).isEqualTo(200);
      assertThat(raw.body().toString(StandardCharsets.ISO_8859_1)).contains("over tls");
    } finally {
      client.close();
    }

    WebSocketClient ws = TestClients.vertx().createWebSocketClient(new WebSocketClientOptions().setSsl(true)
        .setTrustOptions(trustTheCa()));
    try {
      WebSocket socket = await(ws.connect(new WebSocketConnectOptions().setHost("localhost")
          .setPort(broker.httpPort()).setSsl(true).setURI("/ws/consume?topic=rest&partition=0&offset=0")));
      CompletableFuture<String> frame = new CompletableFuture<>();
      socket.textMessageHandler(frame::complete);
      await(socket.writeTextMessage("{\"credit\": 1}"));
      assertThat(frame.get(20, TimeUnit.SECONDS)).contains("over tls");
    } finally {
      await(ws.close());
    }

    HttpClient sse = TestClients.vertx().createHttpClient(new HttpClientOptions().setSsl(true)
        .setTrustOptions(trustTheCa()));
    try {
      CompletableFuture<String> event = new CompletableFuture<>();
      await(sse.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("localhost")
          .setPort(broker.httpPort()).setURI("/topics/rest/partitions/0/events?offset=0"))
          .compose(req -> req.send()).map(resp -> {
            StringBuilder seen = new StringBuilder();
            return resp.handler(b -> {
              seen.append(b.toString());
              if (seen.indexOf("data:") >= 0) {
                event.complete(seen.toString());
              }
            });
          }));
      assertThat(event.get(20, TimeUnit.SECONDS)).contains("over tls");
    } finally {
      await(sse.close());
    }
  }

  @Test
  void theJavaClientProducesAndReadsOverTls() {
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap("https://localhost:" + broker.httpPort())
        .trustOptions(trustTheCa()));
    try {
      client.admin().createTopic("client", 1, -1, Map.of()).await().atMost(Duration.ofSeconds(30));
      client.producer(ProducerOptions.defaults().acks("all")).send(ProducerRecord.of("client", "k", "v"))
          .await().atMost(Duration.ofSeconds(30));
      List<ConsumerRecord> read = client.partitionReader(ReaderOptions.of("client", 0)
          .start(StartPosition.beginning())).records().select().first(1).collect().asList()
          .await().atMost(Duration.ofSeconds(30));
      assertThat(new String(read.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("v");
    } finally {
      client.close().await().atMost(Duration.ofSeconds(30));
    }
  }

  @Test
  void plainHttpToTheTlsPortGetsNoAnswer() {
    WebClient plain = TestClients.web(broker.httpPort());
    try {
      assertThat(failure(plain.get("/health").send())).as("a plain request to the TLS port").isNotNull();
    } finally {
      plain.close();
    }
  }

  @Test
  void aClientThatDoesNotTrustTheCaIsRefused() {
    WebClient untrusting = WebClient.create(TestClients.vertx(), new WebClientOptions().setDefaultHost("localhost")
        .setDefaultPort(broker.httpPort()).setSsl(true));
    try {
      assertThat(failure(untrusting.get("/health").send())).hasStackTraceContaining("SSLHandshakeException");
    } finally {
      untrusting.close();
    }
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap("https://localhost:" + broker.httpPort())
        .requestTimeoutMs(10_000));
    try {
      Throwable t = null;
      try {
        client.admin().listTopics().await().atMost(Duration.ofSeconds(30));
      } catch (RuntimeException e) {
        t = e;
      }
      assertThat(t).as("the Java client without the CA").isNotNull();
    } finally {
      client.close().await().atMost(Duration.ofSeconds(30));
    }
  }

  private static Throwable failure(Future<?> f) {
    try {
      f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static <T> T await(Future<T> future) {
    return io.sluice.broker.testing.TestFutures.await(future, 20);
  }
}
