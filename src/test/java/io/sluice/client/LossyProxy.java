package io.sluice.client;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * An HTTP proxy between a client and a broker that can "lose a response": it forwards a matching request, lets the
 * broker apply it, then closes the client's connection instead of answering. Also remembers every request line, and
 * can be pointed at a restarted broker's new port, and can pass itself off as the broker (the broker then builds
 * URLs such as a consumer's {@code base_uri} with the proxy's address). Loopback only, OS-chosen port.
 */
final class LossyProxy implements AutoCloseable {
  private final Vertx vertx;
  private final HttpServer server;
  private final HttpClient upstream;
  private volatile int brokerPort;
  private volatile Predicate<HttpServerRequest> dropResponse = r -> false;
  private volatile boolean asBroker;
  private final AtomicInteger remainingDrops = new AtomicInteger();
  private volatile Predicate<HttpServerRequest> refuse = r -> false;
  private volatile String refusal = "";
  private final AtomicInteger remainingRefusals = new AtomicInteger();
  final AtomicInteger dropped = new AtomicInteger();
  private volatile Predicate<HttpServerRequest> hold = r -> false;
  private final Promise<Void> released = Promise.promise();
  final List<String> requests = new CopyOnWriteArrayList<>();

  LossyProxy(Vertx vertx, int brokerPort) throws Exception {
    this.vertx = vertx;
    this.brokerPort = brokerPort;
    this.upstream = vertx.createHttpClient();
    this.server = vertx.createHttpServer().requestHandler(this::forward).listen(0, "127.0.0.1")
        .await(10, TimeUnit.SECONDS);
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  void brokerPort(int port) {
    this.brokerPort = port;
  }

  /** Makes the broker see the proxy's address as the one it was reached at (the request's authority). */
  LossyProxy asBroker() {
    asBroker = true;
    return this;
  }

  /** Drops the responses to the next {@code count} requests that match. */
  void dropResponses(Predicate<HttpServerRequest> which, int count) {
    dropResponse = which;
    remainingDrops.set(count);
  }

  /**
   * Answers the next {@code count} matching requests with 503 and {@code errorBody} without forwarding them, as a
   * broker does for a partition that has no leader yet.
   */
  void refuse(Predicate<HttpServerRequest> which, int count, String errorBody) {
    refusal = errorBody;
    refuse = which;
    remainingRefusals.set(count);
  }

  /**
   * Forwards the next request that matches at once but holds the broker's answer until {@link #release()}, as a slow
   * network does: the client sees that request in flight for as long as the test wants.
   */
  void holdResponse(Predicate<HttpServerRequest> which) {
    AtomicInteger remaining = new AtomicInteger(1);
    hold = r -> which.test(r) && remaining.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
  }

  void release() {
    released.tryComplete();
  }

  long count(String prefix) {
    return requests.stream().filter(r -> r.startsWith(prefix)).count();
  }

  private void forward(HttpServerRequest req) {
    requests.add(req.method() + " " + req.uri());
    if (refuse.test(req) && remainingRefusals.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      req.response().setStatusCode(503).putHeader("Content-Type", "application/json").end(refusal);
      return;
    }
    boolean drop = dropResponse.test(req) && remainingDrops.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    Future<Void> gate = hold.test(req) ? released.future() : Future.succeededFuture();
    RequestOptions options = new RequestOptions().setMethod(req.method()).setHost("127.0.0.1").setPort(brokerPort)
        .setURI(req.uri()).setHeaders(req.headers().copy().remove("Host"));
    req.body()
        .compose(body -> upstream.request(options).compose(up -> {
          if (asBroker) {
            up.authority(HostAndPort.create("127.0.0.1", server.actualPort()));
          }
          return up.send(body);
        }))
        .compose(resp -> resp.body().compose(b -> gate.compose(v -> {
          if (drop) {
            dropped.incrementAndGet();
            req.connection().close(); // the broker applied it; the client never hears
            return Future.succeededFuture();
          }
          req.response().setStatusCode(resp.statusCode()).headers().addAll(resp.headers());
          return req.response().end(b);
        })))
        .onFailure(t -> req.connection().close());
  }

  @Override
  public void close() throws Exception {
    Future.join(server.close(), upstream.close()).await(10, TimeUnit.SECONDS);
  }
}
