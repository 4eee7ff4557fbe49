package io.sluice.client;

import io.sluice.broker.Broker;
import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.broker.testing.TestBrokers;
import io.sluice.config.BrokerConfig;
import io.sluice.http.HttpListener;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * One broker with the HTTP API on a free port and a Java client of it, for the client's tests against a real
 * broker: the start and the close its producer, group consumer and partition reader tests each wrote out.
 */
public final class BrokerWithClient implements AutoCloseable {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private final Broker broker;
  private final SluiceClient client;

  private BrokerWithClient(Broker broker, SluiceClient client) {
    this.broker = broker;
    this.client = client;
  }

  /** A broker of {@code dataDir} with these settings (besides a free HTTP port), watched by {@code guard}. */
  public static BrokerWithClient start(Path dataDir, BlockedThreadGuard guard, Map<String, ?> settings)
      throws Exception {
    return start(dataDir, guard, settings, UnaryOperator.identity());
  }

  /** The same, its client's options (which bootstrap from the broker) set by {@code clientOptions}. */
  public static BrokerWithClient start(Path dataDir, BlockedThreadGuard guard, Map<String, ?> settings,
      UnaryOperator<ClientOptions> clientOptions) throws Exception {
    Map<String, Object> values = new HashMap<>(settings);
    values.put(BrokerConfig.HTTP_PORT, 0);
    Broker broker = TestBrokers.start(TestBrokers.config(dataDir, values), guard, HttpListener::new);
    return new BrokerWithClient(broker,
        SluiceClient.create(clientOptions.apply(ClientOptions.bootstrap("http://127.0.0.1:" + broker.httpPort()))));
  }

  public SluiceClient client() {
    return client;
  }

  /** The broker's HTTP port, for a test that reads what the client cannot show (the stored batches). */
  public int httpPort() {
    return broker.httpPort();
  }

  @Override
  public void close() throws Exception {
    try {
      client.close().await().atMost(WAIT);
    } finally {
      TestBrokers.close(broker);
    }
  }
}
