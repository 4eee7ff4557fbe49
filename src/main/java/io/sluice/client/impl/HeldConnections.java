package io.sluice.client.impl;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpConnection;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Connections held per broker, asked directly ({@link HttpClientConnection#request}) instead of through Vert.x's pool,
 * whose per-request lease builds a context, a pool key and several futures. Up to {@code maxPerBroker} connections per
 * broker; a request goes to an idle one, else opens one more, else queues on the least busy (Vert.x queues it on the
 * connection: HTTP/1.1 sends one request at a time). A connection that closes (the broker's idle timeout, a restart)
 * or fails to open is forgotten, so the next request opens a new one. Used on the client's one context only.
 */
final class HeldConnections {
  private final HttpClientAgent http;
  private final int maxPerBroker;
  private final long connectTimeoutMs;
  private final Handler<HttpConnection> onConnect;
  private final Map<URI, List<Held>> byBroker = new HashMap<>();

  private static final class Held {
    final Future<HttpClientConnection> connection;
    int inFlight;

    Held(Future<HttpClientConnection> connection) {
      this.connection = connection;
    }
  }

  HeldConnections(HttpClientAgent http, int maxPerBroker, long connectTimeoutMs, Handler<HttpConnection> onConnect) {
    this.http = http;
    this.maxPerBroker = Math.max(1, maxPerBroker);
    this.connectTimeoutMs = connectTimeoutMs;
    this.onConnect = onConnect;
  }

  /** Runs {@code exchange} on one of {@code broker}'s connections; the connection counts as busy until it ends. */
  <T> Future<T> with(URI broker, Function<HttpClientConnection, Future<T>> exchange) {
    List<Held> held = byBroker.computeIfAbsent(broker, b -> new ArrayList<>(2));
    Held chosen = choose(broker, held);
    chosen.inFlight++;
    return chosen.connection.compose(exchange).andThen(ar -> chosen.inFlight--);
  }

  private Held choose(URI broker, List<Held> held) {
    Held least = null;
    for (int i = 0; i < held.size(); i++) {
      Held h = held.get(i);
      if (h.inFlight == 0) {
        return h;
      }
      if (least == null || h.inFlight < least.inFlight) {
        least = h;
      }
    }
    return held.size() < maxPerBroker ? open(broker, held) : least;
  }

  private Held open(URI broker, List<Held> held) {
    boolean tls = "https".equals(broker.getScheme());
    HttpConnectOptions options = new HttpConnectOptions().setHost(broker.getHost()).setPort(broker.getPort())
        .setSsl(tls).setConnectTimeout(connectTimeoutMs);
    Held h = new Held(http.connect(options));
    held.add(h);
    h.connection.onComplete(ar -> {
      if (ar.failed()) {
        held.remove(h);
        return;
      }
      ar.result().closeHandler(v -> held.remove(h));
      onConnect.handle(ar.result());
    });
    return h;
  }

  /** Closes every held connection. */
  Future<Void> close() {
    List<Future<Void>> closing = new ArrayList<>();
    for (List<Held> held : byBroker.values()) {
      for (Held h : held) {
        closing.add(h.connection.compose(HttpClientConnection::close, e -> Future.succeededFuture()));
      }
    }
    byBroker.clear();
    return Future.join(closing).mapEmpty();
  }
}
