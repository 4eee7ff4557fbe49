package io.sluice.client.impl;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * HTTP/1.1 connections held per broker and asked directly ({@link HttpClientConnection#request}), instead of
 * through Vert.x's pool, whose lease builds a new context, a pool waiter and several futures for every request
 * (docs/benchmarks.md, issue 16, twenty-first and twenty-second sessions: about a tenth of a fresh client's
 * allocation per record, and its compilations).
 *
 * <p>A request goes to an idle connection of its broker (the most recently used: the others can expire), else
 * opens one more, up to {@code maxPerBroker}, else waits (for at most the request timeout, as a pool lease does) for
 * one to come free. A connection carries one request at a time and is never given a request while one is on it, so
 * a request never waits behind another on a connection that then closes. A connection is dropped, never reused:
 * when it closes (a broker restart, its idle timeout); when an answer says {@code Connection: close} (the broker's
 * 413 for a body over {@code http.max.body.bytes}: the request after it must not go there, it would be cut when the
 * broker closes); when an exchange fails (a timeout, a half-read answer: the connection's state is unknown); and
 * when it has been idle for {@code idleMs} (the broker closes idle connections after its {@code http.idle.timeout.ms},
 * and a request sent as it does so is lost in flight). Used on the client's one context only.
 */
final class HeldConnections {
  private final Vertx vertx;
  private final HttpClientAgent http;
  private final int maxPerBroker;
  private final long timeoutMs;
  private final long idleMs;
  private final Handler<HttpConnection> onConnect;
  private final Map<URI, Broker> brokers = new HashMap<>();
  private boolean closed;

  /** One broker's connections: the idle ones (most recent last), every live one, and the requests waiting. */
  private static final class Broker {
    final ArrayDeque<Held> idle = new ArrayDeque<>(2);
    final Set<Held> live = new HashSet<>(4);
    final ArrayDeque<Waiter> waiting = new ArrayDeque<>(2);
    int opening;
  }

  private static final class Held {
    final HttpClientConnection connection;
    long idleSinceMs;
    boolean dropped;

    Held(HttpClientConnection connection) {
      this.connection = connection;
    }
  }

  private static final class Waiter {
    final Promise<Held> promise = Promise.promise();
    long timer = -1;
  }

  HeldConnections(Vertx vertx, HttpClientAgent http, int maxPerBroker, long timeoutMs, long idleMs,
      Handler<HttpConnection> onConnect) {
    this.vertx = vertx;
    this.http = http;
    this.maxPerBroker = Math.max(1, maxPerBroker);
    this.timeoutMs = timeoutMs;
    this.idleMs = idleMs;
    this.onConnect = onConnect;
  }

  /**
   * Runs {@code exchange} (one request and its whole answer) on one of {@code broker}'s connections, which is busy
   * until the exchange ends. The answer is {@link Transport.Response}: its headers say whether the broker closes.
   */
  Future<Transport.Response> with(URI broker, Function<HttpClientConnection, Future<Transport.Response>> exchange) {
    if (closed) {
      return Future.failedFuture(new IllegalStateException("The client is closed"));
    }
    Broker b = brokers.computeIfAbsent(broker, u -> new Broker());
    Held idle = takeIdle(b);
    if (idle != null) {
      // The common path: no future, no timer, no lambda beyond the one that gives the connection back.
      return exchange.apply(idle.connection).andThen(ar -> release(broker, b, idle, ar));
    }
    Waiter w = new Waiter();
    b.waiting.add(w);
    w.timer = vertx.setTimer(timeoutMs, id -> expire(b, w));
    dispatch(broker, b);
    return w.promise.future().compose(h -> exchange.apply(h.connection).andThen(ar -> release(broker, b, h, ar)));
  }

  /** The most recently used idle connection that has not been idle too long; the expired ones are closed. */
  private Held takeIdle(Broker b) {
    long now = System.currentTimeMillis();
    Held h;
    while ((h = b.idle.pollLast()) != null) {
      if (now - h.idleSinceMs < idleMs) {
        return h;
      }
      drop(b, h);
      h.connection.close();
    }
    return null;
  }

  private void release(URI broker, Broker b, Held h, AsyncResult<Transport.Response> ar) {
    if (h.dropped) {
      return; // closed while busy: the close already made room
    }
    if (ar.failed()) {
      drop(b, h);
      h.connection.close();
    } else if (closes(ar.result())) {
      drop(b, h); // the broker closes it once the answer is written; Vert.x closes its side at the answer's end
    } else {
      h.idleSinceMs = System.currentTimeMillis();
      b.idle.addLast(h);
    }
    dispatch(broker, b);
  }

  private static boolean closes(Transport.Response response) {
    String connection = response.headers().get(HttpHeaders.CONNECTION);
    return connection != null && HttpHeaders.CLOSE.toString().equalsIgnoreCase(connection.trim());
  }

  /** Gives idle connections to waiting requests, and opens connections for the waiting that none will serve. */
  private void dispatch(URI broker, Broker b) {
    while (!b.waiting.isEmpty()) {
      Held h = takeIdle(b);
      if (h == null) {
        break;
      }
      hand(b.waiting.poll(), h, b);
    }
    while (b.waiting.size() > b.opening && b.live.size() + b.opening < maxPerBroker) {
      open(broker, b);
    }
  }

  private void hand(Waiter w, Held h, Broker b) {
    vertx.cancelTimer(w.timer);
    if (!w.promise.tryComplete(h)) {
      b.idle.addLast(h);
    }
  }

  private void open(URI broker, Broker b) {
    b.opening++;
    HttpConnectOptions options = new HttpConnectOptions().setHost(broker.getHost()).setPort(broker.getPort())
        .setSsl("https".equals(broker.getScheme())).setConnectTimeout(timeoutMs);
    http.connect(options).onComplete(ar -> {
      b.opening--;
      if (closed) {
        if (ar.succeeded()) {
          ar.result().close();
        }
        return;
      }
      if (ar.failed()) {
        // The broker is not there: the request that waits longest learns it; the others keep waiting for theirs.
        Waiter w = b.waiting.poll();
        if (w != null) {
          vertx.cancelTimer(w.timer);
          w.promise.tryFail(ar.cause());
        }
      } else {
        Held h = new Held(ar.result());
        b.live.add(h);
        // The close handler's fluent answer is the connection Vert.x wraps, whose Netty pipeline the body gatherer
        // joins (HttpClientAgent.connect calls no connect handler, and its connection shows no channel).
        onConnect.handle(h.connection.closeHandler(v -> closedByPeer(broker, b, h)));
        h.idleSinceMs = System.currentTimeMillis();
        b.idle.addLast(h);
      }
      dispatch(broker, b);
    });
  }

  private void closedByPeer(URI broker, Broker b, Held h) {
    if (!h.dropped) {
      drop(b, h);
      if (!closed) {
        dispatch(broker, b);
      }
    }
  }

  private static void drop(Broker b, Held h) {
    h.dropped = true;
    b.live.remove(h);
    b.idle.remove(h);
  }

  private void expire(Broker b, Waiter w) {
    if (b.waiting.remove(w)) {
      w.promise.tryFail(new TimeoutException("no connection to the broker came free within " + timeoutMs + " ms"));
    }
  }

  /** Live connections to {@code broker} (open, not dropped); for tests. */
  int live(URI broker) {
    Broker b = brokers.get(broker);
    return b == null ? 0 : b.live.size();
  }

  /** Fails the waiting requests and closes every connection (the requests on them fail as cut). */
  Future<Void> close() {
    closed = true;
    List<Future<Void>> closing = new ArrayList<>();
    for (Broker b : brokers.values()) {
      for (Waiter w : b.waiting) {
        vertx.cancelTimer(w.timer);
        w.promise.tryFail(new IllegalStateException("The client is closed"));
      }
      b.waiting.clear();
      for (Held h : new ArrayList<>(b.live)) {
        drop(b, h);
        closing.add(h.connection.close());
      }
    }
    brokers.clear();
    return Future.join(closing).mapEmpty();
  }
}
