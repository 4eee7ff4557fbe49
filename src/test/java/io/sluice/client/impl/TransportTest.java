package io.sluice.client.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.VertxInternal;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TransportTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void requestsFromAnyThreadAreMadeAndAnsweredOnTheClientsOneContext() throws Exception {
    // The server answers only when the test says so, after it listened for the answer: an answer already there
    // would be handed to the listener on the test's own thread.
    BlockingQueue<HttpServerRequest> requests = new LinkedBlockingQueue<>();
    HttpServer server = vertx.createHttpServer().requestHandler(requests::add)
        .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    Context context = ((VertxInternal) vertx).createEventLoopContext();
    Thread contextThread = onContext(context);
    Transport transport = new Transport(vertx, context, 10_000, 4);
    URI broker = URI.create("http://127.0.0.1:" + server.actualPort());

    // From a foreign thread each request would otherwise get a new context, in turn on every event loop.
    List<Thread> answeredOn = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Thread[] thread = new Thread[1];
      Future<Transport.Response> answer = transport.send(HttpMethod.GET, broker, "/", null, null, null)
          .onComplete(ar -> thread[0] = Thread.currentThread());
      requests.poll(10, TimeUnit.SECONDS).response().end("{}");
      answer.await(10, TimeUnit.SECONDS);
      answeredOn.add(thread[0]);
    }

    assertThat(answeredOn).containsOnly(contextThread);
  }

  @Test
  void bodiesWithAndWithoutContentLengthArriveWholeAndExact() throws Exception {
    byte[] payload = new byte[3 * 1024 * 1024 + 17];
    new java.util.Random(7).nextBytes(payload);
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      var resp = req.response();
      boolean chunked = req.path().equals("/chunked");
      if (chunked) {
        resp.setChunked(true);
      } else {
        resp.putHeader("Content-Length", String.valueOf(payload.length));
      }
      // Several writes, so the client sees the body in many pieces either way.
      for (int from = 0; from < payload.length; from += 100_000) {
        resp.write(io.vertx.core.buffer.Buffer.buffer(java.util.Arrays.copyOfRange(payload, from,
            Math.min(payload.length, from + 100_000))));
      }
      resp.end();
    }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    Context context = ((VertxInternal) vertx).createEventLoopContext();
    Transport transport = new Transport(vertx, context, 10_000, 4);
    URI broker = URI.create("http://127.0.0.1:" + server.actualPort());

    long gathering = Transport.GATHERING_CONNECTIONS.sum();
    for (String path : List.of("/sized", "/chunked")) {
      Transport.Response r = transport.send(HttpMethod.GET, broker, path, null, null, null)
          .await(10, TimeUnit.SECONDS);
      java.nio.ByteBuffer view = r.bytes();
      byte[] read = new byte[view.remaining()];
      view.get(read);
      assertThat(read).as(path).isEqualTo(payload);
      assertThat(r.body().length()).as(path).isEqualTo(payload.length);
    }
    // The sized body took BodyGatherer's path (one copy), not Vert.x's own (a copy per 8 KiB chunk, then another).
    assertThat(Transport.GATHERING_CONNECTIONS.sum()).isGreaterThan(gathering);
  }

  @Test
  void requestsOfOneKindShareTheirOptionsAndEachCarriesItsOwnHeaders() throws Exception {
    BlockingQueue<HttpServerRequest> requests = new LinkedBlockingQueue<>();
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      requests.add(req);
      req.response().end("{}");
    }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    Context context = ((VertxInternal) vertx).createEventLoopContext();
    Transport transport = new Transport(vertx, context, 10_000, 4, 50_000, new io.vertx.core.http.HttpClientOptions(),
        "me", "Basic bWU6cHc=");
    URI broker = URI.create("http://127.0.0.1:" + server.actualPort());

    for (int i = 0; i < 5; i++) {
      transport.send(HttpMethod.POST, broker, "/fetch", "application/json", "application/x", null)
          .await(10, TimeUnit.SECONDS);
    }
    transport.send(HttpMethod.POST, broker, "/fetch", "application/json", null, null).await(10, TimeUnit.SECONDS);
    transport.send(HttpMethod.GET, broker, "/topics", null, null, null).await(10, TimeUnit.SECONDS);

    // Five requests of one kind built its options once; each other kind built its own.
    assertThat(transport.requestOptions().built()).isEqualTo(3);
    List<HttpServerRequest> seen = new ArrayList<>();
    requests.drainTo(seen);
    assertThat(seen).hasSize(7);
    assertThat(seen.subList(0, 5)).allSatisfy(r -> {
      assertThat(r.getHeader("Accept")).isEqualTo("application/x");
      assertThat(r.getHeader("Content-Type")).isEqualTo("application/json");
      assertThat(r.getHeader(Transport.CLIENT_ID_HEADER)).isEqualTo("me");
      assertThat(r.getHeader("Authorization")).isEqualTo("Basic bWU6cHc=");
    });
    assertThat(seen.get(5).getHeader("Accept")).isNull();
    assertThat(seen.get(6).method()).isEqualTo(HttpMethod.GET);
    assertThat(seen.get(6).getHeader("Content-Type")).isNull();
    assertThat(seen.get(6).getHeader(Transport.CLIENT_ID_HEADER)).isEqualTo("me");
  }

  private static Thread onContext(Context context) throws Exception {
    io.vertx.core.Promise<Thread> thread = io.vertx.core.Promise.promise();
    context.runOnContext(v -> thread.complete(Thread.currentThread()));
    return thread.future().await(10, TimeUnit.SECONDS);
  }
}
