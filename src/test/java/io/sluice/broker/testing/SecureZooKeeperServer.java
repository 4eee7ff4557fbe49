package io.sluice.broker.testing;

import io.sluice.broker.EmbeddedZooKeeper;
import io.sluice.config.ZooKeeperClientTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** A TLS embedded ZooKeeper with fresh {@link SecureZooKeeper} certificates for each test, in a directory of its own. */
public final class SecureZooKeeperServer implements BeforeEachCallback, AfterEachCallback {
  private Path dir;
  private SecureZooKeeper certs;
  private EmbeddedZooKeeper server;

  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    dir = Files.createTempDirectory("sluice-zk-tls");
    certs = new SecureZooKeeper(dir);
    server = certs.start(dir.resolve("zk"));
  }

  @Override
  public void afterEach(ExtensionContext context) throws IOException {
    server.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }

  public SecureZooKeeper certs() {
    return certs;
  }

  public String connectString() {
    return server.connectString();
  }

  public int port() {
    String connect = server.connectString();
    return Integer.parseInt(connect.substring(connect.lastIndexOf(':') + 1));
  }

  /** A connected client of this server with {@code tls}. */
  public CuratorFramework connect(ZooKeeperClientTls tls) throws InterruptedException {
    return SecureZooKeeper.connect(connectString(), tls);
  }
}
