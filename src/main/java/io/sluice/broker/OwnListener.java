package io.sluice.broker;

import io.sluice.client.ClientOptions;
import io.sluice.config.BrokerConfig;
import io.sluice.config.SslConfig;

/**
 * The client options of a broker service's client of its own broker's listener (Connect's worker, the schema
 * registry): loopback, over TLS when the listener is, showing the broker's own certificate (a listener with
 * {@code ssl.client.auth=required} asks for one) and trusting the trust store.
 */
public final class OwnListener {
  private OwnListener() {
  }

  public static ClientOptions clientOptions(BrokerConfig config, int httpPort) {
    SslConfig ssl = config.ssl();
    if (!ssl.http()) {
      return ClientOptions.bootstrap("http://127.0.0.1:" + httpPort);
    }
    return ClientOptions.bootstrap("https://127.0.0.1:" + httpPort).trustOptions(ssl.trustOptions())
        .keyCertOptions(ssl.keyCertOptions()).verifyHostname(false);
  }
}
