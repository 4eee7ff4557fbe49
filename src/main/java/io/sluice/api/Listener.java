package io.sluice.api;

import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * A front end: one protocol on one socket (the HTTP API now; a Kafka wire-protocol listener later), translating its
 * requests into calls on the contract's services. The broker starts its listeners after its broker services and
 * stops them first, and registers every listener's {@link Endpoint} in ZooKeeper, so a client of one protocol can
 * find the others. A listener names itself in the {@link RequestContext} of every call it makes.
 *
 * <p>A listener depends on this package only ({@code LayeringTest} holds front ends to it).
 */
public interface Listener {

  /** Its name: unique in the broker, as {@link RequestContext#listener()} and the registration show it. */
  String name();

  /** Starts serving with {@code services} on {@code vertx}; completes with where it listens. */
  Future<Endpoint> start(Vertx vertx, Services services);

  /** Stops accepting, lets requests in flight finish (within a grace the listener chooses), then completes. */
  Future<Void> stop();

  /**
   * Where a listener can be reached.
   *
   * @param listener the listener's {@link #name()}
   * @param protocol what it speaks ({@code http}, later {@code kafka})
   * @param host the host clients should use (never a wildcard address)
   * @param port the bound port
   */
  record Endpoint(String listener, String protocol, String host, int port) implements java.io.Serializable {
  }
}
