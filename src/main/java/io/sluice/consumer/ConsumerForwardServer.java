package io.sluice.consumer;

import io.sluice.api.ConsumerService;
import io.sluice.broker.rpc.BrokerRpc;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;

/**
 * Serves the {@link ConsumerService} calls other brokers route here ({@link RoutingConsumerService}) against this
 * broker's {@link LocalConsumerService}, never routing them again: a group this broker does not coordinate fails
 * NOT_COORDINATOR and the sender looks the coordinator up again. Address {@code sluice.broker.<id>.consumer}.
 */
public final class ConsumerForwardServer {
  private final Vertx vertx;
  private final int brokerId;
  private final ConsumerService local;
  private MessageConsumer<?> consumer;

  public ConsumerForwardServer(Vertx vertx, int brokerId, ConsumerService local) {
    this.vertx = vertx;
    this.brokerId = brokerId;
    this.local = local;
  }

  /** The event-bus address of broker {@code brokerId}'s consumer endpoint (dotted: see ClusterAddresses). */
  public static String address(int brokerId) {
    return "sluice.broker." + brokerId + ".consumer";
  }

  public Future<Void> start() {
    return BrokerRpc.on(vertx).serve(address(brokerId), ConsumerService.class, local, Future::succeededFuture)
        .map(c -> {
          consumer = c;
          return null;
        });
  }

  public Future<Void> stop() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }
}
