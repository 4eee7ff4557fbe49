package io.sluice.broker.spi;

import io.sluice.api.BrokerService;
import io.sluice.api.Services;
import io.sluice.config.BrokerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * A broker service: something a broker runs beside its partitions whether or not any listener exists (the group
 * coordinator now; streams, connectors, metrics and a dashboard later). {@code io.sluice.broker.Broker} starts its components in
 * order after the cluster role and before the listeners, and stops them in reverse after the listeners stopped.
 *
 * <p>To add one, write a {@link Factory} and add it to {@code Broker.COMPONENTS} (one line).
 */
public interface BrokerComponent {

  /** For logs: "group coordinator". */
  String name();

  Future<Void> start();

  /** Stops; the listeners are already stopped, so no client request arrives any more. */
  Future<Void> stop();

  /** Builds a component once the broker's services exist. */
  @FunctionalInterface
  interface Factory {
    BrokerComponent create(Context context);
  }

  /**
   * What a component is built from.
   *
   * @param vertx the broker's clustered Vert.x
   * @param config the broker's configuration
   * @param cluster the broker service for the broker's own calls: any partition, forwarded to its leader, no caller
   *     policy (pass {@code RequestContext.internal(brokerId)})
   * @param services what listeners get, behind the caller policy (for components that serve clients themselves)
   * @param meters where the component registers its meters (served at {@code GET /metrics})
   */
  record Context(Vertx vertx, BrokerConfig config, BrokerService cluster, Services services, MeterRegistry meters) {
  }
}
