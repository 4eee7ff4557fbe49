package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.broker.testing.TestCertificates.Authority;
import io.sluice.broker.testing.TestCertificates.Issued;
import io.sluice.client.ClientOptions;
import io.sluice.errors.ErrorCode;
import io.sluice.errors.SluiceException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client's requests on held connections ({@link HeldConnections} through {@link Transport}): what happens when
 * the server closes one (a restart, its idle timeout, an answer with {@code Connection: close}), when more requests
 * come than connections, when an answer never comes, over TLS, and at the client's close. The server is a plain
 * Vert.x one, so each case is made exactly; the broker's own cases run in the client's tests against a broker.
 */
class HeldConnectionsTest {
  private static final long WAIT_S = 30;
  private final Vertx vertx = Vertx.vertx();
  private final Context context = ((VertxInternal) vertx).createEventLoopContext();
  /** The connections the server saw. */
  private final Set<HttpConnection> serverConnections = ConcurrentHashMap.newKeySet();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(WAIT_S, TimeUnit.SECONDS);
  }

  @Test
  void theRequestAfterAnAnswerThatSaysConnectionCloseGoesOnANewConnection() throws Exception {
    // The broker's 413 for a body over http.max.body.bytes says Connection: close, and the producer sends the split
    // batches from that answer's completion: on the same connection they were cut as the server closed it.
    HttpServer server = server(new HttpServerOptions(), req -> {
      if (req.path().equals("/refused")) {
        req.response().setStatusCode(413).putHeader("Connection", "close")
            .end("{\"error_code\":10001,\"message\":\"too large\"}");
      } else {
        req.response().end("{}");
      }
    });
    Transport transport = new Transport(vertx, context, 10_000, 1);
    URI broker = uri("http", server);

    Future<Transport.Response> next = onContext(() -> transport.send(HttpMethod.POST, broker, "/refused", null, null,
        Buffer.buffer("x")).transform(refused -> transport.send(HttpMethod.GET, broker, "/next", null, null, null)));

    assertThat(next.await(WAIT_S, TimeUnit.SECONDS).status()).isEqualTo(200);
    assertThat(serverConnections).hasSize(2);
  }

  @Test
  void aConnectionTheServerClosesOnItsIdleTimeoutIsForgottenAndTheNextRequestOpensAnother() throws Exception {
    HttpServer server = server(new HttpServerOptions().setIdleTimeout(100).setIdleTimeoutUnit(TimeUnit.MILLISECONDS),
        req -> req.response().end("{}"));
    Transport transport = new Transport(vertx, context, 10_000, 4);
    URI broker = uri("http", server);
    assertThat(onContext(() -> get(transport, broker)).await(WAIT_S, TimeUnit.SECONDS).status()).isEqualTo(200);

    awaitLive(transport, broker, 0);
    assertThat(onContext(() -> get(transport, broker)).await(WAIT_S, TimeUnit.SECONDS).status()).isEqualTo(200);
    assertThat(serverConnections).hasSize(2);
  }

  @Test
  void aServerRestartedOnTheSamePortIsReachedAgain() throws Exception {
    HttpServer first = server(new HttpServerOptions(), req -> req.response().end("{}"));
    int port = first.actualPort();
    Transport transport = new Transport(vertx, context, 10_000, 4);
    URI broker = URI.create("http://127.0.0.1:" + port);
    assertThat(onContext(() -> get(transport, broker)).await(WAIT_S, TimeUnit.SECONDS).status()).isEqualTo(200);

    first.close().await(WAIT_S, TimeUnit.SECONDS);
    awaitLive(transport, broker, 0);
    Future<Transport.Response> whileDown = onContext(() -> get(transport, broker));
    assertThatThrownBy(() -> whileDown.await(WAIT_S, TimeUnit.SECONDS)).isInstanceOfSatisfying(SluiceException.class,
        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.NETWORK_EXCEPTION));
    vertx.createHttpServer().requestHandler(req -> req.response().end("{\"again\":true}"))
        .listen(port, "127.0.0.1").await(WAIT_S, TimeUnit.SECONDS);

    Transport.Response again = onContext(() -> get(transport, broker)).await(WAIT_S, TimeUnit.SECONDS);
    assertThat(again.json().getBoolean("again")).isTrue();
  }

  @Test
  void moreRequestsThanConnectionsWaitForOneToComeFreeAndAllAreAnswered() throws Exception {
    BlockingQueue<HttpServerRequest> requests = new LinkedBlockingQueue<>();
    Transport transport = new Transport(vertx, context, 30_000, 2);
    URI broker = queueing(requests);

    List<Future<Transport.Response>> answers = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      int n = i;
      answers.add(onContext(() -> transport.send(HttpMethod.GET, broker, "/" + n, null, null, null)));
    }
    // Answered one at a time: each answer frees a connection for the next waiting request.
    List<String> served = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      HttpServerRequest req = requests.poll(WAIT_S, TimeUnit.SECONDS);
      assertThat(req).as("request %d reached the server", i).isNotNull();
      served.add(req.path());
      req.response().end("{\"path\":\"" + req.path() + "\"}");
    }

    for (int i = 0; i < 7; i++) {
      assertThat(answers.get(i).await(WAIT_S, TimeUnit.SECONDS).json().getString("path")).isEqualTo("/" + i);
    }
    assertThat(served).containsExactlyInAnyOrder("/0", "/1", "/2", "/3", "/4", "/5", "/6");
    assertThat(serverConnections).hasSize(2);
  }

  @Test
  void aRequestWithoutAnAnswerTimesOutAndItsConnectionIsNotUsedAgain() throws Exception {
    HttpServer server = server(new HttpServerOptions(), req -> {
      if (!req.path().equals("/never")) {
        req.response().end("{}");
      }
    });
    Transport transport = new Transport(vertx, context, 300, 1);
    URI broker = uri("http", server);

    Future<Transport.Response> never = onContext(() -> transport.send(HttpMethod.GET, broker, "/never", null, null,
        null));
    assertThatThrownBy(() -> never.await(WAIT_S, TimeUnit.SECONDS)).isInstanceOfSatisfying(SluiceException.class,
        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.REQUEST_TIMED_OUT));

    assertThat(onContext(() -> get(transport, broker)).await(WAIT_S, TimeUnit.SECONDS).status()).isEqualTo(200);
    assertThat(serverConnections).hasSize(2);
  }

  @Test
  void requestsGoOverTlsAndTheirBodiesAreGathered() throws Exception {
    Authority ca = Authority.create("held-ca");
    Issued cert = ca.issue("CN=localhost");
    byte[] payload = new byte[200_000];
    new java.util.Random(3).nextBytes(payload);
    HttpServer server = server(new HttpServerOptions().setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
        .addKeyValue(Buffer.buffer(cert.keyPem())).addCertValue(Buffer.buffer(cert.chainPem()))),
        req -> req.response().end(Buffer.buffer(payload)));
    ClientOptions options = ClientOptions.bootstrap("https://localhost:" + server.actualPort())
        .trustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(ca.certificatePem())));
    Transport transport = new Transport(vertx, context, 10_000, 4, ClientOptions.DEFAULT_CONNECTIONS_MAX_IDLE_MS,
        Transport.tls(options), null, null);
    URI broker = options.bootstrapUrls().get(0);

    long gathering = Transport.GATHERING_CONNECTIONS.sum();
    Transport.Response r = onContext(() -> get(transport, broker)).await(WAIT_S, TimeUnit.SECONDS);

    byte[] read = new byte[r.length()];
    r.bytes().get(read);
    assertThat(read).isEqualTo(payload);
    assertThat(Transport.GATHERING_CONNECTIONS.sum()).isGreaterThan(gathering);
  }

  @Test
  void closingFailsTheRequestsInFlightAndLaterOnesAndClosesTheConnections() throws Exception {
    BlockingQueue<HttpServerRequest> requests = new LinkedBlockingQueue<>();
    Transport transport = new Transport(vertx, context, 30_000, 1);
    URI broker = queueing(requests);
    Future<Transport.Response> inFlight = onContext(() -> get(transport, broker));
    Future<Transport.Response> waiting = onContext(() -> get(transport, broker));
    assertThat(requests.poll(WAIT_S, TimeUnit.SECONDS)).isNotNull();
    CompletableFuture<Void> serverSawClose = new CompletableFuture<>();
    serverConnections.forEach(c -> c.closeHandler(v -> serverSawClose.complete(null)));

    onContext(transport::close).await(WAIT_S, TimeUnit.SECONDS);

    assertThatThrownBy(() -> inFlight.await(WAIT_S, TimeUnit.SECONDS)).isInstanceOf(SluiceException.class);
    assertThatThrownBy(() -> waiting.await(WAIT_S, TimeUnit.SECONDS)).isInstanceOf(SluiceException.class);
    Future<Transport.Response> after = onContext(() -> get(transport, broker));
    assertThatThrownBy(() -> after.await(WAIT_S, TimeUnit.SECONDS)).isInstanceOf(SluiceException.class)
        .hasMessageContaining("closed");
    serverSawClose.get(WAIT_S, TimeUnit.SECONDS);
  }

  private HttpServer server(HttpServerOptions options, io.vertx.core.Handler<HttpServerRequest> handler)
      throws Exception {
    return vertx.createHttpServer(options)
        .connectionHandler(serverConnections::add)
        .requestHandler(handler)
        .listen(0, "127.0.0.1").await(WAIT_S, TimeUnit.SECONDS);
  }

  /** A server that answers nothing by itself: its requests go to {@code requests}, for the test to answer. */
  private URI queueing(BlockingQueue<HttpServerRequest> requests) throws Exception {
    return uri("http", server(new HttpServerOptions(), requests::add));
  }

  private static URI uri(String scheme, HttpServer server) {
    return URI.create(scheme + "://127.0.0.1:" + server.actualPort());
  }

  private static Future<Transport.Response> get(Transport transport, URI broker) {
    return transport.send(HttpMethod.GET, broker, "/", null, null, null);
  }

  /** Runs {@code action} on the client's context, as the client does. */
  private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> action) {
    Promise<T> done = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(done));
    return done.future();
  }

  /** Waits (polling on the client's context) until the transport holds {@code n} live connections to the broker. */
  private void awaitLive(Transport transport, URI broker, int n) throws Exception {
    Awaitility.await("live connections to " + broker + " reach " + n).atMost(Duration.ofSeconds(WAIT_S))
        .until(() -> onContext(() -> Future.succeededFuture(transport.live(broker)))
            .await(WAIT_S, TimeUnit.SECONDS) == n);
  }
}
