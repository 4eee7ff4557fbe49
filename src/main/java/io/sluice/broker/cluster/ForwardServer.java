package io.sluice.broker.cluster;

import io.sluice.api.BrokerService;
import io.sluice.api.FetchResult;
import io.sluice.broker.replication.ClusterAddresses;
import io.sluice.broker.rpc.BrokerRpc;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;

/**
 * Serves the {@link BrokerService} calls other brokers forward here ({@link ForwardingBrokerService}) against this
 * broker's local service, never forwarding them again. A fetch's file region is read into memory on a worker before
 * the reply: only bytes cross between brokers.
 */
public final class ForwardServer {
  private final Vertx vertx;
  private final int brokerId;
  private final BrokerService local;
  private MessageConsumer<?> consumer;

  public ForwardServer(Vertx vertx, int brokerId, BrokerService local) {
    this.vertx = vertx;
    this.brokerId = brokerId;
    this.local = local;
  }

  public Future<Void> start() {
    return BrokerRpc.on(vertx).serve(ClusterAddresses.forward(brokerId), BrokerService.class, local, this::portable)
        .map(c -> {
          consumer = c;
          return null;
        });
  }

  private Future<Object> portable(Object result) {
    if (result instanceof FetchResult fetched && !fetched.batches().inMemory()) {
      return vertx.executeBlocking(fetched::inMemory, false);
    }
    return Future.succeededFuture(result);
  }

  public Future<Void> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }
}
