package io.sluice.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.api.Acks;
import io.sluice.api.DelegatingBrokerService;
import io.sluice.api.ProduceResult;
import io.sluice.api.RequestContext;
import io.sluice.api.TopicPartition;
import io.sluice.broker.testing.TestCertificates;
import io.sluice.broker.testing.TestCertificates.Authority;
import io.sluice.broker.testing.TestCertificates.Issued;
import io.sluice.broker.testing.TestClients;
import io.sluice.config.BrokerConfig;
import io.sluice.config.SslConfig;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.security.auth.x500.X500Principal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ssl.client.auth}: a caller's certificate becomes its principal ({@code User:} and the subject DN, Kafka's
 * default mapping) on the {@link RequestContext} the broker service gets, over HTTP and WebSocket; a caller without
 * one is refused in the handshake when one is required, and is anonymous when one is only requested.
 */
class ClientCertificatesTest {
  @TempDir
  static Path dir;
  static Authority ca;
  static Issued server;
  static Issued writer;

  private Vertx vertx;
  private final List<RequestContext> callers = new CopyOnWriteArrayList<>();
  private int port;

  @BeforeAll
  static void certificates() {
    ca = Authority.create("clients-ca");
    server = ca.issue("CN=localhost");
    writer = ca.issue("CN=writer,OU=Payments,O=Sluice");
  }

  @AfterEach
  void stop() {
    if (vertx != null) {
      await(vertx.close());
    }
  }

  /** A TLS listener asking for client certificates as {@code clientAuth} says, over a broker noting every caller. */
  private void start(String clientAuth) {
    BrokerConfig config = BrokerConfig.of(Map.of(BrokerConfig.LOG_DIRS, dir.resolve("data").toString(),
        SslConfig.HTTP_SSL_ENABLE, true, SslConfig.KEYSTORE_TYPE, "PEM",
        SslConfig.KEYSTORE_LOCATION, server.keyStore(dir.resolve("server.pem"), "PEM", "", "").toString(),
        SslConfig.TRUSTSTORE_TYPE, "PEM",
        SslConfig.TRUSTSTORE_LOCATION, ca.trustStore(dir.resolve("ca.pem"), "PEM", "").toString(),
        SslConfig.CLIENT_AUTH, clientAuth));
    vertx = Vertx.vertx();
    InMemoryBroker broker = new InMemoryBroker(vertx, null);
    DelegatingBrokerService noting = new DelegatingBrokerService(broker) {
      @Override
      public Future<ProduceResult> produce(RequestContext caller, TopicPartition tp, ByteBuffer batches, Acks acks) {
        callers.add(caller);
        return super.produce(caller, tp, batches, acks);
      }
    };
    HttpServerVerticle verticle = new HttpServerVerticle(noting, HttpApiConfig.defaults("127.0.0.1", 0), () -> true,
        null, new SessionCounts(), List.of(), ExtensionStarts.NONE, config.ssl());
    await(vertx.deployVerticle(verticle, new DeploymentOptions()));
    port = verticle.actualPort();
  }

  private WebClientOptions tls(boolean withCertificate) {
    WebClientOptions options = new WebClientOptions().setDefaultHost("localhost").setDefaultPort(port).setSsl(true)
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(ca.certificatePem())));
    if (withCertificate) {
      options.setKeyCertOptions(new PemKeyCertOptions().setKeyValue(Buffer.buffer(writer.keyPem()))
          .setCertValue(Buffer.buffer(writer.chainPem())));
    }
    return options;
  }

  private Future<HttpResponse<Buffer>> produce(boolean withCertificate) {
    WebClient client = WebClient.create(TestClients.vertx(), tls(withCertificate));
    return client.post("/topics/t/partitions/0").putHeader("Content-Type", MediaTypes.KAFKA_JSON_V2)
        .sendJsonObject(new JsonObject().put("records", new io.vertx.core.json.JsonArray()
            .add(new JsonObject().put("value", "v"))))
        .eventually(() -> { client.close(); return Future.succeededFuture(); });
  }

  @Test
  void theCertificatesSubjectIsThePrincipal() {
    start("required");
    HttpResponse<Buffer> r = await(produce(true));
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(callers).singleElement().satisfies(c -> {
      assertThat(c.principal().toString()).isEqualTo("User:CN=writer,OU=Payments,O=Sluice");
      assertThat(c.listener()).isEqualTo("http");
    });
  }

  @Test
  void aCallerWithoutACertificateNeverReachesAnEndpointWhenOneIsRequired() {
    start("required");
    Throwable failed = catchFailure(produce(false));
    assertThat(failed).as("the request without a client certificate").isNotNull();
    assertThat(callers).isEmpty();
  }

  @Test
  void aCallerWithoutACertificateIsAnonymousWhenOneIsOnlyRequested() {
    start("requested");
    assertThat(await(produce(false)).statusCode()).isEqualTo(200);
    assertThat(await(produce(true)).statusCode()).isEqualTo(200);
    assertThat(callers).extracting(c -> c.principal().toString())
        .containsExactly("User:ANONYMOUS", "User:CN=writer,OU=Payments,O=Sluice");
  }

  @Test
  void aWebSocketCallerCarriesItsCertificatesPrincipal() {
    start("required");
    WebSocketClient ws = TestClients.vertx().createWebSocketClient(new WebSocketClientOptions().setSsl(true)
        .setTrustOptions(tls(true).getTrustOptions()).setKeyCertOptions(tls(true).getKeyCertOptions()));
    try {
      WebSocket socket = await(ws.connect(new WebSocketConnectOptions().setHost("localhost").setPort(port)
          .setSsl(true).setURI("/ws/produce?topic=t")));
      java.util.concurrent.CompletableFuture<String> answer = new java.util.concurrent.CompletableFuture<>();
      socket.textMessageHandler(answer::complete);
      await(socket.writeTextMessage("{\"records\": [{\"value\": 1, \"partition\": 0}]}"));
      assertThat(answer.get(20, TimeUnit.SECONDS)).contains("offsets");
      assertThat(callers).singleElement().satisfies(c -> assertThat(c.principal().toString())
          .isEqualTo("User:CN=writer,OU=Payments,O=Sluice"));
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      await(ws.close());
    }
  }

  /** Kafka's default mapping: the subject's RFC 2253 form, whatever spacing the certificate was made with. */
  @Test
  void theSubjectMapsAsKafkasDefaultRule() {
    assertThat(CertificatePrincipals.of(new X500Principal("CN=writer, OU=Payments, O=Sluice, C=NL")).toString())
        .isEqualTo("User:CN=writer,OU=Payments,O=Sluice,C=NL");
    assertThat(CertificatePrincipals.of((javax.net.ssl.SSLSession) null).toString()).isEqualTo("User:ANONYMOUS");
  }

  private static Throwable catchFailure(Future<?> f) {
    try {
      f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
      return null;
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static <T> T await(Future<T> future) {
    return io.sluice.broker.testing.TestFutures.await(future, 20);
  }
}
