package io.sluice.connect;

import io.sluice.broker.testing.BlockedThreadGuard;
import io.sluice.client.ClientOptions;
import io.sluice.client.SluiceClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * What the database connector tests share: a real PostgreSQL of their own, a broker with its connect service, and a
 * client of that broker. Closed in reverse order; a part that failed to start is skipped on close.
 */
final class DatabaseFixture implements AutoCloseable {
  final PostgresServer pg;
  final ConnectTestSupport connect;
  final SluiceClient client;

  private DatabaseFixture(PostgresServer pg, ConnectTestSupport connect, SluiceClient client) {
    this.pg = pg;
    this.connect = connect;
    this.client = client;
  }

  static DatabaseFixture start(Path dir, BlockedThreadGuard guard) throws Exception {
    PostgresServer pg = PostgresServer.start();
    ConnectTestSupport connect;
    try {
      connect = new ConnectTestSupport(dir.resolve("data"), guard, Map.of());
    } catch (Exception | Error e) {
      pg.close();
      throw e;
    }
    SluiceClient client = SluiceClient.create(ClientOptions.bootstrap("http://127.0.0.1:" + connect.broker.httpPort()));
    return new DatabaseFixture(pg, connect, client);
  }

  @Override
  public void close() throws Exception {
    try {
      client.close().await().atMost(Duration.ofSeconds(60));
    } finally {
      try {
        connect.close();
      } finally {
        pg.close();
      }
    }
  }
}
