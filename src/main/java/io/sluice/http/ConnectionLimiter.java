package io.sluice.http;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts open HTTP connections against {@link HttpApiConfig#maxConnections()}. One limiter is shared by every
 * verticle instance of a Vert.x instance bound to the same host and port (they share the listening socket), so
 * the limit holds for the whole server, not per event loop. Thread-safe.
 */
final class ConnectionLimiter implements Shareable {
  private static final String MAP_NAME = "sluice.http.connection-limiters";
  private final int maxConnections;
  private final AtomicInteger open = new AtomicInteger();
  /** Verticle instances using this limiter; changed only inside the shared map's compute functions. */
  private int users;

  ConnectionLimiter(int maxConnections) {
    this.maxConnections = maxConnections;
  }

  /**
   * The limiter of {@code cfg}'s host and port in {@code vertx}, created by the first instance that acquires it
   * and dropped when the last one {@link #releaseShared releases} it (so a redeployment starts afresh).
   */
  static ConnectionLimiter acquireShared(Vertx vertx, HttpApiConfig cfg) {
    return limiters(vertx).compute(key(cfg), (k, existing) -> {
      ConnectionLimiter limiter = existing != null ? existing : new ConnectionLimiter(cfg.maxConnections());
      limiter.users++;
      return limiter;
    });
  }

  static void releaseShared(Vertx vertx, HttpApiConfig cfg) {
    limiters(vertx).computeIfPresent(key(cfg), (k, limiter) -> --limiter.users == 0 ? null : limiter);
  }

  private static LocalMap<String, ConnectionLimiter> limiters(Vertx vertx) {
    return vertx.sharedData().getLocalMap(MAP_NAME);
  }

  private static String key(HttpApiConfig cfg) {
    return cfg.host() + ":" + cfg.port();
  }

  /** Takes a slot; false (and nothing taken) when the limit is reached. */
  boolean tryAcquire() {
    while (true) {
      int current = open.get();
      if (current >= maxConnections) {
        return false;
      }
      if (open.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }

  void release() {
    open.decrementAndGet();
  }

  int openConnections() {
    return open.get();
  }
}
