package io.sluice.client;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.http.HttpListener;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * One broker with the HTTP API, a {@link LossyProxy} in front of it on a Vert.x of its own, and a Java client that
 * reaches the broker only through the proxy (leaders not followed: the client may not go around the proxy to the
 * address the broker advertises): for the client's tests of lost and refused answers and of broker restarts, whose
 * start, restart and close each wrote out.
 */
final class BrokerBehindProxy implements AutoCloseable {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final Path dataDir;
  private final BlockedThreadGuard guard;
  private Broker broker;
  private Vertx proxyVertx;
  private LossyProxy proxy;
  private SluiceClient client;

  private BrokerBehindProxy(Path dataDir, BlockedThreadGuard guard) {
    this.dataDir = dataDir;
    this.guard = guard;
  }

  /** A broker of {@code dataDir} watched by {@code guard}, its proxy, and a client with these options set. */
  static BrokerBehindProxy start(Path dataDir, BlockedThreadGuard guard, UnaryOperator<ClientOptions> clientOptions)
      throws Exception {
    BrokerBehindProxy started = new BrokerBehindProxy(dataDir, guard);
    try {
      started.broker = started.startBroker(0);
      started.proxyVertx = Vertx.vertx();
      started.proxy = new LossyProxy(started.proxyVertx, started.broker.httpPort());
      started.client = SluiceClient.create(clientOptions.apply(ClientOptions.bootstrap(started.proxy.url())
          .followLeaders(false)));
      return started;
    } catch (Exception | Error e) {
      started.close();
      throw e;
    }
  }

  private Broker startBroker(int port) throws Exception {
    return TestBrokers.start(TestBrokers.config(dataDir, Map.of(BrokerConfig.HTTP_PORT, port)), guard,
        HttpListener::new);
  }

  Broker broker() {
    return broker;
  }

  LossyProxy proxy() {
    return proxy;
  }

  SluiceClient client() {
    return client;
  }

  /** Closes the broker and starts it again on its port and its data; the proxy forwards to the new one. */
  void restartBroker() throws Exception {
    int port = broker.httpPort();
    TestBrokers.close(broker);
    broker = startBroker(port);
    proxy.brokerPort(broker.httpPort());
  }

  @Override
  public void close() throws Exception {
    try {
      if (client != null) {
        client.close().await().atMost(WAIT);
      }
      if (proxy != null) {
        proxy.close();
      }
      if (proxyVertx != null) {
        proxyVertx.close().await(30, TimeUnit.SECONDS);
      }
    } finally {
      TestBrokers.close(broker);
    }
  }
}
