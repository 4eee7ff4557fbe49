package io.sluice.broker.cluster;

import io.sluice.config.ListenerTls;
import io.sluice.config.SslConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import java.lang.reflect.Field;

/**
 * Rotates the clustered event bus's TLS with the inter-broker listener's stores. Vert.x 5 builds the event bus's
 * server and client from {@link io.vertx.core.eventbus.EventBusOptions} once and offers no call to update them, but
 * both are a {@link NetServer} and a {@link NetClient}, which take {@code updateSSLOptions}: they are read from the
 * event bus's private fields {@code server} and {@code client} (Vert.x 5.0's {@code ClusteredEventBus}). Their options
 * are derived from the event bus's as Vert.x derives them (a client without host name verification; the CA admits a
 * peer), so only the stores change.
 */
public final class EventBusTls {
  private final NetServer server;
  private final NetClient client;
  private final EventBusOptions options;

  private EventBusTls(NetServer server, NetClient client, EventBusOptions options) {
    this.server = server;
    this.client = client;
    this.options = options;
  }

  /**
   * Follows {@code tls} on {@code vertx}'s event bus, built from {@code options}; fails at once (rather than at the
   * first rotation) when this Vert.x keeps its event bus otherwise.
   */
  public static Runnable follow(Vertx vertx, EventBusOptions options, ListenerTls tls) {
    EventBus bus = vertx.eventBus();
    EventBusTls rotating = new EventBusTls(field(bus, "server", NetServer.class), field(bus, "client",
        NetClient.class), new EventBusOptions(options));
    return tls.follow(rotating::rotate);
  }

  private Future<?> rotate(SslConfig next) {
    EventBusOptions bus = next.apply(new EventBusOptions(options)).setClientAuth(ClientAuth.REQUIRED);
    NetServerOptions serverOptions = new NetServerOptions(bus.toJson());
    NetClientOptions clientOptions = new NetClientOptions(bus.toJson()).setHostnameVerificationAlgorithm("");
    return Future.all(server.updateSSLOptions(serverOptions.getSslOptions(), true),
        client.updateSSLOptions(clientOptions.getSslOptions(), true));
  }

  private static <T> T field(Object owner, String name, Class<T> type) {
    for (Class<?> c = owner.getClass(); c != null; c = c.getSuperclass()) {
      try {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return type.cast(f.get(owner));
      } catch (NoSuchFieldException e) {
        // on to the superclass
      } catch (IllegalAccessException | ClassCastException e) {
        break;
      }
    }
    throw new IllegalStateException("This Vert.x's event bus (" + owner.getClass().getName() + ") has no " + name
        + " field of type " + type.getSimpleName() + ": its TLS cannot be rotated");
  }
}
