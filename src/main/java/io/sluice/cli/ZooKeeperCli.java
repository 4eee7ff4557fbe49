package io.sluice.cli;

import io.sluice.broker.ZooKeeperClients;
import io.sluice.config.ZooKeeperClientTls;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.retry.ExponentialBackoffRetry;

/**
 * The ZooKeeper client of the commands taking {@code --zookeeper}: with {@code --zk-tls-config-file} (Kafka's flag: a
 * properties file of the {@code zookeeper.ssl.*} keys and {@code zookeeper.set.acl}) over TLS, as the brokers; with a
 * SASL login when the JVM's JAAS file ({@code -Djava.security.auth.login.config}, Kafka's way) or the file's
 * {@code java.security.auth.login.config} has a {@code Client} section.
 */
final class ZooKeeperCli {
  static final String TLS_FILE_OPTION = "zk-tls-config-file";
  private static final int CONNECTION_TIMEOUT_MS = 15_000;

  private ZooKeeperCli() {
  }

  /** The settings of {@code file} (null: plaintext, no ACLs). */
  static ZooKeeperClientTls settings(String file) {
    if (file == null) {
      return ZooKeeperClientTls.of(Map.of());
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(Path.of(file))) {
      p.load(r);
    } catch (IOException e) {
      throw new IllegalArgumentException("Cannot read --" + TLS_FILE_OPTION + " " + file + ": " + e.getMessage(), e);
    }
    Map<String, String> values = new LinkedHashMap<>();
    p.stringPropertyNames().forEach(k -> values.put(k, p.getProperty(k)));
    return ZooKeeperClientTls.of(values);
  }

  /** A started client of {@code connect} (no namespace), its TLS handshake and SASL login checked first. */
  static CuratorFramework connect(String connect, ZooKeeperClientTls tls) {
    ZooKeeperClients.checkHandshake(connect, tls, CONNECTION_TIMEOUT_MS);
    ZooKeeperClients.checkSasl(connect, tls, CONNECTION_TIMEOUT_MS);
    CuratorFramework zk = ZooKeeperClients.builder(connect, tls).connectionTimeoutMs(CONNECTION_TIMEOUT_MS)
        .retryPolicy(new ExponentialBackoffRetry(200, 5)).build();
    zk.start();
    return zk;
  }
}
