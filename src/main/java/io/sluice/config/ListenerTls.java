package io.sluice.config;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * One TLS listener's stores as they are now, and the servers and clients that serve them: a rotation swaps the
 * {@link SslConfig} and tells each of them (Vert.x's {@code updateSSLOptions}), so new connections present the new
 * certificate and trust the new trust store while open connections keep the session they negotiated.
 */
public final class ListenerTls {
  private final String name;
  private volatile SslConfig current;
  private final List<Function<SslConfig, Future<?>>> followers = new CopyOnWriteArrayList<>();

  ListenerTls(String name, SslConfig initial) {
    this.name = name;
    this.current = initial;
  }

  public String name() {
    return name;
  }

  /** The stores to build a server or client with. */
  public SslConfig current() {
    return current;
  }

  /**
   * {@code update} is called with every rotated {@link SslConfig} from now on; the returned action stops that. Follow
   * before reading {@link #current()} to build with, so no rotation falls between the two.
   */
  public Runnable follow(Function<SslConfig, Future<?>> update) {
    followers.add(update);
    return () -> followers.remove(update);
  }

  /** Makes {@code next} current and updates every follower; fails if one of them failed (the others updated). */
  public Future<Void> rotate(SslConfig next) {
    current = next;
    List<Future<?>> updates = new ArrayList<>();
    for (Function<SslConfig, Future<?>> f : followers) {
      try {
        updates.add(f.apply(next));
      } catch (RuntimeException e) {
        updates.add(Future.failedFuture(e));
      }
    }
    return Future.all(updates).mapEmpty();
  }
}
